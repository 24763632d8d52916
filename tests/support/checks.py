"""Checks on real outcomes: a tree's exact bytes, leftover processes, waiting on a condition with a deadline."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from pytest_edgeprofile.processes import processes_using


def tree_digest(root: Path) -> str:
    """SHA-256 over every path, file byte, link target and mode below ``root`` (links never followed)."""
    digest = hashlib.sha256()
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        for name in sorted(dirs + files):
            path = Path(folder, name)
            rel = path.relative_to(root).as_posix()
            info = path.lstat()
            digest.update(f"{rel}\0{info.st_mode:o}\0".encode())
            if path.is_symlink():
                digest.update(os.readlink(path).encode())
            elif path.is_file():
                digest.update(path.read_bytes())
    return digest.hexdigest()


def wait_for(condition: Callable[[], bool], timeout: float = 10.0, interval: float = 0.05) -> bool:
    """Poll ``condition`` until it holds or the deadline passes; True when it held."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


def describe(procs: list[psutil.Process]) -> list[str]:
    out = []
    for proc in procs:
        try:
            out.append(f"{proc.pid} {' '.join(proc.cmdline())[:160]}")
        except psutil.Error:
            continue
    return out


def leftover_processes(root: Path, timeout: float = 10.0) -> list[str]:
    """Processes still using ``root`` once they had ``timeout`` seconds to exit (empty when none)."""
    wait_for(lambda: not processes_using(root), timeout)
    return describe(processes_using(root))


def driver_processes_under(pid: int) -> list[str]:
    """Drivers still running below the process ``pid`` (a pytest run)."""
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []
    return describe([p for p in children if "driver" in p.name()])


DRIVER_NAMES = ("chromedriver", "msedgedriver")


def driver_pids() -> set[int]:
    """Every driver process on the machine (chromedriver, and the msedgedriver stand-in, a Python script)."""
    found = set()
    for proc in psutil.process_iter(["name", "cmdline", "status"]):
        try:
            if proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue  # exited; only its parent (or an init that never reaps) keeps the entry
            text = " ".join(proc.info["cmdline"] or []) or proc.info["name"] or ""
        except psutil.Error:
            continue
        if any(name in text for name in DRIVER_NAMES):
            found.add(proc.pid)
    return found


def new_drivers_left(before: set[int], timeout: float = 10.0) -> list[str]:
    """Drivers started since ``before`` was taken that are still running after ``timeout`` seconds."""
    wait_for(lambda: not (driver_pids() - before), timeout)
    left = []
    for pid in driver_pids() - before:
        try:
            left.append(psutil.Process(pid))
        except psutil.NoSuchProcess:  # exited between the listing and now: not left
            continue
    return describe(left)
