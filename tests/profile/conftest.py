"""A real Chromium base profile dressed like a daily one: caches, a second profile, stale locks, a stray link."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from pathlib import Path

import pytest

from tests.support.profiles import CACHE_BYTES, CACHES
from tests.support.systems import WINDOWS


@pytest.fixture
def daily_base(base_copy: Path, tmp_path: Path) -> Path:
    """The logged-in base plus what a daily profile also holds (each cache file 64 KiB)."""
    root = base_copy
    for rel in CACHES:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if rel == "Profile 1/Preferences":
            path.write_text(json.dumps({"profile": {"name": "Work"}}))
        elif rel == "Profile 1/Cookies":
            with sqlite3.connect(path) as db:
                db.execute("CREATE TABLE cookies (host_key TEXT, name TEXT, encrypted_value BLOB)")
                db.execute("INSERT INTO cookies VALUES ('example.com', 'work_session', x'7631300000')")
        else:
            path.write_bytes(os.urandom(CACHE_BYTES))
    for rel in (
        "Default/Service Worker/Database/000003.log",
        "Default/IndexedDB/http_127.0.0.1_0.indexeddb.leveldb/000003.log",
    ):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"kept data " * 100)
    (root / "Default" / "LOCK").write_bytes(b"")
    (root / "DevToolsActivePort").write_text("9222\n/devtools/browser/x")
    # Locks left by a browser on another machine: stale here, and never to be copied. POSIX Chromium makes them
    # links; on Windows (where a link needs a privilege) they are plain files of the same names, and the lock a
    # Windows browser leaves is "lockfile".
    outside = tmp_path / "outside.txt"
    outside.write_text("not part of the profile")
    if WINDOWS:
        for name in ("SingletonLock", "SingletonSocket", "SingletonCookie", "lockfile"):
            (root / name).write_bytes(b"")
        with contextlib.suppress(OSError):  # without the link privilege, the never-follow case runs elsewhere
            os.symlink(outside, root / "Default" / "stray link")
    else:
        os.symlink("otherhost-12345", root / "SingletonLock")
        os.symlink(str(tmp_path / "no-socket"), root / "SingletonSocket")
        os.symlink("123456789", root / "SingletonCookie")
        os.symlink(outside, root / "Default" / "stray link")
    state = json.loads((root / "Local State").read_text())
    state.setdefault("profile", {}).setdefault("info_cache", {})["Profile 1"] = {"name": "Work"}
    state["os_crypt"] = {**state.get("os_crypt", {}), "encrypted_key": "RFBBUEkBAAAA-test-key"}
    (root / "Local State").write_text(json.dumps(state))
    return root
