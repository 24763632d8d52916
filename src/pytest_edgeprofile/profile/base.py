"""Step 1: the base profile. Check it before anything is copied; never write to it.

Every check raises a ``ProfileError`` whose message names the path and what to do, so the controller can
stop the run with one sentence before any worker starts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import processes
from ..errors import CloneError, ProfileCorruptError, ProfileInUseError, ProfileNotFoundError, VerificationError
from .integrity import CRITICAL_SQLITE, check_sqlite
from .layout import KEY_FILES, LOCAL_STATE, PREFERENCES, ProfileInfo, read_json, repair_hint, resolve_profile
from .snapshot import snapshot_obstacle


@dataclass(frozen=True)
class BaseProfile:
    """A checked base: its user data dir, the chosen profile and its Local State as read."""

    user_data_dir: Path
    profile: ProfileInfo
    local_state: dict[str, Any]

    @property
    def profile_dir(self) -> Path:
        return self.user_data_dir / self.profile.folder


def _check_readable(path: Path) -> None:
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except PermissionError:
        raise ProfileCorruptError(
            f"{path} cannot be read (permission denied); the base profile must be readable by this user.", path
        ) from None
    except OSError as exc:
        raise ProfileCorruptError(
            f"{path} cannot be read ({exc.strerror or exc}); the profile is damaged: {repair_hint(path)}.", path
        ) from None


def origin(sources: Mapping[str, str] | None, name: str) -> str:
    """' (from env X)' for a message, or ' (the default)'; empty when the caller knows no sources."""
    if sources is None:
        return ""
    source = sources.get(name, "default")
    if source != "default":
        return f" (from {source})"
    return " (the default for this browser and channel)" if name == "user-data-dir" else " (the default)"


def version_page(browser: str | None) -> str:
    """Where the browser shows its user data dir: edge://version in Edge, chrome://version in Chrome and Chromium."""
    if browser == "edge":
        return "edge://version"
    if browser in ("chrome", "chromium"):
        return "chrome://version"
    return "edge://version in Edge, chrome://version in Chrome and Chromium,"


def check_base(
    user_data_dir: Path,
    profile: str,
    *,
    check_in_use: bool = True,
    sources: Mapping[str, str] | None = None,
    browser: str | None = None,
    base_in_use: str = "refuse",
) -> BaseProfile:
    """Check that ``user_data_dir`` is a closed, readable user data dir that holds ``profile``.

    ``browser`` (edge, chrome, chromium) only picks the version page the messages point to.

    ``base_in_use`` is the setting of that name: with ``snapshot`` a base open in a running browser passes, unless
    no snapshot of it can be made (``snapshot.snapshot_obstacle``), which is then the one sentence raised.
    """
    root = user_data_dir
    _check_user_data_dir(root, profile, sources, browser)
    local_state = read_json(root / LOCAL_STATE)
    info = _resolve(root, profile, local_state, sources)
    profile_dir = root / info.folder
    live = processes.profile_holder(root) if check_in_use and base_in_use == "snapshot" else None
    if live is not None:
        _check_snapshot_possible(root, profile_dir, live, sources)
    read_json(profile_dir / PREFERENCES)
    for name in KEY_FILES:
        if (profile_dir / name).exists():
            _check_readable(profile_dir / name)
    if live is None:  # a live database read without its lock may look torn: a snapshot's copy is checked instead
        _check_cookie_database(profile_dir)
    if check_in_use and base_in_use != "snapshot":
        holder = processes.profile_holder(root)
        if holder is not None:
            raise ProfileInUseError(
                f"the base profile {root} is in use by {holder.describe()}; close that browser (all its windows, "
                "including background apps) and run again. The plugin never copies a profile while it is open.",
                root,
                holder.pid,
                holder.program,
            )
    return BaseProfile(root, info, local_state)


def _check_user_data_dir(root: Path, profile: str, sources: Mapping[str, str] | None, browser: str | None) -> None:
    """A folder that holds a real Local State file, or one sentence on what the user pointed at instead."""
    where = origin(sources, "user-data-dir")
    what_to_do = (
        f"set --edgeprofile-user-data-dir to the browser's 'User Data' folder ({version_page(browser)} shows "
        "it as the parent of 'Profile path')"
    )
    if not root.exists():
        raise ProfileNotFoundError(f"the base user data dir {root}{where} does not exist; {what_to_do}.", root, profile)
    if not root.is_dir():
        raise ProfileNotFoundError(
            f"the base user data dir {root}{where} is a file, not a folder; {what_to_do}.", root, profile
        )
    if (root / LOCAL_STATE).is_symlink():
        raise ProfileCorruptError(
            f"{root / LOCAL_STATE} is a symbolic link, and links are never followed; the base must hold the real "
            "Local State file (it carries the cookie key).",
            root / LOCAL_STATE,
        )
    if not (root / LOCAL_STATE).is_file():
        hint = (
            f" Point --edgeprofile-user-data-dir at the folder that holds it ({version_page(browser)} shows it as "
            "the parent of 'Profile path')."
        )
        if (root / PREFERENCES).is_file():
            hint = (
                f" It looks like a profile folder: use its parent {root.parent} and --edgeprofile-profile {root.name}."
            )
        raise ProfileNotFoundError(
            f"{root}{where} is not a browser user data dir: it has no 'Local State' file.{hint}", root, profile
        )


def _resolve(root: Path, profile: str, local_state: dict[str, Any], sources: Mapping[str, str] | None) -> ProfileInfo:
    try:
        return resolve_profile(root, profile, local_state)
    except ProfileNotFoundError as exc:
        if sources is None:
            raise
        raise ProfileNotFoundError(
            exc.message.replace(f"profile {profile!r} ", f"profile {profile!r}{origin(sources, 'profile')} ", 1),
            exc.path,
            profile,
        ) from None


def _check_snapshot_possible(
    root: Path, profile_dir: Path, live: processes.Holder, sources: Mapping[str, str] | None
) -> None:
    """Before the files are read: on Windows the running browser's cookie database cannot even be opened."""
    obstacle = snapshot_obstacle(profile_dir)
    if obstacle is not None:
        raise ProfileInUseError(
            f"the base profile {root} is in use by {live.describe()}, and base-in-use 'snapshot'"
            f"{origin(sources, 'base-in-use')} cannot copy it: {obstacle}. Close that browser and run again, or "
            "sign in once into a dedicated base with `edgeprofile login URL` and use that.",
            root,
            live.pid,
            live.program,
        )


def _check_cookie_database(profile_dir: Path) -> None:
    for name in CRITICAL_SQLITE:
        if (profile_dir / name).is_file():
            try:
                check_sqlite(profile_dir / name)
            except VerificationError as exc:
                raise ProfileCorruptError(
                    f"the base profile's cookie database is damaged: {exc} Open the profile in the browser once "
                    "(it repairs or recreates the file) or choose another profile.",
                    profile_dir / name,
                ) from None


def check_clone_root(clone_root: Path, user_data_dir: Path, sources: Mapping[str, str] | None = None) -> None:
    """The clone root must be a writable folder apart from the base: a clone must never land in the base."""
    root = Path(os.path.realpath(clone_root))
    base = Path(os.path.realpath(user_data_dir))
    where = origin(sources, "clone-root")
    if root == base or base in root.parents or root in base.parents:
        raise CloneError(
            f"the clone root {clone_root}{where} overlaps the base user data dir {user_data_dir}; choose a clone "
            "root outside it (and not one of its parents).",
            clone_root,
        )
    existing = next((p for p in (root, *root.parents) if p.exists()), None)
    if existing is None or not existing.is_dir():
        raise CloneError(
            f"the clone root {clone_root}{where} cannot be made: {existing} is not a folder; choose another "
            "--edgeprofile-clone-root.",
            clone_root,
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise CloneError(
            f"the clone root {clone_root}{where} is not writable by this user ({existing}); choose another "
            "--edgeprofile-clone-root.",
            clone_root,
        )
