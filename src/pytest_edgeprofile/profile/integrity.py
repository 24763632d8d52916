"""Step 2b: the files a logged-in clone cannot do without are sound. Used on the golden copy before any worker
clones it, and by each clone's ``files`` verification: one check for both. Reads only; never writes a profile."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..errors import ProfileCorruptError, VerificationError
from .layout import LOCAL_STATE, PREFERENCES, read_json

# Without these the clone is logged out; damage to the others (saved passwords, autofill) only degrades it.
CRITICAL_SQLITE = ("Cookies", "Network/Cookies")
OTHER_SQLITE = ("Login Data", "Web Data")


def _encrypted_key(local_state: Mapping[str, Any]) -> object:
    os_crypt = local_state.get("os_crypt")
    return os_crypt.get("encrypted_key") if isinstance(os_crypt, dict) else None


def check_sqlite(path: Path) -> None:
    """Open a database read-only and run SQLite's quick integrity check."""
    # immutable: SQLite takes no lock and writes nothing, not even a journal (this may read the user's base)
    uri = f"file:{quote(str(path))}?mode=ro&immutable=1"
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
            clone / LOCAL_STATE,
            "files",
        )
    for name in CRITICAL_SQLITE:
        if (clone / profile_folder / name).is_file():
            check_sqlite(clone / profile_folder / name)
    real_clone = os.path.realpath(clone)
    for root, dirs, files in os.walk(clone):
        for name in dirs + files:
            path = os.path.join(root, name)
            target = os.path.realpath(path)
            if os.path.islink(path) and target != real_clone and not target.startswith(real_clone + os.sep):
                raise VerificationError(f"{path} is a link that points outside the clone, to {target}.", path, "files")
    for name in OTHER_SQLITE:
        if (clone / profile_folder / name).is_file():
            try:
                check_sqlite(clone / profile_folder / name)
            except VerificationError as exc:
                raise VerificationError(exc.message, exc.path, "files", critical=False) from None
