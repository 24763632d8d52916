"""Every worker's browser on a real Selenium Grid 4 (a hub and two nodes on 127.0.0.1), still signed in.

inject: the node's browser runs on a profile of its own and gets the run's login state before its first page;
path: it runs on the worker's clone (the nodes see the clone root, as with a shared disk). Either way the sessions
spread over both nodes and the Grid holds none of ours afterwards.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from demo.site import STORAGE_KEY
from pytest_edgeprofile.grid.sessions import grid_sessions
from tests.support.checks import leftover_processes, tree_digest
from tests.support.grid import LocalGrid
from tests.support.inner import run_files

pytestmark = pytest.mark.browser

REMOTE = """
@pytest.mark.parametrize("n", range(16))
def test_signed_in_on_the_grid(edge_driver, edge_profile, worker_id, n):
    assert signed_in(edge_driver)
    caps = edge_driver.capabilities
    record(
        f"t{n}",
        edge_profile,
        worker_id,
        remote=type(edge_driver).__module__,
        user_data_dir=caps["chrome"]["userDataDir"],
        clone=str(edge_profile.user_data_dir),
        token=edge_driver.execute_script("return localStorage.getItem(arguments[0])", STORAGE_KEY),
        nodes=edge_profile.metrics.get("grid_nodes"),
    )
"""


def grid_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, base: Path, clone_root: Path, url: str, *args: str
) -> tuple[pytest.RunResult, dict[str, dict[str, object]]]:
    body = f"STORAGE_KEY = {STORAGE_KEY!r}\n" + REMOTE
    return run_files(
        pytester, monkeypatch, base, clone_root, {"test_remote": body}, "--edgeprofile-grid-url", url, *args
    )


@pytest.mark.parametrize("mode", ["inject", "path"])
def test_sixteen_tests_at_n_4_are_signed_in_on_both_nodes_and_the_grid_is_empty_afterwards(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    base_profile: Path,
    clone_root: Path,
    plugin_env: dict[str, str],
    grid: LocalGrid,
    mode: str,
) -> None:
    before = tree_digest(base_profile)
    site = plugin_env["EDGEPROFILE_TEST_SITE"]  # its localStorage travels with the login state in inject mode
    result, records = grid_run(
        pytester,
        monkeypatch,
        base_profile,
        clone_root,
        grid.url,
        "-n",
        "4",
        "--edgeprofile-grid-profile",
        mode,
        "--edgeprofile-state-origins",
        site,
    )
    assert result.ret == 0, result.stdout.str()
    assert len(records) == 16
    assert {r["remote"] for r in records.values()} == {"pytest_edgeprofile.grid.remote"}
    if mode == "inject":  # a profile of the node's own: none of our clones, yet signed in with the local storage
        assert not any(str(r["user_data_dir"]).startswith(str(clone_root)) for r in records.values())
        assert all(r["token"] for r in records.values())
    else:  # the worker's own clone
        assert all(r["user_data_dir"] == r["clone"] for r in records.values())
    nodes = {node for r in records.values() for node in (r["nodes"] or [])}  # type: ignore[attr-defined]
    assert nodes == set(grid.node_uris), "the sessions spread over both nodes"
    result.stdout.fnmatch_lines([f"edgeprofile: browsers on the Selenium Grid {grid.url} (grid-profile {mode})"])
    result.stdout.fnmatch_lines(["gw*: browsers on the Grid node(s) http://127.0.0.1:*"])
    assert grid_sessions(grid.url) == (), "no session of the run is left on the Grid"
    assert tree_digest(base_profile) == before
    assert (leftover_processes(clone_root) == [] and not clone_root.exists()) or list(clone_root.iterdir()) == []
    metrics = json.loads((pytester.path / "edgeprofile-results" / "edgeprofile-metrics.json").read_text())
    assert {w["worker"] for w in metrics["workers"]} >= {"gw0", "gw1", "gw2", "gw3"}


def test_a_grid_that_is_down_and_one_without_the_browser_each_get_one_sentence(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    base_profile: Path,
    clone_root: Path,
    plugin_env: dict[str, str],
    grid: LocalGrid,
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{probe.getsockname()[1]}"
    result, records = grid_run(pytester, monkeypatch, base_profile, clone_root, down, "-n", "2")
    assert result.ret != 0 and records == {}
    errors = [line for line in result.stderr.lines if "pytest-edgeprofile" in line]
    assert len(errors) == 1 and down in errors[0], result.stderr.str()
    assert "Traceback" not in result.stderr.str()

    result, records = grid_run(
        pytester, monkeypatch, base_profile, clone_root, grid.url, "-n", "2", "--edgeprofile-browser", "edge"
    )
    assert result.ret != 0 and records == {}
    errors = [line for line in result.stderr.lines if "pytest-edgeprofile" in line]
    assert len(errors) == 1 and grid.url in errors[0] and "MicrosoftEdge" in errors[0], result.stderr.str()


CRASH = """
import os, signal


def test_a_worker_killed_with_a_session_open(edge_driver):
    assert signed_in(edge_driver)
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.parametrize("n", range(3))
def test_after(edge_driver, n):
    assert signed_in(edge_driver)
"""


def test_a_crashed_workers_session_is_deleted_from_the_grid(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    base_profile: Path,
    clone_root: Path,
    plugin_env: dict[str, str],
    grid: LocalGrid,
) -> None:
    result, _records = run_files(
        pytester,
        monkeypatch,
        base_profile,
        clone_root,
        {"test_crash": CRASH},
        "-n",
        "2",
        "--edgeprofile-grid-url",
        grid.url,
    )
    result.assert_outcomes(passed=3, failed=1)  # the crashed test; its worker is replaced
    assert grid_sessions(grid.url) == (), "the crashed worker's session was left on the Grid"


FAILING = """
def test_fails_on_the_grid(edge_driver):
    assert signed_in(edge_driver)
    raise AssertionError("on purpose")
"""


def test_failure_artifacts_come_through_the_grid_and_name_the_node(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    base_profile: Path,
    clone_root: Path,
    plugin_env: dict[str, str],
    grid: LocalGrid,
) -> None:
    result, _records = run_files(
        pytester, monkeypatch, base_profile, clone_root, {"test_failing": FAILING}, "--edgeprofile-grid-url", grid.url
    )
    result.assert_outcomes(failed=1)
    (info_path,) = (pytester.path / "edgeprofile-results").glob("*/info.json")
    info = json.loads(info_path.read_text())
    assert info["node"] in grid.node_uris
    assert "Signed in as alice" in (info_path.parent / "page.html").read_text()
    assert (info_path.parent / "screenshot.png").read_bytes().startswith(b"\x89PNG")
    assert grid_sessions(grid.url) == ()
