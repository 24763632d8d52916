"""Which processes hold a profile, and ending the browsers this plugin started (never anyone else's)."""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import psutil

USER_DATA_FLAG = "--user-data-dir="


@dataclass(frozen=True)
class Holder:
    """A running process that holds a user data dir."""

    pid: int
    program: str

    def describe(self) -> str:
        return f"pid {self.pid} ({self.program})" if self.pid else f"{self.program} (its lockfile is held)"


def _program(pid: int) -> str:
    try:
        proc = psutil.Process(pid)
        return proc.name() or (proc.exe() or "unknown program")
    except (psutil.Error, OSError):
        return "unknown program"


def _is_within(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def user_data_dir_of(cmdline: Iterable[str]) -> Path | None:
    """The ``--user-data-dir`` a browser command line names, if any."""
    for arg in cmdline:
        if arg.startswith(USER_DATA_FLAG):
            return Path(os.path.realpath(arg[len(USER_DATA_FLAG) :].strip('"')))
    return None


def _names_path_within(cmdline: Iterable[str], root: Path) -> bool:
    # --user-data-dir=, and also helpers such as crashpad's --database=<user data dir>/Crash Reports
    for arg in cmdline:
        if arg.startswith("--") and "=" in arg:
            value = arg.split("=", 1)[1].strip('"')
            if value and os.path.isabs(value) and _is_within(Path(os.path.realpath(value)), root):
                return True
    return False


def processes_using(root: Path) -> list[psutil.Process]:
    """Processes of this user with a ``--flag=path`` (``--user-data-dir`` above all) inside ``root``."""
    real_root = Path(os.path.realpath(root))
    me = psutil.Process().username() if sys.platform != "win32" else None
    found = []
    for proc in psutil.process_iter(["cmdline", "username"]):
        try:
            cmdline = proc.info["cmdline"] or []
            if me is not None and proc.info["username"] != me:
                continue
        except (psutil.Error, OSError):
            continue
        if _names_path_within(cmdline, real_root):
            found.append(proc)
    return found


def is_alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except (psutil.Error, OSError):
        return False


def kind_of(proc: psutil.Process) -> str:
    """For logs: "browser", the helper's ``--type=`` (renderer, gpu-process, utility, zygote ...), the
    executable's name, or "exiting" for a process whose command line is already gone."""
    try:
        cmdline = proc.cmdline()
    except (psutil.Error, OSError):
        return "gone"
    if not cmdline:
        return "exiting"
    for arg in cmdline[1:]:
        if arg.startswith("--type="):
            return arg.split("=", 1)[1]
    return "browser" if user_data_dir_of(cmdline) is not None else Path(cmdline[0]).name


def driver_family(driver: object) -> list[psutil.Process] | None:
    """The processes below a Selenium driver's service process (driver, browser, its helpers); None if unknown."""
    process = getattr(getattr(driver, "service", None), "process", None)
    pid = getattr(process, "pid", None)
    if not isinstance(pid, int):
        return None
    try:
        return psutil.Process(pid).children(recursive=True)
    except (psutil.Error, OSError):
        return []


def main_browser_processes(user_data_dir: Path) -> list[psutil.Process]:
    """The browser processes proper on ``user_data_dir`` (not its renderers, GPU or crash handler helpers)."""
    real = Path(os.path.realpath(user_data_dir))
    found = []
    for proc in processes_using(user_data_dir):
        try:
            cmdline = proc.cmdline()
            if proc.status() == psutil.STATUS_ZOMBIE:
                continue
        except (psutil.Error, OSError):
            continue
        if user_data_dir_of(cmdline) == real and not any(arg.startswith("--type=") for arg in cmdline):
            found.append(proc)
    return found


def singleton_holder(user_data_dir: Path) -> Holder | None:
    """The live process named by Chromium's SingletonLock (POSIX) or holding its lockfile (Windows)."""
    if sys.platform == "win32":
        lockfile = user_data_dir / "lockfile"
        if not lockfile.exists():
            return None
        try:
            with lockfile.open("r+b"):
                return None
        except PermissionError:
            users = processes_using(user_data_dir)
            return Holder(users[0].pid, _program(users[0].pid)) if users else Holder(0, "a running browser")
        except OSError:
            return None
    try:
        target = os.readlink(user_data_dir / "SingletonLock")
    except OSError:
        return None
    host, _, pid_text = target.rpartition("-")
    if not pid_text.isdigit() or host != socket.gethostname():
        return None  # a lock left by another machine or a copy: Chromium itself treats it as stale
    pid = int(pid_text)
    return Holder(pid, _program(pid)) if psutil.pid_exists(pid) else None


def profile_holder(user_data_dir: Path) -> Holder | None:
    """Any running browser that holds ``user_data_dir``: by its lock first, then by command line."""
    holder = singleton_holder(user_data_dir)
    if holder is not None:
        return holder
    real = Path(os.path.realpath(user_data_dir))
    for proc in processes_using(user_data_dir):
        try:
            data_dir = user_data_dir_of(proc.cmdline())
        except (psutil.Error, OSError):
            continue
        if data_dir == real:
            return Holder(proc.pid, _program(proc.pid))
    return None


def with_descendants(processes: Iterable[psutil.Process]) -> list[psutil.Process]:
    """The processes and all their children, parents first."""
    seen: dict[int, psutil.Process] = {}
    for proc in processes:
        try:
            family = [proc, *proc.children(recursive=True)]
        except (psutil.Error, OSError):
            family = [proc]
        for member in family:
            seen.setdefault(member.pid, member)
    return list(seen.values())


def kill_now(processes: Iterable[psutil.Process]) -> None:
    """SIGKILL (TerminateProcess) without waiting: for helpers that only have to die."""
    for proc in processes:
        with contextlib.suppress(psutil.Error, OSError):
            proc.kill()


def end_stragglers(processes: Iterable[psutil.Process], timeout: float = 5.0) -> list[int]:
    """Give the processes ``timeout`` seconds to exit on their own (a browser after its quit), then end the rest
    as ``end_processes`` does; the pids ended."""
    _gone, alive = psutil.wait_procs(list(processes), timeout=timeout)
    return end_processes(alive, timeout) if alive else []


def end_processes(processes: Iterable[psutil.Process], timeout: float = 5.0) -> list[int]:
    """Terminate the processes and their children, kill what is still alive after ``timeout``; the pids ended."""
    family = with_descendants(processes)
    for proc in family:
        with contextlib.suppress(psutil.Error, OSError):
            proc.terminate()
    _gone, alive = psutil.wait_procs(family, timeout=timeout)
    for proc in alive:
        with contextlib.suppress(psutil.Error, OSError):
            proc.kill()
    psutil.wait_procs(alive, timeout=timeout)
    return [proc.pid for proc in family]
