"""Step 4b: starting and quitting one process's browsers on its clone.

``Launcher`` starts a browser (a damaged clone re-cloned first, a failed start retried on a fresh clone, a circuit
breaker per process) and quits it without ever failing a test's teardown, ending whatever it left running. Which
browser a test gets (new, shared, kept from verification) is the scope's business: ``browser.scopes``.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from selenium.webdriver.chromium.options import ChromiumOptions
from selenium.webdriver.chromium.webdriver import ChromiumDriver
from selenium.webdriver.remote.webdriver import WebDriver

from .. import processes
from ..errors import ProfileError
from ..profile.clone import forget_open_tabs
from ..profile.layout import LOCAL_STATE, PREFERENCES
from ..profile.manager import ProfileManager, WorkerProfile
from ..resilience import CircuitBreaker, RetryConfig
from .launch import is_usable, start_browser

if TYPE_CHECKING:  # the grid and state packages load only where a run uses them
    from ..grid.browser import GridTarget
    from ..state import LoginState
    from .blank_tab import BlankTab

SQLITE_HEADER = b"SQLite format 3\x00"
# Helpers that open no file of the profile: once their browser is gone they only have to die, so they are killed
# at once instead of waited for (a zygote reparented to init can take seconds to exit; docs/performance.md). The
# others (the browser, its network and storage services, the GPU process) are waited for, so the next browser on
# the clone never meets a writer of the same files.
NO_PROFILE_FILES = frozenset({"zygote", "renderer"})


def looks_damaged(profile: WorkerProfile) -> str | None:
    """A quick check before each browser start (milliseconds): the files a browser cannot do without."""
    for path in (profile.user_data_dir / LOCAL_STATE, profile.profile_path / PREFERENCES):
        try:
            json.loads(path.read_bytes())
        except (OSError, ValueError) as exc:
            return f"{path} is unreadable ({exc.__class__.__name__})"
    cookies = profile.profile_path / "Cookies"
    if cookies.exists():
        with cookies.open("rb") as handle:
            if handle.read(16) != SQLITE_HEADER:
                return f"{cookies} is not a SQLite database"
    return None


@dataclass(frozen=True)
class GridBrowsers:
    """Browsers on a Selenium Grid instead of locally (``grid-url``): where and how, and for ``inject`` mode the
    run's login state, written into each new remote browser before anything navigates."""

    target: GridTarget
    state: LoginState | None = None


class Launcher:
    """Starts and quits the browsers of one process (``worker_id``) on its clone, locally or on a Grid."""

    def __init__(
        self,
        browser: str,
        driver_path: Path,
        manager: ProfileManager,
        worker_id: str,
        retry: RetryConfig,
        log: Any,
        blank_tab: BlankTab | None = None,
        grid: GridBrowsers | None = None,
    ) -> None:
        self.browser = browser
        self.driver_path = driver_path
        self.manager = manager
        self.worker_id = worker_id
        self.retry = retry
        self.log = log
        self.blank_tab = blank_tab
        self.breaker = CircuitBreaker(retry.breaker_threshold)
        self.grid = grid
        self.driver_logs: dict[str, Path] = {}  # WebDriver session id -> its driver log, for failure artifacts
        self.nodes: dict[str, str] = {}  # WebDriver session id -> the Grid node it runs on

    def start(self, options: ChromiumOptions, profile: WorkerProfile) -> ChromiumDriver:
        """A new browser with ``options``: a damaged clone is re-cloned first, a failed start retried."""
        if self.breaker.is_open:
            raise ProfileError(
                f"the browser of worker {self.worker_id} failed to start for {self.breaker.consecutive} tests in a "
                f"row, so its remaining tests fail at once; last error: {self.breaker.last_reason}",
                profile.user_data_dir,
            )
        attempts = 0
        try:
            for attempt in self.retry.retrying():
                with attempt:
                    attempts += 1
                    damage = "the browser did not start on it" if attempts > 1 else looks_damaged(profile)
                    if damage is not None:
                        self.reclone(profile, damage)
                    driver = self.start_once(options, profile)
        except ProfileError as exc:
            self.breaker.failure(str(exc))
            raise
        self.breaker.success()
        return driver

    def start_once(self, options: ChromiumOptions, profile: WorkerProfile) -> ChromiumDriver:
        """One attempt: the clone gets the run's blank tab, the driver its own log file."""
        started = time.perf_counter()
        starts = (profile.metrics.browser_starts or 0) + 1
        log_path = self.manager.run.path / "logs" / f"{self.worker_id}-driver-{starts}.log"
        log_path.parent.mkdir(mode=0o700, exist_ok=True)
        forget_open_tabs(profile.profile_path)  # the tabs the last browser here left: none is restored
        if self.blank_tab is not None:
            self.blank_tab.hand_over(profile)
        if self.grid is not None:
            driver = self._start_on_grid(self.grid, options, profile)
        else:
            driver = start_browser(self.browser, options, self.driver_path, self.manager.run.path, log_path)
            self.driver_logs[driver.session_id or ""] = log_path
        profile.metrics.count("browser_starts")
        self.log.info("start", seconds=round(time.perf_counter() - started, 4))
        return driver

    def _start_on_grid(self, grid: GridBrowsers, options: ChromiumOptions, profile: WorkerProfile) -> ChromiumDriver:
        from ..grid.browser import open_grid_browser

        run = self.manager.run
        driver, node = open_grid_browser(
            grid.target,
            options,
            self.browser,
            run.run_id,
            self.worker_id,
            state=grid.state,
            clone=profile.user_data_dir,
            clone_root=run.clone_root,
        )
        if node:
            self.nodes[driver.session_id or ""] = node
            profile.metrics.grid_nodes = sorted({*(profile.metrics.grid_nodes or ()), node})
        return driver  # type: ignore[return-value]  # a Remote driver: the same commands a test uses

    def reclone(self, profile: WorkerProfile, reason: str) -> None:
        """Replace this process's clone with a fresh copy of the golden copy (same path, so options still hold)."""
        processes.end_processes(processes.processes_using(profile.user_data_dir), self.retry.cleanup_timeout)
        fresh = self.manager.clone(self.worker_id)
        profile.metrics.count("reclones")
        self.log.warning("reclone", reason=reason, path=str(fresh.user_data_dir))

    def restore(self, profile: WorkerProfile) -> None:
        """isolation test: the clone goes back to the golden copy, so no test sees what an earlier one changed."""
        started = time.perf_counter()
        self.manager.clone(self.worker_id)
        profile.metrics.count("restores", time.perf_counter() - started)

    def quit(self, driver: WebDriver, profile: WorkerProfile) -> None:
        """Quit a browser; one that died under its test is counted and its leftovers ended, never an error."""
        if self.grid is not None:  # nothing of it runs here: the Grid ends the node's processes
            if not is_usable(driver):
                profile.metrics.count("browser_deaths")
                self.log.warning("restart", reason="the remote browser died during the test")
            with contextlib.suppress(Exception):
                driver.quit()
            return
        family = processes.driver_family(driver)
        kinds = {proc.pid: processes.kind_of(proc) for proc in family or ()}  # while command lines can be read
        if family is None:  # a driver whose process is unknown: look for the browser by its command line
            alive = bool(processes.main_browser_processes(profile.user_data_dir))
        else:
            alive = any(kinds[proc.pid] == "browser" and processes.is_alive(proc) for proc in family)
        if not alive:
            # Died under its test (crash, OOM, killed): the next test starts a new one as usual.
            profile.metrics.count("browser_deaths")
            self.log.warning("restart", reason="the browser died during the test")
        try:
            driver.quit()
        except Exception as exc:  # a dead browser's driver may be gone too
            self.log.warning("quit_failed", error=exc.__class__.__name__)
        if family is None:
            leftovers = processes.processes_using(profile.user_data_dir)
        else:
            leftovers = [proc for proc in family if processes.is_alive(proc)]
        if leftovers:
            self._end_leftovers(leftovers, kinds)

    def _end_leftovers(self, leftovers: list[Any], kinds: dict[int, str]) -> None:
        started = time.perf_counter()
        doomed = [proc for proc in leftovers if kinds.get(proc.pid) in NO_PROFILE_FILES]
        processes.kill_now(doomed)
        ended = processes.end_processes([proc for proc in leftovers if proc not in doomed], self.retry.cleanup_timeout)
        self.log.warning(
            "leftovers_ended",
            count=len(ended) + len(doomed),
            kinds=",".join(sorted(kinds.get(proc.pid, "unknown") for proc in leftovers)),
            seconds=round(time.perf_counter() - started, 4),
        )
