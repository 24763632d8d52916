"""Faults on real Chromium and real xdist: Ctrl-C, SIGTERM from CI, ``kill -9`` of the whole run, a full disk.

Each inner run is a ``python -m pytest`` in a session of its own, so a signal reaches exactly the processes a
terminal or a CI runner would reach, and teardown can end every process of that session, orphans included.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

from demo.site import LoginSite
from pytest_edgeprofile import platforms
from pytest_edgeprofile.grid.sessions import grid_sessions
from pytest_edgeprofile.processes import main_browser_processes, processes_using
from pytest_edgeprofile.profile.run import MARKER
from tests.support.browsers import QUIET_ARGS, TEST_BROWSER, plugin_args
from tests.support.checks import describe, driver_pids, leftover_processes, tree_digest, wait_for
from tests.support.grid import LocalGrid
from tests.support.systems import LINUX, not_on_windows

pytestmark = [
    pytest.mark.browser,
    not_on_windows("the faults are POSIX signals to a process group (os.killpg: SIGINT, SIGTERM, SIGKILL)"),
]

WORKERS = ("gw0", "gw1")

# One test per worker (xdist hands out fewer than two tests per worker round robin): each signs in, says it is
# ready, then blocks until the run is interrupted. It must never get past the wait.
BLOCKING = """
import os
import threading
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

SITE = os.environ["EDGEPROFILE_TEST_SITE"]
READY = Path(os.environ["EDGEPROFILE_TEST_READY"])


@pytest.mark.parametrize("n", range(2))
def test_blocks_until_interrupted(edge_driver, worker_id, n):
    edge_driver.get(SITE + "/account")
    assert edge_driver.find_element(By.ID, "account").text == "Signed in as alice"
    (READY / f"ready-{worker_id}").write_text(str(os.getpid()))
    threading.Event().wait(120)
    pytest.fail("NEVER INTERRUPTED: the outer test should have stopped this run")
"""

PASSING = """
import os

from selenium.webdriver.common.by import By


def test_signed_in(edge_driver):
    edge_driver.get(os.environ["EDGEPROFILE_TEST_SITE"] + "/account")
    assert edge_driver.find_element(By.ID, "account").text == "Signed in as alice"
"""


def inner_environment(site_url: str) -> dict[str, str]:
    """What ``plugin_env`` gives an inner run, built by hand so a module-scoped scenario can use it too."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PYTEST_XDIST", "PYTEST_EDGEPROFILE_"))
        and name not in ("PYTEST_ADDOPTS", "PYTEST_CURRENT_TEST")
    }
    env.update(EDGEPROFILE_TEST_SITE=site_url, PYTEST_EDGEPROFILE_ARG=QUIET_ARGS)
    return env


def alive(proc: psutil.Process) -> bool:
    """Running and not a zombie (an orphan's parent here may never reap it)."""
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def in_sessions(pid: int, sessions: set[int]) -> bool:
    try:
        return os.getsid(pid) in sessions
    except OSError:
        return False


def drivers_left(before: set[int], sessions: set[int], timeout: float = 10.0) -> list[str]:
    """``new_drivers_left`` limited to the sessions of our inner runs (an orphan keeps its session id).

    Other suites may run browsers on this machine at the same time; their drivers are not ours to judge.
    """

    def ours() -> list[psutil.Process]:
        found = []
        for pid in driver_pids() - before:
            with contextlib.suppress(psutil.Error):
                proc = psutil.Process(pid)
                if in_sessions(pid, sessions) and alive(proc):
                    found.append(proc)
        return found

    wait_for(lambda: not ours(), timeout)
    return describe(ours())


@dataclass
class InnerRun:
    proc: subprocess.Popen[bytes]
    folder: Path
    ready: Path

    def output(self) -> str:
        return "".join((self.folder / name).read_text(errors="replace") for name in ("stdout.txt", "stderr.txt"))

    def wait_until_blocked(self, clone_root: Path, timeout: float = 120.0) -> None:
        """Both workers signed in and blocking, their browsers on clones under ``clone_root``."""

        def blocked() -> bool:
            if self.proc.poll() is not None:
                return True  # ended early: reported below
            return all((self.ready / f"ready-{w}").exists() for w in WORKERS) and bool(processes_using(clone_root))

        assert wait_for(blocked, timeout, interval=0.2), f"not blocked after {timeout} s:\n{self.output()}"
        assert self.proc.poll() is None, f"the inner run ended before it was interrupted:\n{self.output()}"

    def finish(self, timeout: float) -> int:
        """The exit code, or a failure with the run's output when it does not end within ``timeout``."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the inner run did not end within {timeout} s:\n{self.output()}")


@dataclass
class Inner:
    """Starts inner runs in ``folder``, each in a session of its own; ``close`` ends every process of those
    sessions and every process that names a path beside ``folder`` (clone roots, the stranger's folder)."""

    folder: Path
    env: dict[str, str]
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, name: str, base: Path, clone_root: Path, tests: str, *args: str) -> InnerRun:
        folder = self.folder / name
        ready = folder / "ready"
        ready.mkdir(parents=True)
        (folder / "pytest.ini").write_text("[pytest]\n")
        test_file = folder / "test_inner.py"
        test_file.write_text(tests)
        command = [
            sys.executable,
            "-m",
            "pytest",
            *args,
            "-p",
            "no:cacheprovider",
            *plugin_args(base, clone_root),
            str(test_file),
        ]
        with (folder / "stdout.txt").open("wb") as out, (folder / "stderr.txt").open("wb") as err:
            proc = subprocess.Popen(
                command,
                cwd=folder,
                env={**self.env, "EDGEPROFILE_TEST_READY": str(ready)},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        self.procs.append(proc)
        return InnerRun(proc, folder, ready)

    def start_other(self, *command: str) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    @property
    def sessions(self) -> set[int]:
        return {proc.pid for proc in self.procs}

    def close(self) -> None:
        sessions = self.sessions
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        # Re-parented orphans (drivers and browsers of a killed run) keep their session id; Chromium's crash
        # handler makes a session of its own but names a folder of ours.
        strays = [p for p in psutil.process_iter() if in_sessions(p.pid, sessions)]
        for proc in [*strays, *processes_using(self.folder.parent)]:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        for proc in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=30)


@pytest.fixture
def inner(tmp_path: Path, login_site: LoginSite) -> Iterator[Inner]:
    runs = Inner(tmp_path / "inner", inner_environment(login_site.url))
    try:
        yield runs
    finally:
        runs.close()


def ctrl_c(proc: subprocess.Popen[bytes]) -> None:
    """A terminal's Ctrl-C: SIGINT to the whole foreground process group (pytest, workers, drivers, browsers)."""
    os.killpg(proc.pid, signal.SIGINT)


def ci_cancel(proc: subprocess.Popen[bytes]) -> None:
    """A CI runner cancelling the job: SIGTERM to the process it started, the controller, only."""
    proc.send_signal(signal.SIGTERM)


@pytest.mark.parametrize(
    "interrupt", [ctrl_c, ci_cancel], ids=["ctrl-c-to-the-process-group", "sigterm-to-the-controller-only"]
)
def test_an_interrupted_run_ends_within_30_s_and_leaves_nothing(
    inner: Inner,
    base_profile: Path,
    clone_root: Path,
    interrupt: Callable[[subprocess.Popen[bytes]], None],
) -> None:
    before = tree_digest(base_profile)
    drivers_before = driver_pids()
    run = inner.start("interrupted", base_profile, clone_root, BLOCKING, "-n", "2")
    run.wait_until_blocked(clone_root)
    assert len(list(clone_root.glob("run-*"))) == 1

    started = time.monotonic()
    interrupt(run.proc)
    code = run.finish(timeout=30)
    seconds = time.monotonic() - started
    print(f"interrupt to exit: {seconds:.1f} s")

    output = run.output()
    assert seconds < 30
    assert code == pytest.ExitCode.INTERRUPTED, output
    assert "NEVER INTERRUPTED" not in output
    assert list(clone_root.iterdir()) == [], f"a run folder was left behind:\n{output}"
    assert leftover_processes(clone_root) == []
    assert drivers_left(drivers_before, inner.sessions) == []
    assert tree_digest(base_profile) == before


def test_a_run_on_the_grid_interrupted_by_ctrl_c_leaves_no_session_there(
    inner: Inner, base_profile: Path, clone_root: Path, grid: LocalGrid
) -> None:
    """Sessions are the Grid's scarce resource: the controller deletes the run's own before it exits."""
    run = inner.start(
        "grid",
        base_profile,
        clone_root,
        BLOCKING,
        "-n",
        "2",
        "--edgeprofile-grid-url",
        grid.url,
        "--edgeprofile-grid-profile",
        "path",  # the node's browsers run on the clones, where the wait sees them
    )
    run.wait_until_blocked(clone_root)
    assert len(grid_sessions(grid.url)) == 2
    ctrl_c(run.proc)
    assert run.finish(timeout=30) == pytest.ExitCode.INTERRUPTED, run.output()
    assert grid_sessions(grid.url) == (), f"a session of the run was left on the Grid:\n{run.output()}"
    assert list(clone_root.iterdir()) == []


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A mounted 600 KB tmpfs, or a clean skip saying why there is none; always unmounted again."""
    if not LINUX:
        pytest.skip(f"Linux only (this is {sys.platform}): the small disk is a tmpfs mount")
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (Linux)")
    if not shutil.which("mount") or not shutil.which("umount"):
        pytest.skip("mount and umount are not installed")
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    try:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(mount_point)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"cannot mount a tmpfs here: {exc}")
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {(mounted.stderr or mounted.stdout).strip()}")
    try:
        yield mount_point
    finally:
        for command in (["umount", str(mount_point)], ["umount", "-l", str(mount_point)]):
            if not os.path.ismount(mount_point):
                break
            subprocess.run(command, capture_output=True, timeout=30, check=False)


def test_a_full_disk_while_copying_stops_the_run_with_one_sentence_and_leaves_nothing(
    inner: Inner,
    base_copy: Path,
    small_disk: Path,
) -> None:
    assert os.path.ismount(small_disk) and shutil.disk_usage(small_disk).total <= 700 * 1024
    leveldb = base_copy / "Default" / "Local Storage" / "leveldb"
    leveldb.mkdir(parents=True, exist_ok=True)
    (leveldb / "000099.ldb").write_bytes(os.urandom(3 * 1024 * 1024))  # kept data, not a cache
    before = tree_digest(base_copy)
    clone_root = small_disk / "clones"

    run = inner.start("full-disk", base_copy, clone_root, PASSING, "-n", "2")
    code = run.finish(timeout=120)

    output = run.output()
    assert code == pytest.ExitCode.USAGE_ERROR, output
    errors = [line for line in output.splitlines() if line.startswith("ERROR: pytest-edgeprofile: ")]
    assert len(errors) == 1, output
    found = re.search(
        r"not enough disk space to copy (.+?) (?:into|to) (/[^:]+): the copy needs ([\d.]+) MB and "
        r"([\d.]+) MB are free there; free some space or set --edgeprofile-clone-root",
        errors[0],
    )
    assert found, errors[0]
    assert found[1] == str(base_copy) and Path(found[2]).is_relative_to(clone_root), errors[0]
    needed, free = float(found[3]), float(found[4])
    assert needed >= 3.0 and free < 1.0, errors[0]
    assert "Traceback" not in output and "pytest_edgeprofile/" not in output, output
    assert [p.name for p in small_disk.iterdir()] in ([], ["clones"])
    assert not clone_root.exists() or list(clone_root.iterdir()) == []
    assert leftover_processes(small_disk) == []
    assert tree_digest(base_copy) == before


@dataclass
class KilledRun:
    """What ``kill -9`` of a run's pytest processes left, and the next run on the same clone root."""

    clone_root: Path
    drivers_before: set[int]
    base_before: str
    killed: list[int]
    dead_folders: list[Path]
    dead_marked: bool
    using_after_kill: list[str]
    outside_dead_run: list[str]
    browsers_after_kill: dict[str, int]
    drivers_of_dead_run: list[psutil.Process]
    drivers_alive_after_kill: list[int]
    driver_parents_after_kill: list[int]
    other: subprocess.Popen[bytes]
    other_dir: Path
    next_code: int
    next_output: str
    sessions: set[int]


def is_python(proc: psutil.Process) -> bool:
    try:
        return os.path.realpath(proc.exe()) == os.path.realpath(sys.executable)
    except psutil.Error:
        return False


@pytest.fixture(scope="module")
def killed_run(
    tmp_path_factory: pytest.TempPathFactory, base_profile: Path, login_site: LoginSite
) -> Iterator[KilledRun]:
    """A run of two workers killed with SIGKILL mid-test (drivers and browsers orphaned), then a short next run."""
    work = tmp_path_factory.mktemp("killed")
    clone_root = work / "clones"
    runs = Inner(work / "inner", inner_environment(login_site.url))
    try:
        base_before = tree_digest(base_profile)
        drivers_before = driver_pids()
        run = runs.start("killed", base_profile, clone_root, BLOCKING, "-n", "2")
        run.wait_until_blocked(clone_root)

        controller = psutil.Process(run.proc.pid)
        family = controller.children(recursive=True)
        pythons = [controller, *(p for p in family if is_python(p))]
        drivers = [p for p in family if platforms.DRIVER_NAMES[TEST_BROWSER] in p.name()]
        assert len(pythons) == 1 + len(WORKERS) and len(drivers) == len(WORKERS), describe(family)
        for proc in pythons:  # frozen first, so no process of the run sees another die and reacts
            proc.suspend()
        for proc in pythons:
            proc.kill()
        run.finish(timeout=30)  # reaped, as the shell that ran it would
        assert wait_for(lambda: not any(alive(p) for p in pythons), 10)

        dead_folders = sorted(clone_root.glob("run-*"))
        dead_marked = all((folder / MARKER).is_file() for folder in dead_folders)
        using = processes_using(clone_root)
        using_after_kill = describe(using)
        in_dead_run = {p.pid for folder in dead_folders for p in processes_using(folder)}
        outside_dead_run = describe([p for p in using if p.pid not in in_dead_run])
        browsers_after_kill = {
            w: len(main_browser_processes(folder / "workers" / w)) for folder in dead_folders for w in WORKERS
        }
        drivers_alive = [d.pid for d in drivers if alive(d)]
        parents = []
        for driver in drivers:
            with contextlib.suppress(psutil.Error):
                parents.append(driver.ppid())

        # Not ours: its --user-data-dir is a folder named like the dead run's, beside the clone root, whose path
        # starts with the clone root's.
        other_dir = work / f"{clone_root.name}-elsewhere" / (dead_folders[0].name if dead_folders else "run-x")
        other_dir.mkdir(parents=True)
        other = runs.start_other(
            sys.executable, "-c", "import threading; threading.Event().wait(120)", f"--user-data-dir={other_dir}"
        )
        assert wait_for(lambda: any(a.startswith("--user-data-dir=") for a in psutil.Process(other.pid).cmdline()), 10)

        next_run = runs.start("next", base_profile, clone_root, PASSING)
        next_code = next_run.finish(timeout=180)
        yield KilledRun(
            clone_root=clone_root,
            drivers_before=drivers_before,
            base_before=base_before,
            killed=[p.pid for p in pythons],
            dead_folders=dead_folders,
            dead_marked=dead_marked,
            using_after_kill=using_after_kill,
            outside_dead_run=outside_dead_run,
            browsers_after_kill=browsers_after_kill,
            drivers_of_dead_run=drivers,
            drivers_alive_after_kill=drivers_alive,
            driver_parents_after_kill=parents,
            other=other,
            other_dir=other_dir,
            next_code=next_code,
            next_output=next_run.output(),
            sessions=runs.sessions,
        )
    finally:
        runs.close()


def test_kill_9_of_the_runs_pytest_processes_leaves_its_folder_and_orphaned_browsers(killed_run: KilledRun) -> None:
    assert len(killed_run.dead_folders) == 1
    assert killed_run.dead_marked, "the dead run's folder had no marker, so no sweep could ever remove it"
    assert killed_run.using_after_kill, "no browser was left on the dead run's clones"
    assert killed_run.outside_dead_run == []
    assert killed_run.browsers_after_kill == dict.fromkeys(WORKERS, 1), "each worker's browser should still run"
    assert killed_run.drivers_alive_after_kill == [d.pid for d in killed_run.drivers_of_dead_run]
    assert not set(killed_run.driver_parents_after_kill) & set(killed_run.killed), "the drivers were not re-parented"


def test_the_next_run_on_the_same_clone_root_passes_and_says_it_removed_the_dead_run(killed_run: KilledRun) -> None:
    output = killed_run.next_output
    assert killed_run.next_code == pytest.ExitCode.OK, output
    assert re.search(r"\b1 passed\b", output), output
    dead = killed_run.dead_folders[0]
    found = re.search(
        rf"^removed {re.escape(str(dead))} left by a run that died \((\d+) processes ended\)$", output, re.MULTILINE
    )
    assert found, output
    assert int(found[1]) >= len(killed_run.drivers_of_dead_run) + 1, "fewer processes ended than drivers + a browser"
    assert not dead.exists()
    assert list(killed_run.clone_root.iterdir()) == []


def test_the_dead_runs_orphaned_browsers_are_ended(killed_run: KilledRun) -> None:
    assert leftover_processes(killed_run.clone_root) == []


def test_the_dead_runs_orphaned_drivers_are_ended(killed_run: KilledRun) -> None:
    assert not any(alive(d) for d in killed_run.drivers_of_dead_run), describe(killed_run.drivers_of_dead_run)
    assert drivers_left(killed_run.drivers_before, killed_run.sessions) == []


def test_a_process_that_is_not_ours_survives_the_sweep(killed_run: KilledRun) -> None:
    assert killed_run.other.poll() is None and alive(psutil.Process(killed_run.other.pid))
    assert [p.pid for p in processes_using(killed_run.other_dir)] == [killed_run.other.pid]
    assert killed_run.other_dir.is_dir()


def test_the_base_is_unchanged_after_the_kill_and_the_sweep(killed_run: KilledRun, base_profile: Path) -> None:
    assert tree_digest(base_profile) == killed_run.base_before
