"""Copying a profile tree: private, never through a link, copy-on-write where the filesystem can, threaded.

A source is only ever opened for reading. The destination must not exist yet: it is made here with private
permissions and removed again if the copy fails, so a failed copy leaves nothing behind.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CloneError

Include = Callable[[str, bool], bool]
"""Decides from a '/'-separated relative path and whether it is a folder if an entry is copied."""

_FICLONE = 0x40049409  # Linux ioctl: share the source's extents (btrfs, XFS with reflink=1)
_NO_REFLINK = {errno.EXDEV, errno.EOPNOTSUPP, errno.EINVAL, errno.ENOTTY, errno.ENOSYS, errno.EPERM}


@dataclass
class CopyStats:
    """What one copy did: counts, bytes, what it skipped and how it copied."""

    files: int = 0
    bytes: int = 0
    skipped: list[str] = field(default_factory=list)  # entries left out, never read below (caches can be GBs)
    links_skipped: list[str] = field(default_factory=list)
    methods: dict[str, int] = field(default_factory=dict)  # how many files each way of copying did
    seconds: float = 0.0
    left_out: list[str] = field(default_factory=list)  # a snapshot's "path: why" for files it could not copy

    @property
    def method(self) -> str:
        """The way most files were copied: reflink, clonefile, CopyFileW, copy_file_range or copy."""
        return max(self.methods, key=lambda name: self.methods[name]) if self.methods else "copy"


@dataclass
class _Plan:
    dirs: list[str] = field(default_factory=list)
    files: list[tuple[str, int, int]] = field(default_factory=list)  # relative path, size, mode


def _plan(src: Path, include: Include, stats: CopyStats) -> _Plan:
    plan = _Plan()
    pending = [""]
    while pending:
        rel_dir = pending.pop()
        with os.scandir(src / rel_dir if rel_dir else src) as entries:
            for entry in entries:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                if entry.is_symlink():
                    # Never followed: a link can point back into the user's real profile or loop forever.
                    stats.links_skipped.append(rel)
                    continue
                is_dir = entry.is_dir(follow_symlinks=False)
                if not include(rel, is_dir):
                    # Not walked, not even to count: a daily profile's caches are thousands of files, and
                    # reading them would make every run's start grow with the profile's size.
                    stats.skipped.append(rel)
                elif is_dir:
                    plan.dirs.append(rel)
                    pending.append(rel)
                elif entry.is_file(follow_symlinks=False):
                    info = entry.stat(follow_symlinks=False)
                    plan.files.append((rel, info.st_size, info.st_mode))
                # sockets, fifos and devices are never part of a profile worth copying
    return plan


def _reflink(src_fd: int, dst_fd: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    import fcntl

    try:
        fcntl.ioctl(dst_fd, _FICLONE, src_fd)
    except OSError as exc:
        if exc.errno in _NO_REFLINK:
            return False
        raise
    return True


def _copy_file_range(src_fd: int, dst_fd: int, size: int) -> bool:
    """Linux: let the kernel copy (in-kernel, or shared extents on filesystems that can); False if it cannot."""
    copy_range = getattr(os, "copy_file_range", None)
    if copy_range is None:
        return False
    done = 0
    try:
        while done < size:
            copied = copy_range(src_fd, dst_fd, size - done)
            if copied == 0:
                break
            done += copied
    except OSError as exc:
        if exc.errno in _NO_REFLINK | {errno.EBADF} and done == 0:
            return False
        raise
    return True


def _macos_clonefile() -> Callable[[str, str], bool] | None:
    """macOS clonefile(2) (APFS): a copy-on-write file in one call; None elsewhere."""
    if sys.platform != "darwin":
        return None
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    clonefile = libc.clonefile
    clonefile.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint32]
    clone_nofollow, clone_noownercopy = 0x0001, 0x0002

    def clone(src: str, dst: str) -> bool:
        return bool(clonefile(os.fsencode(src), os.fsencode(dst), clone_nofollow | clone_noownercopy) == 0)

    return clone


def _windows_copyfile() -> Callable[[str, str], bool] | None:
    """Windows CopyFileW: the system copy, which block-clones on ReFS and Dev Drive volumes; None elsewhere."""
    if sys.platform != "win32":
        return None
    import ctypes

    copy_file = getattr(ctypes, "windll").kernel32.CopyFileW  # noqa: B009 (windll exists on Windows only)

    def copy(src: str, dst: str) -> bool:
        return bool(copy_file(src, dst, True))  # True: fail if dst exists, like our O_EXCL

    return copy


class _FileCopier:
    """Copies one file at a time by the best means the platform offers; remembers what the filesystem refused."""

    def __init__(self) -> None:
        self.try_reflink = sys.platform.startswith("linux")
        self.try_copy_range = sys.platform.startswith("linux")
        self.system_clone = _macos_clonefile() or _windows_copyfile()

    def __call__(self, src: str, dst: str, mode: int, size: int) -> str:
        private = 0o700 if mode & stat.S_IXUSR else 0o600
        if self.system_clone is not None and self.system_clone(src, dst):
            os.chmod(dst, private)
            return "clonefile" if sys.platform == "darwin" else "CopyFileW"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        with open(src, "rb") as source:
            fd = os.open(dst, flags, private)
            with open(fd, "wb") as target:
                if self.try_reflink:
                    if _reflink(source.fileno(), target.fileno()):
                        return "reflink"
                    self.try_reflink = False
                if self.try_copy_range:
                    if _copy_file_range(source.fileno(), target.fileno(), size):
                        return "copy_file_range"
                    self.try_copy_range = False
                shutil.copyfileobj(source, target, 1 << 20)
        return "copy"


def _copy_error(exc: OSError, src: Path, dst: Path, total: int) -> CloneError:
    """One sentence for a failed copy: the file it failed on, and what to do on that side (source or target)."""
    if exc.errno == errno.ENOSPC:
        free = shutil.disk_usage(dst.parent).free
        return CloneError(
            f"not enough disk space to copy {src} into {dst.parent}: the copy needs {total / 1e6:.1f} MB and "
            f"{free / 1e6:.1f} MB are free there; free some space or set --edgeprofile-clone-root to a folder on a "
            "larger disk.",
            dst,
        )
    where = str(exc.filename or src)
    reason = exc.strerror or str(exc)
    if where == str(src) or where.startswith(str(src) + os.sep):
        return CloneError(
            f"{where} cannot be read ({reason}); make it readable by this user (the plugin only ever reads it) "
            "or choose another profile.",
            where,
        )
    return CloneError(
        f"cannot write the copy into {dst.parent} ({reason} at {where}); choose another --edgeprofile-clone-root.",
        dst,
    )


def default_threads() -> int:
    return max(2, min(8, (os.cpu_count() or 2) * 2))


Progress = Callable[[int, int], None]
"""Told (bytes copied so far, bytes to copy) as files finish."""


class Building:
    """A copy being made in the new folder ``dst``: removed whole if anything fails, and an ``OSError`` turned
    into one sentence that names the bytes the copy needed (``total``, set once known)."""

    def __init__(self, src: Path, dst: Path) -> None:
        self.src, self.dst, self.total = src, dst, 0

    def __enter__(self) -> Building:
        self.dst.mkdir(mode=0o700)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, _tb: object) -> None:
        if kind is None:
            return
        shutil.rmtree(self.dst, ignore_errors=True)
        if isinstance(exc, OSError):
            raise _copy_error(exc, self.src, self.dst, self.total) from None


def copy_tree(
    src: Path,
    dst: Path,
    include: Include | None = None,
    *,
    threads: int | None = None,
    progress: Progress | None = None,
) -> CopyStats:
    """Copy ``src`` to the new folder ``dst`` (0700 folders, 0600 files), skipping what ``include`` rejects."""
    started = time.perf_counter()
    stats = CopyStats()
    copier = _FileCopier()
    with Building(src, dst) as building:
        plan = _plan(src, include or (lambda _rel, _is_dir: True), stats)
        total = building.total = sum(size for _rel, size, _mode in plan.files)
        for rel in sorted(plan.dirs, key=lambda r: r.count("/")):
            (dst / rel).mkdir(mode=0o700)
        with ThreadPoolExecutor(max_workers=threads or default_threads()) as pool:
            jobs = [pool.submit(copier, str(src / rel), str(dst / rel), mode, size) for rel, size, mode in plan.files]
            done = 0
            for job, (_rel, size, _mode) in zip(jobs, plan.files, strict=True):
                way = job.result()
                stats.methods[way] = stats.methods.get(way, 0) + 1
                done += size
                if progress is not None:
                    progress(done, total)
    stats.files = len(plan.files)
    stats.bytes = total
    stats.seconds = time.perf_counter() - started
    return stats
