"""Step 5: cleanup. End the browsers started on a run's clones, then remove the run folder.

Only a folder that carries this plugin's marker is ever removed, links are never followed, and only
processes this run started (recorded pids checked against their start time, or a ``--user-data-dir`` inside
the run folder) are ever ended.
"""

from __future__ import annotations

import json
import shutil
import socket
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_exponential

from .. import processes
from .run import MARKER, RUN_PREFIX, read_marker

PIDS = "pids"


def record_process(run_path: Path, pid: int) -> None:
    """Note a process this run started (a driver), with its start time so a reused pid is never mistaken."""
    try:
        created = psutil.Process(pid).create_time()
    except (psutil.Error, OSError):
        return
    folder = run_path / PIDS
    folder.mkdir(mode=0o700, exist_ok=True)
    (folder / f"{pid}.json").write_text(json.dumps({"pid": pid, "created": created}), encoding="utf-8")


def recorded_processes(run_path: Path) -> list[psutil.Process]:
    """The recorded processes that are still alive and still the same process."""
    found = []
    for entry in (run_path / PIDS).glob("*.json") if (run_path / PIDS).is_dir() else ():
        try:
            data = json.loads(entry.read_text(encoding="utf-8"))
            proc = psutil.Process(int(data["pid"]))
            if abs(proc.create_time() - float(data["created"])) < 0.01:
                found.append(proc)
        except (psutil.Error, OSError, ValueError, KeyError, TypeError):
            continue
    return found


@dataclass
class Removal:
    """What one cleanup did."""

    path: Path
    removed: bool = False
    ended_pids: list[int] = field(default_factory=list)
    reason: str = ""


def end_run_processes(run_path: Path, timeout: float = 5.0) -> list[int]:
    """End the drivers this run recorded and every browser whose user data dir lies in the run folder."""
    owned = recorded_processes(run_path) + processes.processes_using(run_path)
    return processes.end_processes(owned, timeout=timeout) if owned else []


@retry(
    retry=retry_if_exception_type(OSError), stop=stop_after_delay(10), wait=wait_exponential(0.05, max=1), reraise=True
)
def _rmtree(path: Path) -> None:
    # Windows keeps a file busy for a moment after its process ended; POSIX succeeds on the first try.
    # The marker goes last: a removal cut short leaves a folder that is still provably ours, for the next sweep.
    for child in path.iterdir():
        if child.name == MARKER:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    (path / MARKER).unlink(missing_ok=True)
    path.rmdir()


def remove_run(run_path: Path, timeout: float = 5.0) -> Removal:
    """End the run's processes and remove its folder, if the folder is provably ours."""
    result = Removal(run_path)
    if not run_path.exists():
        result.reason = "already gone"
        return result
    if read_marker(run_path) is None:
        result.reason = "no pytest-edgeprofile marker: not ours, left alone"
        return result
    result.ended_pids = end_run_processes(run_path, timeout)
    _rmtree(run_path)
    result.removed = True
    return result


def _run_is_dead(marker: dict[str, object]) -> bool:
    """A run on this host whose controller process is gone (or whose pid now belongs to a newer process)."""
    if marker.get("host") != socket.gethostname():
        return False  # another machine's run on a shared disk: never ours to judge
    try:
        pid = int(str(marker.get("pid")))
        started = float(str(marker.get("started")))
        process = psutil.Process(pid)
        # A controller that was killed but never collected by its parent is a zombie: as dead as gone.
        return process.status() == psutil.STATUS_ZOMBIE or process.create_time() > started + 1.0
    except psutil.NoSuchProcess:
        return True
    except (psutil.Error, OSError, ValueError):
        return False


def sweep_dead_runs(clone_root: Path, *, exclude: Path | None = None, include_kept: bool = False) -> list[Removal]:
    """Remove the run folders under ``clone_root`` left by runs that died (SIGKILL, power loss).

    Runs kept on purpose (``keep``) are left alone unless ``include_kept`` (``edgeprofile clean``).
    """
    removals: list[Removal] = []
    if not clone_root.is_dir() or clone_root.is_symlink():
        return removals
    for entry in sorted(clone_root.glob(f"{RUN_PREFIX}*")):
        if entry == exclude or entry.is_symlink() or not entry.is_dir():
            continue
        marker = read_marker(entry)
        if marker is not None and (include_kept or not marker.get("kept")) and _run_is_dead(marker):
            removals.append(remove_run(entry))
    return removals
