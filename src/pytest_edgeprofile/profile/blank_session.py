"""Step 3b: the run's blank session, the saved tabs of a browser whose one tab is about:blank.

Browsers start on clones with --restore-last-session (session cookies need it), so they open what the last
session left; with nothing to restore they open the new tab page, a WebUI page that cost a third of a browser's
CPU from start to first page (measured on Chromium 156) and that on Edge loads MSN. The controller makes this
session once per run on a throwaway clone while xdist starts the workers (without xdist, alongside the first
browser; ``session.WorkerSession.start_blank_session``), and every browser start restores it: each test's browser
opens about:blank, as on chromedriver's own throwaway profiles.

    <run>/blank-session/Session_<time>   published whole, by renaming a finished folder into place
    <run>/locks/blank-session.lock        held by the controller until the session is published or given up

It holds only the session file (the tab's URL, about:blank, and the new tab page it replaced), never the
recently-closed-tabs file, and it is removed with the run folder.
"""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

from filelock import FileLock, Timeout

from ..errors import CloneError
from .copying import copy_tree
from .layout import SESSION_FILES, SESSIONS
from .run import RunFolder


def claim(run: RunFolder) -> FileLock:
    """Controller, before the workers start: hold the lock that tells them a blank session is being made."""
    run.ensure()
    lock = FileLock(str(run.lock("blank-session")), thread_local=False)  # released by the thread that makes it
    lock.acquire()
    return lock


def publish(profile_path: Path, run: RunFolder) -> bool:
    """Keep the session the browser on ``profile_path`` saved when it quit as the run's blank session."""
    files = sorted((profile_path / SESSIONS).glob(SESSION_FILES))
    if not files:
        return False  # a browser that keeps its tabs elsewhere: its browsers open the new tab page as before
    newest = files[-1].name  # a fresh clone has only one
    building = run.path / f".blank-session-{secrets.token_hex(4)}"
    copy_tree(profile_path / SESSIONS, building, lambda rel, _is_dir: rel == newest)  # private, or nothing
    try:
        building.rename(run.blank_session)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return True


def wait_until_settled(run: RunFolder, timeout: float) -> bool:
    """A worker, before its first browser: wait for the controller to publish or give up (at most ``timeout``
    seconds); True when there is a blank session."""
    try:
        with FileLock(str(run.lock("blank-session")), timeout=timeout):
            pass
    except Timeout:
        return False
    return run.blank_session.is_dir()


def give(profile_path: Path, run: RunFolder) -> bool:
    """Before a browser starts on a clone whose open tabs were dropped: give it the run's blank session."""
    if not run.blank_session.is_dir():
        return False
    try:
        copy_tree(run.blank_session, profile_path / SESSIONS)
    except (OSError, CloneError):  # tabs that could not be dropped: the browser starts on what is there
        return False
    return True
