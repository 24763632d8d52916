"""``edgeprofile clean``: remove what finished or killed runs left under the clone root, never a live run's.

The sweep itself decides (``profile.cleanup.sweep_dead_runs``): only folders with the plugin's marker, of this
host, whose controller process is gone; this command says what it removed and why it kept the rest.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any, TextIO

import psutil

from ..errors import ProfileError
from ..profile.cleanup import sweep_dead_runs
from ..profile.run import RUN_PREFIX, read_marker
from ..settings import Settings
from .common import origin


def kept_reason(marker: dict[str, Any]) -> str:
    """Why a marked run folder the sweep did not remove is kept."""
    host = marker.get("host")
    if host != socket.gethostname():
        return f"it belongs to a run on another machine ({host}), which only that machine can judge"
    pid = marker.get("pid")
    try:
        program = psutil.Process(int(str(pid))).name()
    except (psutil.Error, OSError, ValueError):
        return f"its run may still be live (controller pid {pid} could not be checked)"
    return f"its run is live: controller pid {pid} ({program}) is still running"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}es" if word.endswith("s") else f"{count} {word}s"


def run(resolved: Settings, out: TextIO) -> int:
    root = resolved.clone_root
    if not root.is_dir() or root.is_symlink():
        print(f"nothing to clean: the clone root {root} {origin(resolved, 'clone-root')} does not exist", file=out)
        return 0
    found: dict[Path, dict[str, Any] | None] = {
        entry: read_marker(entry)
        for entry in sorted(root.glob(f"{RUN_PREFIX}*"))
        if entry.is_dir() and not entry.is_symlink()
    }
    try:
        removals = sweep_dead_runs(root, include_kept=True)
    except OSError as exc:
        raise ProfileError(
            f"a run folder under {root} could not be removed ({exc.strerror or exc} at "
            f"{exc.filename}); end what still uses it and run `edgeprofile clean` again.",
            root,
        ) from None
    swept = {removal.path for removal in removals}
    removed = ended = kept = 0
    for removal in removals:
        if removal.removed:
            removed += 1
            ended += len(removal.ended_pids)
            print(f"removed {removal.path} (dead run; {_plural(len(removal.ended_pids), 'process')} ended)", file=out)
        else:
            print(f"left {removal.path}: {removal.reason}", file=out)
    for path, marker in found.items():
        if path in swept or not path.exists():
            continue
        if marker is None:
            print(f"left alone {path}: it has no pytest-edgeprofile marker, so it is not ours to remove", file=out)
        else:
            kept += 1
            print(f"kept {path}: {kept_reason(marker)}", file=out)
    print(
        f"{_plural(removed, 'run folder')} removed, {_plural(kept, 'live run')} kept, "
        f"{_plural(ended, 'process')} ended under {root}",
        file=out,
    )
    return 0
