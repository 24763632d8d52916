"""What a user data dir holds: its Local State, its profiles, and which of their files a clone needs.

The rules (listed in the README, "How a profile flows"): caches are skipped (most of a daily profile's bytes),
lock and singleton files are never copied (a copied socket hands the clone's launch to the user's real browser).
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ProfileCorruptError, ProfileNotFoundError

LOCAL_STATE = "Local State"
PREFERENCES = "Preferences"
SECURE_PREFERENCES = "Secure Preferences"

# Never copied anywhere in the tree: a copied singleton can hand the clone's launch to, or kill, the real browser.
NEVER_COPY = frozenset(
    {"SingletonLock", "SingletonSocket", "SingletonCookie", "lockfile", "DevToolsActivePort", "LOCK"}
)
# LevelDB's LOCK files are empty placeholders; the clone's browser makes its own.

# The tabs open when a browser last closed on the profile (folders today, files in older versions): the base's are
# never copied, and a clone's are dropped before each browser start, or --restore-last-session would reopen the
# previous test's pages in the next test's browser.
OPEN_TABS = ("Sessions", "Sessions_Encrypted", "Current Session", "Current Tabs", "Last Session", "Last Tabs")
# Today's layout of the open tabs: Sessions/Session_<time> (the windows and tabs), Sessions/Tabs_<time> (recently
# closed tabs, never kept).
SESSIONS = "Sessions"
SESSION_FILES = "Session_*"

# Skipped inside the profile folder (relative paths, glob patterns allowed).
PROFILE_SKIP = (
    "Cache",
    "Code Cache",
    "GPUCache",
    "DawnCache",
    "DawnGraphiteCache",
    "DawnWebGPUCache",
    "Shared Dictionary",
    "Service Worker/CacheStorage",
    "Service Worker/ScriptCache",
    "blob_storage",
    "Media Cache",
    "optimization_guide_*",
    "Download Service",
    "Feature Engagement Tracker",
    *OPEN_TABS,
)
# Kept at the user data dir's root; every other root entry (caches, other profiles) is dropped.
ROOT_KEEP = frozenset({LOCAL_STATE, "First Run", "Last Version"})

# The files whose absence or damage means the clone cannot be logged in.
KEY_FILES = (PREFERENCES, SECURE_PREFERENCES, "Cookies", "Network/Cookies", "Login Data", "Web Data")


@dataclass(frozen=True)
class ProfileInfo:
    """One profile of a user data dir: its folder name and the name the browser shows for it."""

    folder: str
    display_name: str


# What to do about a damaged file. Local State holds the cookie key: a browser that rewrites it makes a new key
# and the profile's cookies are lost, so the advice differs from the other files'.
REPAIR = {
    LOCAL_STATE: "restore it from a backup, or sign in once into a fresh base profile and use that",
    PREFERENCES: "open the profile once in the browser so it rewrites the file, or use another profile",
}
DEFAULT_REPAIR = "open the profile once in the browser so it repairs the file, or use another profile"


def repair_hint(path: Path) -> str:
    return REPAIR.get(path.name, DEFAULT_REPAIR)


def read_json(path: Path) -> dict[str, Any]:
    """Read a browser JSON file; damage is a ``ProfileCorruptError`` that names the file and what to do."""
    try:
        with path.open("rb") as handle:
            data = json.loads(handle.read().decode("utf-8"))
    except FileNotFoundError:
        raise ProfileCorruptError(
            f"{path} is missing, so this is not a complete profile; {repair_hint(path)}.", path
        ) from None
    except PermissionError:
        raise ProfileCorruptError(
            f"{path} cannot be read (permission denied); make it readable by this user.", path
        ) from None
    except OSError as exc:
        raise ProfileCorruptError(
            f"{path} cannot be read ({exc.strerror or exc}); {repair_hint(path)}.", path
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProfileCorruptError(
            f"{path} is not valid JSON ({exc.__class__.__name__}: {exc}); the profile is damaged: {repair_hint(path)}.",
            path,
        ) from None
    if not isinstance(data, dict):
        raise ProfileCorruptError(
            f"{path} does not hold a JSON object; the profile is damaged: {repair_hint(path)}.", path
        )
    return data


def _info_cache(user_data_dir: Path, state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Local State's ``profile.info_cache``, checked for the shape the browser itself needs."""
    path = user_data_dir / LOCAL_STATE
    profile = state.get("profile", {})
    cache = profile.get("info_cache", {}) if isinstance(profile, dict) else None
    if not isinstance(cache, dict):
        raise ProfileCorruptError(
            f"{path} has a 'profile' section of the wrong shape (the browser cannot read it); the file is damaged: "
            f"{repair_hint(path)}.",
            path,
        )
    for folder, info in cache.items():
        if not isinstance(info, dict):
            raise ProfileCorruptError(
                f"{path} describes profile {folder!r} with {type(info).__name__} instead of an object (the browser "
                f"would not start on it); the file is damaged: {repair_hint(path)}.",
                path,
            )
    return cache


def list_profiles(user_data_dir: Path, local_state: dict[str, Any] | None = None) -> list[ProfileInfo]:
    """Profiles known to Local State plus profile folders on disk, in folder-name order."""
    state = local_state if local_state is not None else read_json(user_data_dir / LOCAL_STATE)
    found: dict[str, str] = {}
    for folder, info in _info_cache(user_data_dir, state).items():
        if (user_data_dir / folder).is_dir():
            found[folder] = str(info.get("name") or folder)
    for entry in user_data_dir.iterdir() if user_data_dir.is_dir() else ():
        if entry.name not in found and entry.is_dir() and (entry / PREFERENCES).is_file():
            found[entry.name] = entry.name
    return [ProfileInfo(folder, name) for folder, name in sorted(found.items())]


def resolve_profile(user_data_dir: Path, wanted: str, local_state: dict[str, Any] | None = None) -> ProfileInfo:
    """Find a profile by folder name, else by display name (case-insensitive)."""
    profiles = list_profiles(user_data_dir, local_state)
    for info in profiles:
        if info.folder == wanted:
            return info
    matches = [info for info in profiles if info.display_name.casefold() == wanted.casefold()]
    if len(matches) == 1:
        return matches[0]
    available = ", ".join(f"'{p.folder}' ({p.display_name})" for p in profiles) or "none"
    if len(matches) > 1:
        raise ProfileNotFoundError(
            f"profile {wanted!r} matches several display names in {user_data_dir}: "
            f"{', '.join(p.folder for p in matches)}; give the folder name instead.",
            user_data_dir,
            wanted,
        )
    raise ProfileNotFoundError(
        f"profile {wanted!r} is not in {user_data_dir}; available profiles: {available}. "
        "Set --edgeprofile-profile to one of these folder or display names.",
        user_data_dir,
        wanted,
    )


def is_skipped_in_profile(relative: str) -> bool:
    """True for cache folders (and their contents) inside a profile folder; ``relative`` uses '/'."""
    parts = relative.split("/")
    for pattern in PROFILE_SKIP:
        pattern_parts = pattern.split("/")
        if len(parts) >= len(pattern_parts) and all(
            fnmatch.fnmatchcase(part, pat) for part, pat in zip(parts, pattern_parts, strict=False)
        ):
            return True
    return False


def trim_local_state(state: dict[str, Any], folder: str) -> dict[str, Any]:
    """Local State that lists only ``folder``: other profiles are not copied and must not be offered."""
    trimmed: dict[str, Any] = json.loads(json.dumps(state))
    profile = trimmed.setdefault("profile", {})
    cache = profile.get("info_cache", {})
    if isinstance(cache, dict):
        profile["info_cache"] = {k: v for k, v in cache.items() if k == folder}
    profile["last_used"] = folder
    profile["last_active_profiles"] = [folder]
    if isinstance(profile.get("profiles_order"), list):
        profile["profiles_order"] = [folder]
    profile["picker_shown"] = True
    # A copy of a closed profile must not ask "Restore pages?" nor open the profile picker.
    profile["show_picker_on_startup"] = False
    return trimmed


def mark_clean_exit(preferences: dict[str, Any]) -> dict[str, Any]:
    """Preferences that say the last session ended normally, so no "Restore pages?" bubble appears."""
    updated: dict[str, Any] = json.loads(json.dumps(preferences))
    profile = updated.setdefault("profile", {})
    profile["exit_type"] = "Normal"
    profile["exited_cleanly"] = True
    return updated


# Where a profile keeps encrypted secrets: (database, column). Their first three bytes name the scheme.
ENCRYPTED_COLUMNS = (
    ("Cookies", "encrypted_value"),
    ("Network/Cookies", "encrypted_value"),
    ("Login Data", "password_value"),
)


def encryption_versions(profile_dir: Path) -> set[str]:
    """The encryption schemes ("v10", "v11", "v20") of the profile's cookies and saved passwords."""
    import sqlite3
    from urllib.parse import quote

    found: set[str] = set()
    for name, column in ENCRYPTED_COLUMNS:
        path = profile_dir / name
        if not path.is_file():
            continue
        try:
            connection = sqlite3.connect(f"file:{quote(str(path))}?mode=ro&immutable=1", uri=True)
            try:
                table = "cookies" if column == "encrypted_value" else "logins"
                rows = connection.execute(
                    f"SELECT DISTINCT substr({column}, 1, 3) FROM {table} WHERE length({column}) > 3"
                ).fetchall()
            finally:
                connection.close()
        except sqlite3.Error:
            continue  # verification reports a damaged database; this only tunes the browser's switches
        found.update(bytes(row[0]).decode("ascii", "replace") for row in rows if row[0])
    return found


def needs_keyring(profile_dir: Path, system: str) -> bool:
    """Whether the browser must use the OS keyring to read this profile's secrets.

    Only Linux lets the browser choose: "v10" secrets use a fixed key (``--password-store=basic`` reads them),
    "v11" ones need the desktop keyring. Elsewhere the OS store is always used, so keep the driver's switches off.
    """
    if system != "Linux":
        return True
    return "v11" in encryption_versions(profile_dir)
