"""`webdriver.Edge` end to end: the Edge code path (ms:edgeOptions, msedge capabilities, msedgedriver and
microsoft-edge found on PATH) against stand-ins that drive the local Chromium. Real Edge is not run here."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.browsers import STANDINS, SWITCH, TEST_BROWSER
from tests.support.checks import leftover_processes, tree_digest
from tests.support.inner import write_inner_tests
from tests.support.systems import not_on_windows

pytestmark = [
    pytest.mark.browser,
    not_on_windows("the Edge stand-ins are POSIX scripts"),
    pytest.mark.skipif(
        TEST_BROWSER != "chromium",
        reason=f"the Edge stand-ins drive Chromium; with {SWITCH}={TEST_BROWSER} the real browser runs the same tests",
    ),
]


@pytest.fixture
def edge_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH folder holding `microsoft-edge` and `msedgedriver`, as an Edge install on Linux provides."""
    bin_dir = tmp_path / "edge bin"
    bin_dir.mkdir()
    os.symlink(STANDINS / "msedge", bin_dir / "microsoft-edge")
    os.symlink(STANDINS / "msedgedriver", bin_dir / "msedgedriver")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return bin_dir


def test_edge_runs_webdriver_edge_on_each_workers_clone(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    base_profile: Path,
    clone_root: Path,
    plugin_env: dict[str, str],
    edge_on_path: Path,
) -> None:
    import json

    before = tree_digest(base_profile)
    records = pytester.path / "records"
    records.mkdir()
    monkeypatch.setenv("EDGEPROFILE_TEST_RECORDS", str(records))
    write_inner_tests(pytester, 4)
    # Only the base is named: browser defaults to edge, and its binary and driver are found on PATH.
    result = pytester.runpytest_subprocess(
        "-n",
        "2",
        "-p",
        "no:cacheprovider",
        "--edgeprofile-user-data-dir",
        str(base_profile),
        "--edgeprofile-clone-root",
        str(clone_root),
    )
    result.assert_outcomes(passed=4)
    found = [json.loads(p.read_text()) for p in records.glob("*.json")]
    assert {r["driver_module"] for r in found} == {"selenium.webdriver.edge.webdriver"}
    assert {r["browser_name"] for r in found} == {"msedge"}
    assert all(r["verification"] == {"files": "passed", "capabilities": "passed"} for r in found)
    assert all(Path(r["browser_user_data_dir"]).resolve() == Path(r["clone"]).resolve() for r in found)
    assert tree_digest(base_profile) == before
    assert list(clone_root.iterdir()) == []
    assert leftover_processes(clone_root) == []


PASSIVE = """
import json, os
from pathlib import Path
from selenium.webdriver.common.by import By

def test_signed_in(edge_driver, edge_profile):
    edge_driver.get(os.environ["EDGEPROFILE_TEST_SITE"] + "/account")
    assert edge_driver.find_element(By.ID, "account").text == "Signed in as alice"
    Path(os.environ["EDGEPROFILE_TEST_RECORDS"], str(os.getpid())).write_text(json.dumps(
        {"controller": os.getppid(), "run": str(edge_profile.user_data_dir.parent.parent)}))
"""


def test_with_nothing_set_the_default_edge_profile_is_used_and_the_run_is_marked_by_its_controller(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    base_profile: Path,
    tmp_path: Path,
    plugin_env: dict[str, str],
    edge_on_path: Path,
) -> None:
    import json
    import shutil

    # Edge's default user data dir on Linux, reached through XDG_CONFIG_HOME: nothing names it explicitly.
    config_home = tmp_path / "config"
    shutil.copytree(base_profile, config_home / "microsoft-edge", symlinks=True)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_home))
    monkeypatch.setenv("PYTEST_EDGEPROFILE_CLONE_ROOT", str(tmp_path / "clones"))
    records = tmp_path / "records"
    records.mkdir()
    monkeypatch.setenv("EDGEPROFILE_TEST_RECORDS", str(records))
    pytester.makepyfile(test_passive=PASSIVE)

    # keep=always is not a browser or profile setting: the run stays passive, and its folder is left to inspect.
    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider", "--edgeprofile-keep", "always")

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*(checked when a test first needs it)*"])
    record = json.loads(next(records.iterdir()).read_text())
    marker = json.loads((Path(record["run"]) / ".edgeprofile-run.json").read_text())
    assert marker["pid"] == record["controller"], "the marker must name the controller, not the worker"
    assert marker["kept"] is True
    shutil.rmtree(record["run"])
    assert leftover_processes(tmp_path / "clones") == []
