"""Step 3b, on disk: the run's blank tab, the saved tabs (Chromium's ``Sessions/`` files) of a browser whose one
tab is about:blank, published once per run and handed to each clone before a browser starts on it.

    <run>/blank-tab/Session_<time>   published whole, by renaming a finished folder into place
    <run>/locks/blank-tab.lock        held by the controller until the blank tab is published or given up

It holds only the file of saved tabs (the tab's URL, about:blank, and the new tab page it replaced), never the
recently-closed-tabs file, and it is removed with the run folder. Who makes it and when: ``browser.blank_tab``.
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

LOCK = "blank-tab"


def claim(run: RunFolder) -> FileLock:
    """Controller, before the workers start: hold the lock that tells them a blank tab is being made."""
    run.ensure()
    lock = FileLock(str(run.lock(LOCK)), thread_local=False)  # released by the thread that makes it
    lock.acquire()
    return lock


def publish(profile_path: Path, run: RunFolder) -> bool:
    """Keep the tabs the browser on ``profile_path`` saved when it quit as the run's blank tab."""
    files = sorted((profile_path / SESSIONS).glob(SESSION_FILES))
    if not files:
        return False  # a browser that keeps its tabs elsewhere: its browsers open the new tab page as before
    newest = files[-1].name  # a fresh clone has only one
    building = run.path / f".blank-tab-{secrets.token_hex(4)}"
    copy_tree(profile_path / SESSIONS, building, lambda rel, _is_dir: rel == newest)  # private, or nothing
    try:
        building.rename(run.blank_tab)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return True


def wait_until_settled(run: RunFolder, timeout: float) -> bool:
    """A worker, before its first browser: wait for the controller to publish or give up (at most ``timeout``
    seconds); True when there is a blank tab."""
    try:
        with FileLock(str(run.lock(LOCK)), timeout=timeout):
            pass
    except Timeout:
        return False
    return run.blank_tab.is_dir()


def give(profile_path: Path, run: RunFolder) -> bool:
    """Before a browser starts on a clone whose open tabs were dropped: give it the run's blank tab."""
    if not run.blank_tab.is_dir():
        return False
    try:
        copy_tree(run.blank_tab, profile_path / SESSIONS)
    except (OSError, CloneError):  # tabs that could not be dropped: the browser starts on what is there
        return False
    return True
