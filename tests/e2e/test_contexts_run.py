"""isolation context on real Chromium: one browser per worker, each test in a fresh WebDriver BiDi user context
seeded with the profile's login state; what a test does to cookies, storage and its login never reaches the next."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from demo.site import SESSION_COOKIE, STORAGE_KEY
from tests.support.checks import leftover_processes, tree_digest
from tests.support.inner import run_files

pytestmark = pytest.mark.browser

CONTEXTS = f"""
SESSION_COOKIE, STORAGE_KEY = {SESSION_COOKIE!r}, {STORAGE_KEY!r}


@pytest.mark.parametrize("n", range(8))
def test_each_test_starts_clean_and_signed_in(edge_driver, edge_profile, worker_id, n):
    handles = edge_driver.window_handles
    start_url = edge_driver.current_url
    assert signed_in(edge_driver)
    seen = dict(
        handles=len(handles),
        start_url=start_url,
        token=edge_driver.execute_script("return localStorage.getItem(arguments[0])", STORAGE_KEY),
        dirt=edge_driver.execute_script("return localStorage.getItem('dirt')"),
        marker=edge_driver.get_cookie("marker"),
        session=edge_driver.session_id,
    )
    record(f"t{{n}}", edge_profile, worker_id, **seen)
    # Then leave a mess for whoever comes next: a cookie, a storage item, a second tab, and sign out.
    edge_driver.add_cookie({{"name": "marker", "value": str(n)}})
    edge_driver.execute_script("localStorage.setItem('dirt', arguments[0])", str(n))
    edge_driver.execute_script("window.open('about:blank')")
    edge_driver.get(SITE + "/logout")
    edge_driver.get(SITE + "/account")
    assert not edge_driver.find_elements(By.ID, "account"), "signed out in this context"
"""


def test_a_test_that_signs_out_and_writes_storage_leaves_the_next_test_untouched(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    base_profile: Path,
    clone_root: Path,
    plugin_env: dict[str, str],
) -> None:
    before = tree_digest(base_profile)
    result, records = run_files(
        pytester,
        monkeypatch,
        base_profile,
        clone_root,
        {"test_contexts": CONTEXTS},
        "-n",
        "2",
        "--edgeprofile-isolation",
        "context",
        "--edgeprofile-state-origins",
        plugin_env["EDGEPROFILE_TEST_SITE"],
    )
    assert result.ret == 0, result.stdout.str()
    assert len(records) == 8
    for name, seen in records.items():
        assert (seen["handles"], seen["start_url"], seen["dirt"], seen["marker"]) == (1, "about:blank", None, None), (
            name
        )
        assert seen["token"], f"{name}: the login state's localStorage item is missing"
    by_worker: dict[object, set[object]] = {}
    for seen in records.values():
        by_worker.setdefault(seen["worker"], set()).add(seen["session"])
    assert len(by_worker) == 2 and all(len(sessions) == 1 for sessions in by_worker.values()), by_worker
    # Each worker read the login state once, from its own browser (no throwaway clone, no extra browser start).
    logs = pytester.path / "edgeprofile-results" / "logs"
    events = {
        log.stem: [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
        for log in logs.glob("gw*.jsonl")
    }
    captured = {worker: [e for e in found if e["event"] == "state_captured"] for worker, found in events.items()}
    assert sorted(captured) == ["gw0", "gw1"] and all(len(found) == 1 for found in captured.values()), captured
    assert all(found[0]["worker"] == worker and found[0]["origins"] == 1 for worker, found in captured.items())
    clones = [e.get("path", "") for found in events.values() for e in found if e["event"] == "clone"]
    assert len(clones) == 2 and not [path for path in clones if "login-state" in path], clones
    assert tree_digest(base_profile) == before
    assert leftover_processes(clone_root) == []


def test_isolation_context_with_a_browser_per_test_is_one_sentence(
    pytester: pytest.Pytester, base_profile: Path, clone_root: Path, plugin_env: dict[str, str]
) -> None:
    pytester.makepyfile("def test_one(edge_driver):\n    pass\n")
    result = pytester.runpytest_subprocess(
        "--edgeprofile-user-data-dir",
        str(base_profile),
        "--edgeprofile-clone-root",
        str(clone_root),
        "--edgeprofile-isolation",
        "context",
        "--edgeprofile-driver-scope",
        "test",
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: pytest-edgeprofile: isolation 'context' (from --edgeprofile-isolation) runs each test in its own "
            "context of the worker's one browser, but driver-scope is 'test' (from --edgeprofile-driver-scope)*"
        ]
    )


DEAD = """
import psutil


def test_a_kills_the_browser(edge_driver):
    assert signed_in(edge_driver)
    for child in psutil.Process(edge_driver.service.process.pid).children(recursive=True):
        child.kill()


def test_b_gets_a_new_browser_in_a_fresh_context(edge_driver, edge_profile, worker_id):
    assert signed_in(edge_driver)
    starts = edge_profile.metrics.get("browser_starts")
    record("b", edge_profile, worker_id, handles=len(edge_driver.window_handles), starts=starts)
"""


def test_a_browser_that_died_is_replaced_and_the_next_test_still_gets_its_context(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    base_profile: Path,
    clone_root: Path,
    plugin_env: dict[str, str],
) -> None:
    result, records = run_files(
        pytester, monkeypatch, base_profile, clone_root, {"test_dead": DEAD}, "--edgeprofile-isolation", "context"
    )
    result.assert_outcomes(passed=2)
    assert records["b"]["handles"] == 1 and records["b"]["starts"] == 2
    assert leftover_processes(clone_root) == []
