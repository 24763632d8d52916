"""Step 2: the golden copy. Once per run, under a file lock: the base trimmed to what a logged-in clone needs.

It holds Local State (listing only the chosen profile) and that profile's folder without caches, locks or
singleton files, with Preferences saying the last exit was clean. Workers clone this copy, never the base.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from .. import processes
from ..errors import CloneError, ProfileError, ProfileInUseError, VerificationError
from .base import BaseProfile, check_base, check_clone_root
from .copying import CopyStats, Include, Progress, copy_tree
from .integrity import CRITICAL_SQLITE, verify_files
from .layout import (
    LOCAL_STATE,
    NEVER_COPY,
    PREFERENCES,
    ROOT_KEEP,
    is_skipped_in_profile,
    mark_clean_exit,
    read_json,
    trim_local_state,
)
from .run import RunFolder, write_private
from .snapshot import snapshot_tree

GOLDEN_LOCK_TIMEOUT = 600.0


def write_private_json(path: Path, data: dict[str, Any]) -> None:
    """Write a browser JSON file into a copy (never into the base), readable by this user only."""
    write_private(path, json.dumps(data, separators=(",", ":")).encode("utf-8"))


def golden_filter(profile_folder: str) -> Include:
    """Keep Local State and a few root files, and the chosen profile's folder without caches and locks."""

    def include(relative: str, is_dir: bool) -> bool:
        top, _, rest = relative.partition("/")
        if top != profile_folder:
            return not rest and not is_dir and top in ROOT_KEEP
        if not rest:
            return is_dir
        return rest.rsplit("/", 1)[-1] not in NEVER_COPY and not is_skipped_in_profile(rest)

    return include


def build_golden(
    base: BaseProfile, target: Path, progress: Progress | None = None, *, base_in_use: str = "refuse"
) -> CopyStats:
    """Copy ``base`` into the new folder ``target`` as a golden copy; ``target`` must not exist.

    With ``base_in_use="snapshot"`` the copy is a consistent snapshot (``snapshot.py``) that a running browser on
    the base does not disturb; the cookie database must be in it, other databases may be left out (``left_out``).
    """
    include = golden_filter(base.profile.folder)
    if base_in_use == "snapshot":
        required = [f"{base.profile.folder}/{name}" for name in CRITICAL_SQLITE]
        stats = snapshot_tree(base.user_data_dir, target, include, required=required, progress=progress)
    else:
        stats = copy_tree(base.user_data_dir, target, include, progress=progress)
    try:
        # Written fresh into the copy: the base's own files are only ever read.
        write_private_json(target / LOCAL_STATE, trim_local_state(base.local_state, base.profile.folder))
        prefs_path = target / base.profile.folder / PREFERENCES
        write_private_json(prefs_path, mark_clean_exit(read_json(prefs_path)))
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return stats


def ensure_golden(
    user_data_dir: Path,
    profile: str,
    run: RunFolder,
    timeout: float = GOLDEN_LOCK_TIMEOUT,
    progress: Progress | None = None,
    *,
    base_in_use: str = "refuse",
    base: BaseProfile | None = None,
) -> CopyStats | None:
    """Make the run's golden copy unless another process already has; returns its stats when made here.

    The base is checked once: by the caller's preflight (``base``), else here, inside the lock, right before
    copying. A base in use is refused (``base_in_use="refuse"``) or copied as a consistent snapshot
    (``"snapshot"``); one opened while it was copied is refused after the copy. Dead runs are swept by the
    caller (the run's controller), not here.
    """
    run.ensure()
    try:
        with FileLock(str(run.lock("golden")), timeout=timeout):
            if run.golden.is_dir():
                return None
            if base is None:
                check_clone_root(run.clone_root, user_data_dir)
                base = check_base(user_data_dir, profile, base_in_use=base_in_use)
            building = run.path / f".golden-{secrets.token_hex(4)}"
            stats = _build_checked(base, building, run, progress, base_in_use)
            os.replace(building, run.golden)
            return stats
    except Timeout:
        raise CloneError(
            f"waited {timeout:.0f} s for another worker to finish the golden copy in {run.path}; that worker may "
            "be stuck. Check the run's other workers, or remove the folder and run again.",
            run.path,
        ) from None


def _build_checked(
    base: BaseProfile, building: Path, run: RunFolder, progress: Progress | None, base_in_use: str
) -> CopyStats:
    """Copy the base into ``building``, verify the copy's files, and refuse it if a browser opened the base
    meanwhile (a plain copy is consistent only while nobody holds the base). Removes ``building`` on failure."""
    stats = build_golden(base, building, progress, base_in_use=base_in_use)
    try:
        # Verified once, before any worker clones it: against the base's own Local State and files.
        verify_files(building, base.profile.folder, base.user_data_dir)
    except ProfileError as exc:
        # A non-critical failure (e.g. a damaged autofill database) is reported by each clone's own check.
        if getattr(exc, "critical", True):
            shutil.rmtree(building, ignore_errors=True)
            reason = str(exc).replace(str(building), str(base.user_data_dir))
            error = VerificationError(
                f"the golden copy of {base.user_data_dir} failed the files check, so no test was run: {reason}",
                run.golden,
                "files",
            )
            error.retryable = False  # the base itself is at fault: another clone would fail the same way
            raise error from None
    # A snapshot is consistent whoever holds the base; a plain copy is only while nobody does.
    holder = processes.profile_holder(base.user_data_dir) if base_in_use != "snapshot" else None
    if holder is not None:
        shutil.rmtree(building, ignore_errors=True)
        raise ProfileInUseError(
            f"the base profile {base.user_data_dir} was opened by {holder.describe()} while it was being "
            "copied, so the copy may be inconsistent; close that browser and run again.",
            base.user_data_dir,
            holder.pid,
            holder.program,
        )
    return stats
