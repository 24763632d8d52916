"""Cleanup removes only what carries this plugin's marker and ends only the processes this run started."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from tenacity import stop_after_attempt

from pytest_edgeprofile.profile.cleanup import record_process, remove_run, sweep_dead_runs
from pytest_edgeprofile.profile.run import MARKER, RunFolder, new_run_id, read_marker
from tests.support.systems import POSIX_MODES

IDLE = "import sys, time; time.sleep(120)"  # a stand-in browser: runs until ended


def start(procs: list[subprocess.Popen[bytes]], *args: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-c", IDLE, *args])
    procs.append(proc)
    return proc


def make_run(clone_root: Path) -> RunFolder:
    run = RunFolder(clone_root, new_run_id())
    run.ensure()
    run.worker("gw0").mkdir()
    (run.worker("gw0") / "Local State").write_text("{}")
    return run


def test_run_folder_is_private_and_marked(tmp_path: Path) -> None:
    run = make_run(tmp_path / "clones")
    marker = read_marker(run.path)
    assert marker is not None and marker["run_id"] == run.run_id and marker["host"] == socket.gethostname()
    if POSIX_MODES:  # Windows: the user profile's ACLs, no file modes
        assert (tmp_path / "clones").stat().st_mode & 0o777 == 0o700
        assert run.path.stat().st_mode & 0o777 == 0o700
    assert len(run.run_id) == 32


def test_removes_a_marked_run_and_ends_only_its_browsers(tmp_path: Path, spawn: list[subprocess.Popen[bytes]]) -> None:
    run = make_run(tmp_path / "clones")
    ours = start(spawn, f"--user-data-dir={run.worker('gw0')}")
    recorded_driver = start(spawn, "--port=0")
    record_process(run.path, recorded_driver.pid)
    other = start(spawn, f"--user-data-dir={tmp_path / 'someone else'}")

    removal = remove_run(run.path)

    assert removal.removed and not run.path.exists()
    assert ours.wait(10) is not None and recorded_driver.wait(10) is not None
    assert {ours.pid, recorded_driver.pid} <= set(removal.ended_pids)
    assert other.poll() is None, "a process that is not ours was ended"


def test_a_folder_without_our_marker_is_never_removed(tmp_path: Path) -> None:
    folder = tmp_path / "clones" / f"run-{new_run_id()}"
    folder.mkdir(parents=True)
    (folder / "precious").write_text("user data")
    removal = remove_run(folder)
    assert not removal.removed and "not ours" in removal.reason
    assert (folder / "precious").read_text() == "user data"


def test_a_marker_that_names_another_folder_is_not_ours(tmp_path: Path) -> None:
    run = make_run(tmp_path / "clones")
    moved = tmp_path / "clones" / "run-elsewhere"
    run.path.rename(moved)
    assert read_marker(moved) is None
    assert not remove_run(moved).removed and moved.exists()


def test_a_recorded_pid_reused_by_another_process_is_left_alone(
    tmp_path: Path, spawn: list[subprocess.Popen[bytes]]
) -> None:
    run = make_run(tmp_path / "clones")
    stranger = start(spawn)
    (run.path / "pids").mkdir()
    created = psutil.Process(stranger.pid).create_time()
    (run.path / "pids" / f"{stranger.pid}.json").write_text(json.dumps({"pid": stranger.pid, "created": created - 60}))
    assert remove_run(run.path).removed
    assert stranger.poll() is None


def test_sweep_removes_runs_whose_controller_died_and_keeps_live_ones(
    tmp_path: Path, spawn: list[subprocess.Popen[bytes]]
) -> None:
    clone_root = tmp_path / "clones"
    dead, live, foreign = make_run(clone_root), make_run(clone_root), make_run(clone_root)
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    for run, pid, host in (
        (dead, int(finished.stdout), socket.gethostname()),
        (foreign, int(finished.stdout), "another-host"),
    ):
        marker = json.loads((run.path / MARKER).read_text())
        marker.update(pid=pid, host=host)
        (run.path / MARKER).write_text(json.dumps(marker))
    left_browser = start(spawn, f"--user-data-dir={dead.worker('gw0')}")

    removals = sweep_dead_runs(clone_root)

    assert [r.path for r in removals] == [dead.path]
    assert not dead.path.exists() and live.path.exists() and foreign.path.exists()
    assert left_browser.wait(10) is not None


def test_a_kept_run_survives_sweeps_but_not_clean(tmp_path: Path) -> None:
    from pytest_edgeprofile.profile.run import mark_kept

    clone_root = tmp_path / "clones"
    kept = make_run(clone_root)
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    marker = json.loads((kept.path / MARKER).read_text())
    marker["pid"] = int(finished.stdout)
    (kept.path / MARKER).write_text(json.dumps(marker))
    mark_kept(kept.path)

    assert sweep_dead_runs(clone_root) == [] and kept.path.exists()
    assert [r.path for r in sweep_dead_runs(clone_root, include_kept=True)] == [kept.path]
    assert not kept.path.exists()


def test_the_marker_is_removed_last(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil as real_shutil

    from pytest_edgeprofile.profile import cleanup

    run = make_run(tmp_path / "clones")

    def failing_rmtree(path: object, *args: object, **kwargs: object) -> None:
        raise OSError(13, "Permission denied", str(path))

    monkeypatch.setattr(cleanup.shutil, "rmtree", failing_rmtree)
    monkeypatch.setattr(cleanup, "_rmtree", cleanup._rmtree.retry_with(stop=stop_after_attempt(1)))
    with pytest.raises(OSError):
        remove_run(run.path)
    assert read_marker(run.path) is not None, "a folder whose removal was cut short must stay provably ours"
    monkeypatch.setattr(cleanup.shutil, "rmtree", real_shutil.rmtree)
