"""The run's lifecycle on real Chromium: crashed workers, keep, and a clone that fails its verification."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from pytest_edgeprofile import platforms
from tests.support.browsers import TEST_BROWSER
from tests.support.checks import driver_pids, leftover_processes, new_drivers_left, tree_digest
from tests.support.inner import run_files, run_inner

pytestmark = pytest.mark.browser

CRASHING = """
def test_crash_with_a_browser_open(edge_driver):
    edge_driver.get(SITE + "/account")
    os._exit(1)  # the worker dies mid-test: no teardown, its browser is left running


@pytest.mark.parametrize("n", range(4))
def test_after(edge_driver, edge_profile, worker_id, n):
    assert signed_in(edge_driver)
    record(f"{worker_id}-{os.getpid()}-{n}", edge_profile, worker_id, clone=str(edge_profile.user_data_dir))
"""


def test_a_crashed_workers_clone_and_browser_are_gone_and_its_replacement_gets_a_clone(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    base_profile: Path,
    clone_root: Path,
    plugin_env: dict[str, str],
) -> None:
    before = tree_digest(base_profile)
    drivers_before = driver_pids()
    result, records = run_files(pytester, monkeypatch, base_profile, clone_root, {"test_crash": CRASHING}, "-n", "2")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed") == 1, result.stdout.str()
    assert outcomes.get("passed") == 4
    crash = re.search(r"worker '(gw\d)' crashed while running", result.stdout.str())
    assert crash is not None, result.stdout.str()
    # xdist replaces the crashed worker; the replacement prepares its own clone even if it is given no test.
    metrics = json.loads((pytester.path / "edgeprofile-results" / "edgeprofile-metrics.json").read_text())
    prepared = {w["worker"]: w.get("clone") for w in metrics["workers"] if w["worker"] != "controller"}
    assert "gw2" in prepared and crash.group(1) not in prepared, prepared  # it crashed before it could report
    assert len(set(prepared.values())) == len(prepared), "each worker, the replacement too, has its own clone"
    assert all(r["clone"] in prepared.values() for r in records.values())
    assert list(clone_root.iterdir()) == []
    assert leftover_processes(clone_root) == []
    assert new_drivers_left(drivers_before) == [], "the crashed worker's driver was left running"
    assert tree_digest(base_profile) == before


@pytest.mark.parametrize(
    ("keep", "fail", "kept"),
    [
        ("always", False, True),
        ("on-failure", True, True),
        ("on-failure", False, False),
        ("never", True, False),
    ],
)
def test_keep(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    base_profile: Path,
    clone_root: Path,
    plugin_env: dict[str, str],
    keep: str,
    fail: bool,
    kept: bool,
) -> None:
    pytester.makepyfile(f"def test_one(edge_driver):\n    assert not {fail}\n")
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--edgeprofile-browser",
        TEST_BROWSER,
        "--edgeprofile-keep",
        keep,
        "--edgeprofile-user-data-dir",
        str(base_profile),
        "--edgeprofile-clone-root",
        str(clone_root),
    )
    assert result.ret == (1 if fail else 0)
    runs = list(clone_root.iterdir())
    try:
        if kept:
            assert len(runs) == 1 and (runs[0] / "workers" / "main" / "Default" / "Cookies").is_file()
            result.stdout.fnmatch_lines(
                [
                    f"edgeprofile: kept the run's profiles in {runs[0]}; they hold the profile's cookies and saved "
                    "passwords: delete the folder when done (`edgeprofile clean` removes it)."
                ]
            )
        else:
            assert runs == []
        assert leftover_processes(clone_root) == []
    finally:
        for run in runs:
            shutil.rmtree(run)


def test_a_clone_the_browser_does_not_use_fails_each_test_with_one_sentence(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    base_profile: Path,
    clone_root: Path,
    plugin_env: dict[str, str],
    tmp_path: Path,
) -> None:
    elsewhere = tmp_path / "elsewhere"
    monkeypatch.setenv("PYTEST_EDGEPROFILE_ARG", f"--user-data-dir={elsewhere} --disable-background-networking")
    # One process: two browsers can never share the one folder the argument names.
    result, records = run_inner(pytester, monkeypatch, base_profile, clone_root, "-n", "0", count=3)
    outcomes = result.parseoutcomes()
    assert outcomes.get("errors", outcomes.get("error")) == 3 and records == []
    result.stdout.fnmatch_lines(
        [
            "*pytest-edgeprofile: the browser reports * as its user data dir "
            f"({platforms.capability_vendor(TEST_BROWSER)}.userDataDir), not the clone {clone_root}{os.sep}run-*; "
            "another --user-data-dir in the browser arguments may override it. (worker main: 3 attempts, each on a "
            "fresh clone)"
        ]
    )
    assert "pytest_edgeprofile/" not in result.stdout.str(), "a traceback through the plugin's internals"
    assert "During handling of the above exception" not in result.stdout.str(), "the message is shown twice"
    assert list(clone_root.iterdir()) == []
    assert leftover_processes(clone_root) == [] and leftover_processes(elsewhere) == []
