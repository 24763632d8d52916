"""Per-worker resilience on real Chromium: a killed browser, a damaged clone, a browser that keeps failing, load."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.checks import leftover_processes, tree_digest
from tests.support.inner import run_files, run_inner
from tests.support.systems import not_on_windows

pytestmark = pytest.mark.browser


KILLED = """
def test_browser_dies_under_the_test(edge_driver):
    assert signed_in(edge_driver)
    for child in psutil.Process(edge_driver.service.process.pid).children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):  # a helper may exit on its own first
            child.kill()


def test_next_test_gets_a_new_browser(edge_driver, edge_profile, worker_id):
    assert signed_in(edge_driver)
    record("next", edge_profile, worker_id, deaths=edge_profile.metrics.get("browser_deaths", 0))
"""


def test_a_browser_killed_under_a_test_is_replaced_and_its_teardown_does_not_error(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    base_profile: Path,
    clone_root: Path,
    plugin_env: dict[str, str],
) -> None:
    result, records = run_files(pytester, monkeypatch, base_profile, clone_root, {"test_killed": KILLED})
    result.assert_outcomes(passed=2)
    assert records["next"]["deaths"] == 1
    result.stdout.fnmatch_lines(["worker  clone s*deaths*", "main *1 *passed"])
    assert list(clone_root.iterdir()) == [] and leftover_processes(clone_root) == []


DAMAGED = """
def test_damage_the_clone(edge_profile):
    # A browser still starts on it, but logged out: only the check before each start can catch it.
    (edge_profile.profile_path / "Cookies").write_bytes(os.urandom(4096))


def test_after_damage(edge_driver, edge_profile, worker_id):
    assert signed_in(edge_driver)
    record("damaged", edge_profile, worker_id)
"""
UNTOUCHED = """
@pytest.mark.parametrize("n", range(3))
def test_other_worker(edge_driver, edge_profile, worker_id, n):
    assert signed_in(edge_driver)
    record(f"other-{n}", edge_profile, worker_id)
"""


def test_a_clone_damaged_between_tests_is_recloned_for_that_worker_only(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    base_profile: Path,
    clone_root: Path,
    plugin_env: dict[str, str],
) -> None:
    result, records = run_files(
        pytester,
        monkeypatch,
        base_profile,
        clone_root,
        {"test_a_damaged": DAMAGED, "test_b_untouched": UNTOUCHED},
        "-n",
        "2",
        "--dist",
        "loadfile",
    )
    result.assert_outcomes(passed=5)
    damaged_worker = records["damaged"]["worker"]
    assert records["damaged"]["reclones"] == 1
    others = [r for name, r in records.items() if name.startswith("other-")]
    assert len(others) == 3
    assert all(r["reclones"] == 0 for r in others if r["worker"] != damaged_worker)
    assert any(r["worker"] != damaged_worker for r in others), "loadfile should give the files to two workers"
    assert list(clone_root.iterdir()) == [] and leftover_processes(clone_root) == []


BREAKER = """
@pytest.mark.parametrize("n", range(5))
def test_browser(edge_driver, n):
    assert signed_in(edge_driver)
"""


@not_on_windows("the flaky browser is a POSIX shell script")
def test_a_worker_whose_browser_keeps_failing_opens_its_breaker_and_fails_the_rest_at_once(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    base_profile: Path,
    clone_root: Path,
    plugin_env: dict[str, str],
    chromium: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    counter = tmp_path / "starts"
    flaky = tmp_path / "flaky-chromium"
    # Starts twice (the verification browser, which the first test then uses, and the second test's), then never.
    # The controller's blank-tab browser (on its own throwaway clone) is let through uncounted.
    flaky.write_text(
        "#!/bin/sh\n"
        f'case "$*" in *{os.sep}blank-tab*) exec "{chromium[0]}" "$@";; esac\n'
        f'n=$(( $(cat "{counter}" 2>/dev/null || echo 0) + 1 )); echo $n > "{counter}"\n'
        f'[ "$n" -le 2 ] || exit 1\nexec "{chromium[0]}" "$@"\n'
    )
    flaky.chmod(0o755)
    result, _ = run_files(
        pytester, monkeypatch, base_profile, clone_root, {"test_breaker": BREAKER}, "--edgeprofile-binary", str(flaky)
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed") == 2 and outcomes.get("errors") == 3, result.stdout.str()
    # Tests 3 and 4 are retried three times each (a fresh clone before each retry), then the breaker is open
    # and test 5 fails without a start.
    assert int(counter.read_text()) == 2 + 3 + 3
    result.stdout.fnmatch_lines(
        [
            "*pytest-edgeprofile: the browser of worker main failed to start for 2 tests in a row, so its remaining "
            "tests fail at once; last error: chromium did not start on the clone*"
        ]
    )
    assert list(clone_root.iterdir()) == [] and leftover_processes(clone_root) == []


def test_load_six_workers_thirty_tests_all_logged_in_nothing_left(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    base_profile: Path,
    clone_root: Path,
    plugin_env: dict[str, str],
) -> None:
    before = tree_digest(base_profile)
    result, records = run_inner(pytester, monkeypatch, base_profile, clone_root, "-n", "6", count=30)
    result.assert_outcomes(passed=30)
    assert {r["heading"] for r in records} == {"Signed in as alice"} and len(records) == 30
    clones = {str(r["worker"]): str(r["clone"]) for r in records}
    assert len(set(clones.values())) == len(clones) >= 4
    assert tree_digest(base_profile) == before
    assert list(clone_root.iterdir()) == [] and leftover_processes(clone_root) == []
