"""Step 3: a worker's clone. Each worker (or the single process without xdist) copies the golden copy."""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

from ..processes import end_processes, processes_using
from .copying import CopyStats, copy_tree
from .layout import OPEN_TABS
from .run import RunFolder


def make_clone(run: RunFolder, worker_id: str) -> tuple[Path, CopyStats]:
    """Copy the golden copy to this worker's folder, replacing an earlier clone of the same worker."""
    target = run.worker(worker_id)
    building = run.workers / f".{worker_id}-{secrets.token_hex(4)}"
    stats = copy_tree(run.golden, building)
    if target.exists():
        shutil.rmtree(target)
    building.rename(target)
    return target, stats


def discard_clone(run: RunFolder, worker_id: str) -> None:
    """Remove one clone of ``run`` (a worker's, or a throwaway one), ending any browser still on it first."""
    path = run.worker(worker_id)
    end_processes(processes_using(path))
    shutil.rmtree(path, ignore_errors=True)


def forget_open_tabs(profile_path: Path) -> None:
    """Before a browser starts on a clone: drop the tabs the last browser there left open, so none are restored."""
    for name in OPEN_TABS:
        path = profile_path / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
