"""The run's blank tab on disk: published whole, only the saved-tabs file, given to clones, waited for."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest

from pytest_edgeprofile.profile import saved_tabs
from pytest_edgeprofile.profile.run import RunFolder, new_run_id
from tests.support.systems import POSIX_MODES


def saved_session(profile_path: Path) -> None:
    """What a browser that quit leaves in Sessions/: two session files (older and newer) and closed tabs."""
    sessions = profile_path / "Sessions"
    sessions.mkdir(parents=True)
    (sessions / "Session_13440000000000001").write_bytes(b"SNSS old")
    (sessions / "Session_13440000000000002").write_bytes(b"SNSS about:blank")
    (sessions / "Tabs_13440000000000002").write_bytes(b"SNSS recently closed http://site/?token=secret")


def test_publish_keeps_only_the_newest_session_file_in_a_private_folder(tmp_path: Path) -> None:
    run = RunFolder(tmp_path / "root", new_run_id())
    run.ensure()
    saved_session(tmp_path / "probe" / "Default")
    assert saved_tabs.publish(tmp_path / "probe" / "Default", run)
    assert sorted(p.name for p in run.blank_tab.iterdir()) == ["Session_13440000000000002"]
    if POSIX_MODES:  # Windows: the user profile's ACLs, no file modes
        assert stat.S_IMODE(run.blank_tab.stat().st_mode) == 0o700
        assert stat.S_IMODE((run.blank_tab / "Session_13440000000000002").stat().st_mode) == 0o600
    assert [p.name for p in run.path.iterdir() if p.name.startswith(".blank")] == []  # no half-made folder left


def test_nothing_is_published_without_a_session_file(tmp_path: Path) -> None:
    run = RunFolder(tmp_path / "root", new_run_id())
    run.ensure()
    (tmp_path / "probe" / "Default" / "Sessions").mkdir(parents=True)
    assert not saved_tabs.publish(tmp_path / "probe" / "Default", run)
    assert not run.blank_tab.exists()
    clone = tmp_path / "clone" / "Default"
    clone.mkdir(parents=True)
    assert not saved_tabs.give(clone, run)
    assert not (clone / "Sessions").exists()  # the browser opens its new tab page, as without the plugin


def test_a_removed_run_folder_is_not_made_again_by_a_late_publish(tmp_path: Path) -> None:
    run = RunFolder(tmp_path / "root", new_run_id())
    saved_session(tmp_path / "probe" / "Default")
    with pytest.raises(FileNotFoundError):
        saved_tabs.publish(tmp_path / "probe" / "Default", run)
    assert not run.path.exists()


def test_a_clone_gets_the_blank_tab(tmp_path: Path) -> None:
    run = RunFolder(tmp_path / "root", new_run_id())
    run.ensure()
    saved_session(tmp_path / "probe" / "Default")
    saved_tabs.publish(tmp_path / "probe" / "Default", run)
    clone = tmp_path / "clone" / "Default"
    clone.mkdir(parents=True)
    assert saved_tabs.give(clone, run)
    assert {p.name: p.read_bytes() for p in (clone / "Sessions").iterdir()} == {
        "Session_13440000000000002": b"SNSS about:blank"
    }
    if POSIX_MODES:  # Windows: the user profile's ACLs, no file modes
        assert {stat.S_IMODE(p.stat().st_mode) for p in (clone / "Sessions").rglob("*")} == {0o600}


def test_workers_wait_for_the_controller_until_it_publishes_or_the_deadline(tmp_path: Path) -> None:
    run = RunFolder(tmp_path / "root", new_run_id())
    lock = saved_tabs.claim(run)
    assert not saved_tabs.wait_until_settled(run, timeout=0.2)  # held, and the deadline passes: go without
    saved_session(tmp_path / "probe" / "Default")

    def controller() -> None:
        saved_tabs.publish(tmp_path / "probe" / "Default", run)
        lock.release()

    waiting = threading.Event()
    result: list[bool] = []
    worker = threading.Thread(target=lambda: (waiting.set(), result.append(saved_tabs.wait_until_settled(run, 30))))
    worker.start()
    waiting.wait(10)
    threading.Thread(target=controller).start()  # released by another thread than the one that claimed it
    worker.join(30)
    assert result == [True]


def test_a_worker_that_starts_after_the_controller_is_done_does_not_wait(tmp_path: Path) -> None:
    run = RunFolder(tmp_path / "root", new_run_id())
    saved_tabs.claim(run).release()
    saved_session(tmp_path / "probe" / "Default")
    saved_tabs.publish(tmp_path / "probe" / "Default", run)
    assert saved_tabs.wait_until_settled(run, timeout=0)  # e.g. xdist's replacement for a crashed worker
