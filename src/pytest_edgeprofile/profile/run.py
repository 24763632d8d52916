"""A run's folder under the clone root: private, unguessable, and marked as ours so cleanup can prove it.

<clone root>/                  0700, one per user
  run-<random>/                one per pytest run
    .edgeprofile-run.json      the marker: run id, host, pid, start time
    golden/                    the trimmed golden copy (a user data dir)
    workers/<worker id>/       each worker's clone (a user data dir)
    blank-tab/                 the saved tabs of a browser whose one tab is about:blank (see browser.blank_tab)
    locks/                     file locks shared by the run's processes
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import stat
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import CloneError

MARKER = ".edgeprofile-run.json"
TOOL = "pytest-edgeprofile"
RUN_PREFIX = "run-"


def new_run_id() -> str:
    """128 random bits: a run folder's name must not be guessable by other users of the machine."""
    return secrets.token_hex(16)


def ensure_private_dir(path: Path) -> None:
    """Make ``path`` (and missing parents) a folder only this user can enter; refuse one owned by someone else."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = path.lstat()
    except OSError as exc:
        raise CloneError(
            f"the folder {path} cannot be made ({exc.strerror or exc}); choose another --edgeprofile-clone-root.", path
        ) from None
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise CloneError(
            f"{path} is not a plain folder (a link or a file); choose another --edgeprofile-clone-root.", path
        )
    if sys.platform != "win32":
        if info.st_uid != os.getuid():
            raise CloneError(f"{path} belongs to another user; choose another --edgeprofile-clone-root.", path)
        if stat.S_IMODE(info.st_mode) != 0o700:
            os.chmod(path, 0o700)


def write_private(path: Path, data: bytes) -> None:
    """Write ``path`` readable by this user only (replacing an older file, whatever its permissions)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
    with open(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)


@dataclass(frozen=True)
class RunFolder:
    """The folder of one run; its paths are fixed by the run id, so every worker finds the same ones."""

    clone_root: Path
    run_id: str
    owner_pid: int | None = None  # the controller's pid (workers write the marker on its behalf)

    @property
    def path(self) -> Path:
        return self.clone_root / f"{RUN_PREFIX}{self.run_id}"

    @property
    def golden(self) -> Path:
        return self.path / "golden"

    @property
    def workers(self) -> Path:
        return self.path / "workers"

    @property
    def blank_tab(self) -> Path:
        return self.path / "blank-tab"

    def worker(self, worker_id: str) -> Path:
        return self.workers / worker_id

    def lock(self, name: str) -> Path:
        return self.path / "locks" / f"{name}.lock"

    def ensure(self) -> Path:
        """Make the run folder and its marker once; safe to call from every process of the run."""
        ensure_private_dir(self.clone_root)
        ensure_private_dir(self.path)
        for sub in ("workers", "locks"):
            ensure_private_dir(self.path / sub)
        marker = self.path / MARKER
        if not marker.exists():
            record = {
                "tool": TOOL,
                "run_id": self.run_id,
                "host": socket.gethostname(),
                "pid": self.owner_pid or os.getpid(),
                "started": time.time(),
            }
            try:
                fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return self.path  # another process of this run wrote it first
            with open(fd, "w", encoding="utf-8") as handle:
                json.dump(record, handle)
        return self.path


def mark_kept(run_path: Path) -> None:
    """Note in the marker that the user asked to keep this run: automatic sweeps leave it alone."""
    marker = read_marker(run_path)
    if marker is not None:
        marker["kept"] = True
        (run_path / MARKER).write_text(json.dumps(marker), encoding="utf-8")


def read_marker(run_path: Path) -> dict[str, Any] | None:
    """The marker of a run folder, or None when the folder is not provably ours."""
    marker = run_path / MARKER
    try:
        if run_path.is_symlink() or marker.is_symlink():
            return None
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("tool") != TOOL:
        return None
    if run_path.name != f"{RUN_PREFIX}{data.get('run_id')}":
        return None
    return data
