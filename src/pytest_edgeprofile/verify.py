"""Step 4: verification. Prove a clone is sound on disk and that the browser really runs on it."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .errors import ProfileCorruptError, VerificationError
from .profile.layout import LOCAL_STATE, PREFERENCES, read_json

SQLITE_FILES = ("Cookies", "Network/Cookies", "Login Data", "Web Data")


def _encrypted_key(local_state: Mapping[str, Any]) -> object:
    os_crypt = local_state.get("os_crypt")
    return os_crypt.get("encrypted_key") if isinstance(os_crypt, dict) else None


def check_sqlite(path: Path) -> None:
    """Open a database read-only and run SQLite's quick integrity check."""
    uri = f"file:{quote(str(path))}?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=5)
        try:
            rows = connection.execute("PRAGMA quick_check").fetchall()
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise VerificationError(f"{path} is not a readable SQLite database ({exc}).", path, "files") from None
    if [row[0] for row in rows] != ["ok"]:
        raise VerificationError(f"{path} fails SQLite's integrity check: {rows[0][0]}.", path, "files")


def verify_files(clone: Path, profile_folder: str, reference: Path) -> None:
    """The clone's key files are sound, it has the reference's encryption key, and no link leaves it."""
    try:
        state = read_json(clone / LOCAL_STATE)
        read_json(clone / profile_folder / PREFERENCES)
        expected_key = _encrypted_key(read_json(reference / LOCAL_STATE))
    except ProfileCorruptError as exc:
        raise VerificationError(str(exc), exc.path, "files") from None
    if expected_key is not None and _encrypted_key(state) != expected_key:
        raise VerificationError(
            f"{clone / LOCAL_STATE} lacks the base's cookie encryption key (os_crypt.encrypted_key); the clone "
            "would start logged out.",
            clone / LOCAL_STATE, "files",
        )
    for name in SQLITE_FILES:
        if (clone / profile_folder / name).is_file():
            check_sqlite(clone / profile_folder / name)
    real_clone = os.path.realpath(clone)
    for root, dirs, files in os.walk(clone):
        for name in dirs + files:
            path = os.path.join(root, name)
            if os.path.islink(path) and not os.path.realpath(path).startswith(real_clone + os.sep):
                raise VerificationError(
                    f"{path} is a link that points outside the clone, to {os.path.realpath(path)}.", path, "files"
                )


def verify_capabilities(capabilities: Mapping[str, Any], vendor: str, clone: Path) -> dict[str, str]:
    """The new session's capabilities name the clone as the browser's user data dir; returns versions."""
    vendor_caps = capabilities.get(vendor)
    reported = vendor_caps.get("userDataDir") if isinstance(vendor_caps, dict) else None
    if not reported or os.path.realpath(str(reported)) != os.path.realpath(clone):
        raise VerificationError(
            f"the browser reports {reported or 'no user data dir'} as its user data dir ({vendor}.userDataDir), "
            f"not the clone {clone}; another --user-data-dir in the browser arguments may override it.",
            clone, "capabilities",
        )
    driver_version = vendor_caps.get(f"{vendor}driverVersion", "") if isinstance(vendor_caps, dict) else ""
    return {
        "browser_version": str(capabilities.get("browserVersion", "")),
        "driver_version": str(driver_version).split(" ")[0],
    }
