"""The golden copy of a base open in a running browser: a consistent snapshot, made without disturbing it.

``base-in-use snapshot`` chooses this way of copying where the golden copy is made (``golden.build_golden``). It
walks the base with the same golden filter as the plain copy (caches, other profiles, locks and singleton files
left out unread) and reads each kind of file the way its writer lets a reader in. Nothing in the base is opened
for writing, and the browser keeps every lock it holds:

- SQLite databases: SQLite's online backup API on a read-only connection, in one pass under SQLite's own shared
  lock (held only for that pass), which yields one committed state of the database, never a torn one. Chromium
  (seen on Linux with Chromium 156; README, "Tests while your browser stays open") opens the cookie database (the
  network service's) in SQLite's normal locking mode, so it is free between the browser's commits (one every 30 s
  at most); the browser's own databases (History, Web Data, Login Data once written, Top Sites ...) use SQLite's
  default exclusive locking mode and stay locked while it runs. Those are left out after a short wait, each named
  in ``CopyStats.left_out`` (a clone works without them: no history, autofill or saved passwords). The cookie
  database is required: locked past its deadline, the snapshot fails with one sentence. Journals and
  write-ahead logs are never copied (a backup is complete without them, and a stale journal beside it would be
  "rolled back" into it). A database in write-ahead-log mode is read only while closed (no -wal, no -shm): a
  reader of an open one writes to its -shm file, and a read-only connection to a closed one makes both files.
- LevelDB folders (Local Storage, IndexedDB, Session Storage ...): ``leveldb.copy_leveldb``.
- Local State, Preferences, Secure Preferences: the browser replaces them by atomic rename. Each is read whole and
  parsed, and read again (until a deadline) if the bytes are not one JSON object.
- Everything else the filter keeps: copied as it is; a file the browser removes meanwhile is not part of the copy.

On Windows a running browser opens its cookie database exclusively (no other process can even read it), and
app-bound (v20) cookies cannot be read from any copy: ``snapshot_obstacle`` says so before anything is copied.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from ..errors import CloneError, ProfileCorruptError
from ..log import get_logger
from .copying import Building, CopyStats, Include, Progress, _FileCopier, _plan, default_threads
from .layout import LOCAL_STATE, PREFERENCES, SECURE_PREFERENCES, encryption_versions, repair_hint
from .leveldb import CURRENT, UnsettledError, copy_leveldb
from .run import write_private

SQLITE_MAGIC = b"SQLite format 3\x00"
SQLITE_HEADER = 100
COMPANIONS = ("-journal", "-wal", "-shm")
JSON_FILES = frozenset({LOCAL_STATE, PREFERENCES, SECURE_PREFERENCES})
REQUIRED_DATABASES = ("Cookies", "Network/Cookies")  # where the login is: verify.checks.CRITICAL_SQLITE
MAX_DATABASE_THREADS = 32
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6  # result codes (named in the sqlite3 module only from Python 3.11)


@dataclass(frozen=True)
class Limits:
    """How long (seconds) each kind of file may stay busy or unsettled before the snapshot gives up on it."""

    required_database: float = 10.0  # the cookie database: the snapshot fails after this
    optional_database: float = 0.25  # any other database: left out after this (Chromium's commits take ms)
    leveldb: float = 10.0
    json: float = 5.0
    poll: float = 0.02


class _Busy(Exception):
    """A database that cannot be read now without writing to or waiting on the browser; ``args[0]`` says why."""


@dataclass
class _Done:
    files: int = 0
    bytes: int = 0
    method: str = ""
    left_out: str | None = None  # "why" when the entry could not be copied
    vanished: bool = False


def snapshot_obstacle(profile_dir: Path, *, platform: str | None = None) -> str | None:
    """Why no snapshot of this profile can be made while its browser runs (a clause for a sentence), or None."""
    if (platform or sys.platform) == "win32":
        return (
            "on Windows the running browser opens the cookie database exclusively, so no other program can read "
            "it until that browser is closed"
        )
    if "v20" in encryption_versions(profile_dir):
        return (
            "its cookies are app-bound (v20), which only that browser on its own default user data dir can "
            "decrypt, so no copy of it is signed in"
        )
    return None


def probe_snapshot(profile_dir: Path, *, wait: float = 2.0) -> str | None:
    """Why a snapshot of this profile would fail now (a clause), or None: the obstacles above, then a real read of
    its cookie database through the backup API into a throwaway private folder."""
    obstacle = snapshot_obstacle(profile_dir)
    if obstacle is not None:
        return obstacle
    with tempfile.TemporaryDirectory(prefix="edgeprofile-probe-") as scratch:
        for name in REQUIRED_DATABASES:
            if (profile_dir / name).is_file():
                try:
                    backup_database(profile_dir / name, Path(scratch) / "Cookies", wait=wait)
                except (_Busy, sqlite3.Error) as exc:
                    return f"its cookie database {profile_dir / name} cannot be read now: {exc}"
                return None
    return f"it has no cookie database ({' or '.join(REQUIRED_DATABASES)} in {profile_dir})"


def _header(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(SQLITE_HEADER)
    except OSError:
        return b""


def _stamp(path: Path) -> tuple[int, int, int]:
    info = path.stat()
    return info.st_ino, info.st_size, info.st_mtime_ns


def _companions_exist(path: Path) -> bool:
    return any(os.path.lexists(f"{path}{suffix}") for suffix in ("-wal", "-shm"))


def backup_database(src: Path, dst: Path, *, wait: float, poll: float = Limits.poll) -> None:
    """One committed state of the database ``src`` into the new file ``dst`` (0600), through SQLite's backup API.

    Raises ``_Busy`` when the database stayed locked for ``wait`` seconds or cannot be read without writing
    beside it, and ``sqlite3.Error`` when it is not a readable database.
    """
    wal = _header(src)[18:19] == b"\x02"
    if wal:
        if _companions_exist(src):
            raise _Busy("in write-ahead-log mode and open in the browser (reading it would write to its -shm file)")
        before = _stamp(src)
        uri = f"file:{quote(str(src))}?immutable=1"  # closed and checkpointed: no lock needed, no -wal/-shm made
    else:
        uri = f"file:{quote(str(src))}?mode=ro"
    started = time.monotonic()

    def give_up_when_late(status: int, _remaining: int, _total: int) -> None:
        if status in (_SQLITE_BUSY, _SQLITE_LOCKED) and time.monotonic() - started > wait:
            raise _Busy(f"locked by the running browser for {wait:g} s")

    os.close(os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600))
    # timeout=0: no busy handler of SQLite's own; the deadline above decides how long to try.
    source = sqlite3.connect(uri, uri=True, timeout=0)
    try:
        target = sqlite3.connect(str(dst), timeout=0)
        try:
            # All pages in one step: SQLite's shared lock on the source is held for one read pass, no longer.
            source.backup(target, pages=-1, progress=give_up_when_late, sleep=poll)
        finally:
            target.close()
    finally:
        source.close()
    if wal and (_companions_exist(src) or _stamp(src) != before):
        raise _Busy("opened by the browser while it was being read")


def read_json_whole(path: Path, *, wait: float, poll: float = Limits.poll) -> bytes:
    """The bytes of a JSON file the browser replaces by rename, once they parse as one JSON object."""
    deadline = time.monotonic() + wait
    while True:
        try:
            data = path.read_bytes()
            if isinstance(json.loads(data.decode("utf-8")), dict):
                return data
            problem = "not a JSON object"
        except FileNotFoundError:
            problem = "missing"
        except (UnicodeDecodeError, ValueError) as exc:
            problem = f"{exc.__class__.__name__}: {exc}"
        if time.monotonic() > deadline:
            raise ProfileCorruptError(
                f"{path} did not read as one JSON object in {wait:g} s of trying while its browser ran ({problem}); "
                f"{repair_hint(path)}.",
                path,
            )
        time.sleep(poll)


@dataclass
class _Jobs:
    dirs: list[str]
    jobs: list[tuple[str, str, int, int]] = field(default_factory=list)  # kind, relative path, size, mode


def _classify(src: Path, include: Include, stats: CopyStats) -> _Jobs:
    walked = _plan(src, include, stats)
    files = {rel: (size, mode) for rel, size, mode in walked.files}
    leveldbs = {rel for rel in walked.dirs if f"{rel}/{CURRENT}" in files}
    databases = {
        rel
        for rel, (size, _mode) in files.items()
        if size >= SQLITE_HEADER and _header(src / rel).startswith(SQLITE_MAGIC)
    }
    plan = _Jobs(walked.dirs, [("leveldb", rel, 0, 0o700) for rel in sorted(leveldbs)])
    for rel, (size, mode) in sorted(files.items()):
        parent, _, name = rel.rpartition("/")
        if parent in leveldbs:
            continue  # the folder's job copies what LevelDB needs; LOCK and LOG are never copied
        companion = next((rel[: -len(s)] for s in COMPANIONS if rel.endswith(s)), None)
        if companion is not None and companion in databases:
            stats.skipped.append(rel)
        elif rel in databases:
            plan.jobs.append(("sqlite", rel, size, mode))
        elif name in JSON_FILES:
            plan.jobs.append(("json", rel, size, mode))
        else:
            plan.jobs.append(("file", rel, size, mode))
    return plan


class _Snapshot:
    def __init__(self, src: Path, dst: Path, required: Collection[str], limits: Limits) -> None:
        self.src, self.dst, self.required, self.limits = src, dst, set(required), limits
        self.copier = _FileCopier()

    def copy_file(self, src: Path, dst: Path) -> int:
        """For LevelDB's tables, which never change once written: the fastest way the filesystem allows."""
        info = src.stat()
        self.copier(str(src), str(dst), info.st_mode, info.st_size)
        return dst.stat().st_size

    def run(self, kind: str, rel: str, size: int, mode: int) -> _Done:
        src, dst = self.src / rel, self.dst / rel
        if kind == "file":
            try:
                method = self.copier(str(src), str(dst), mode, size)
            except FileNotFoundError as exc:
                if exc.filename not in (str(src), None):
                    raise
                return _Done(vanished=True)  # removed by the browser meanwhile: not part of the copy
            return _Done(1, size, method)
        if kind == "json":
            data = read_json_whole(src, wait=self.limits.json, poll=self.limits.poll)
            write_private(dst, data)
            return _Done(1, len(data), "json")
        if kind == "leveldb":
            try:
                done = copy_leveldb(src, dst, self.copy_file, wait=self.limits.leveldb)
            except UnsettledError as exc:
                return _Done(left_out=f"a LevelDB folder that {exc}")
            return _Done(done.files, done.bytes, "leveldb")
        return self.database(rel)

    def database(self, rel: str) -> _Done:
        src, dst = self.src / rel, self.dst / rel
        required = rel in self.required
        wait = self.limits.required_database if required else self.limits.optional_database
        try:
            backup_database(src, dst, wait=wait, poll=self.limits.poll)
        except (_Busy, sqlite3.Error) as exc:
            for leftover in (dst, *(Path(f"{dst}{suffix}") for suffix in COMPANIONS)):
                leftover.unlink(missing_ok=True)
            if not required:
                reason = str(exc) if isinstance(exc, _Busy) else f"not readable ({exc})"
                return _Done(left_out=reason)
            if isinstance(exc, _Busy):
                raise CloneError(
                    f"the cookie database {src} stayed {exc} while the golden copy was made, so no snapshot of the "
                    "base was taken; run again in a moment, or close that browser and run again.",
                    src,
                ) from None
            raise CloneError(
                f"the cookie database {src} cannot be read for a snapshot ({exc}); close that browser and run "
                "again, or open the profile in the browser once so it repairs the file.",
                src,
            ) from None
        return _Done(1, dst.stat().st_size, "sqlite backup")


def snapshot_tree(
    src: Path,
    dst: Path,
    include: Include,
    *,
    required: Collection[str] = (),
    limits: Limits | None = None,
    progress: Progress | None = None,
    threads: int | None = None,
) -> CopyStats:
    """Copy ``src`` to the new folder ``dst`` as one consistent state while a browser runs on it.

    ``include`` is the golden filter; ``required`` names the databases (relative paths) without which the copy
    is useless: one that cannot be read fails the snapshot, every other one is left out and named in
    ``left_out``. Folders are 0700, files 0600; on failure ``dst`` is removed.
    """
    started = time.perf_counter()
    stats = CopyStats()
    log = get_logger()
    with Building(src, dst) as building:
        plan = _classify(src, include, stats)
        snapshot = _Snapshot(src, dst, required, limits or Limits())
        total = building.total = sum(size for _kind, _rel, size, _mode in plan.jobs)
        for rel in sorted(plan.dirs, key=lambda r: r.count("/")):
            (dst / rel).mkdir(mode=0o700)
        databases = sum(1 for kind, *_ in plan.jobs if kind == "sqlite")
        # Databases mostly wait (on a lock the browser may hold for good): each its own thread, so those waits overlap.
        with (
            ThreadPoolExecutor(max_workers=threads or default_threads()) as pool,
            ThreadPoolExecutor(max_workers=max(1, min(MAX_DATABASE_THREADS, databases))) as waiting,
        ):
            futures = [(waiting if job[0] == "sqlite" else pool).submit(snapshot.run, *job) for job in plan.jobs]
            done_bytes = 0
            for future, (_kind, rel, size, _mode) in zip(futures, plan.jobs, strict=True):
                done = future.result()
                if done.left_out is not None:
                    stats.left_out.append(f"{rel}: {done.left_out}")
                    log.warning("snapshot_left_out", path=rel, reason=done.left_out)
                elif done.vanished:
                    stats.skipped.append(rel)
                else:
                    stats.methods[done.method] = stats.methods.get(done.method, 0) + 1
                    stats.files += done.files
                    stats.bytes += done.bytes
                done_bytes += size
                if progress is not None:
                    progress(done_bytes, total)
    stats.seconds = time.perf_counter() - started
    return stats
