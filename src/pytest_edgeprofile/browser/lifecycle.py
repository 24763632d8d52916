"""One worker's browsers on its clone: started (retried, on a re-cloned clone if damaged), shared or kept warm,
reset between tests, and quit without ever failing a test's teardown."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from selenium.webdriver.chromium.options import ChromiumOptions
from selenium.webdriver.chromium.webdriver import ChromiumDriver
from selenium.webdriver.remote.webdriver import WebDriver

from .. import processes
from ..errors import ProfileError
from ..profile import blank_session
from ..profile.clone import forget_open_tabs
from ..profile.layout import LOCAL_STATE, PREFERENCES
from ..profile.manager import ProfileManager, WorkerProfile
from ..resilience import CircuitBreaker, RetryConfig
from ..settings import Settings
from .launch import is_usable, reset_browser, start_browser

SQLITE_HEADER = b"SQLite format 3\x00"
# Helpers that open no file of the profile: once their browser is gone they only have to die. Waiting for them
# held up the next test for nothing (measured: a zygote reparented to init took 1 to 2 s to exit after a quit).
# The others (the browser, its network and storage services, the GPU process) are waited for, so the next
# browser on the clone never meets a writer of the same files.
NO_PROFILE_FILES = frozenset({"zygote", "renderer"})


def options_key(options: ChromiumOptions) -> str:
    """Two options objects start the same browser when their capabilities are the same."""
    return json.dumps(options.to_capabilities(), sort_keys=True, default=str)


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


class Browsers:
    """The browsers of one worker: a new one per test, or one shared per worker; the verified one kept warm."""

    def __init__(
        self,
        settings: Settings,
        manager: ProfileManager,
        worker_id: str,
        retry: RetryConfig,
        locate: Callable[[], tuple[Path, Path]],
        log: Any,
        first_start_waits: bool = True,
    ) -> None:
        self.settings = settings
        self.manager = manager
        self.worker_id = worker_id
        self.retry = retry
        self.locate = locate
        self.log = log
        self.breaker = CircuitBreaker(retry.breaker_threshold)
        self.shared: ChromiumDriver | None = None  # driver-scope worker: this worker's one browser
        # The browser that passed verification, kept for the first test when its options match: a worker
        # then starts no more browsers than a suite without the plugin would.
        self.warm: tuple[ChromiumDriver, str] | None = None
        self.driver_logs: dict[str, Path] = {}  # session id -> that browser's driver log, for failure artifacts
        self.first_start_waits = first_start_waits  # for the run's blank session; not in the process making it
        self.blank_settled = False

    def keep_warm(self, driver: ChromiumDriver, options: ChromiumOptions) -> None:
        self.warm = (driver, options_key(options))

    def take_warm(self, options: ChromiumOptions, profile: WorkerProfile) -> ChromiumDriver | None:
        """The verified browser, if it was started with exactly these options and still works."""
        if self.warm is None:
            return None
        (driver, key), self.warm = self.warm, None
        if key == options_key(options) and looks_damaged(profile) is None and is_usable(driver):
            return driver
        self.quit(driver, profile)
        return None

    def drop_warm(self, profile: WorkerProfile) -> None:
        if self.warm is not None:
            driver, self.warm = self.warm[0], None
            self.quit(driver, profile)

    def acquire(self, options: ChromiumOptions, profile: WorkerProfile) -> ChromiumDriver:
        """The browser for one test: a new one, or (driver-scope worker) this worker's shared one."""
        warm = self.take_warm(options, profile)
        if self.settings.isolation == "test" and warm is None:
            # Restored before every test but the first, which gets the browser verified on the untouched clone.
            self.restore(profile)
        if self.settings.driver_scope == "test":
            return warm or self.start(options, profile)
        if self.shared is not None and not is_usable(self.shared):
            self._drop_shared(profile)
        if self.shared is None:
            self.shared = warm or self.start(options, profile)
        elif warm is not None:
            self.quit(warm, profile)
        return self.shared

    def release(self, driver: ChromiumDriver, profile: WorkerProfile) -> None:
        """After a test: quit its browser, or reset the shared one for the next test (replaced if broken)."""
        if driver is not self.shared:
            self.quit(driver, profile)
            return
        try:
            reset_browser(driver)
        except Exception as exc:  # broken in a way a reset cannot fix: the next test gets a new browser
            self.log.warning("reset_failed", error=exc.__class__.__name__)
            self._drop_shared(profile)

    def _drop_shared(self, profile: WorkerProfile) -> None:
        if self.shared is not None:
            driver, self.shared = self.shared, None
            self.quit(driver, profile)

    def close(self, profile: WorkerProfile) -> None:
        """End of the worker's session: quit the shared browser and an unused verified one."""
        self._drop_shared(profile)
        self.drop_warm(profile)

    def restore(self, profile: WorkerProfile) -> None:
        """isolation test: the clone goes back to the golden copy, so no test sees what an earlier one changed."""
        self._drop_shared(profile)
        self.drop_warm(profile)
        started = time.perf_counter()
        self.manager.clone(self.worker_id)
        profile.metrics["restores"] = int(profile.metrics.get("restores", 0)) + 1
        profile.metrics["restore_seconds"] = round(
            float(profile.metrics.get("restore_seconds", 0.0)) + time.perf_counter() - started, 4
        )

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
                    if attempts > 1:
                        self.reclone(profile, "the browser did not start on it")
                    else:
                        damage = looks_damaged(profile)
                        if damage is not None:
                            self.reclone(profile, damage)
                    driver = self.start_once(options, profile)
        except ProfileError as exc:
            self.breaker.failure(str(exc))
            raise
        self.breaker.success()
        return driver

    def start_once(self, options: ChromiumOptions, profile: WorkerProfile) -> ChromiumDriver:
        _binary, driver_path = self.locate()
        started = time.perf_counter()
        starts = int(profile.metrics.get("browser_starts", 0)) + 1
        log_path = self.manager.run.path / "logs" / f"{self.worker_id}-driver-{starts}.log"
        log_path.parent.mkdir(mode=0o700, exist_ok=True)
        forget_open_tabs(profile.profile_path)
        self.give_blank_session(profile, starts)
        session = start_browser(self.settings.browser, options, driver_path, self.manager.run.path, log_path)
        self.driver_logs[session.session_id or ""] = log_path
        profile.metrics["browser_starts"] = starts
        self.log.info("start", seconds=round(time.perf_counter() - started, 4))
        return session

    def give_blank_session(self, profile: WorkerProfile, starts: int) -> None:
        """The run's blank session for the clone, so the browser opens about:blank (see profile.blank_session);
        waited for once, with a deadline, while the controller is still making it."""
        run = self.manager.run
        if not self.blank_settled and (starts > 1 or self.first_start_waits):
            started = time.perf_counter()
            blank_session.wait_until_settled(run, self.retry.blank_session_timeout)
            profile.metrics["blank_session_wait_seconds"] = round(time.perf_counter() - started, 4)
            self.blank_settled = True
        if blank_session.give(profile.profile_path, run):
            profile.metrics["blank_starts"] = int(profile.metrics.get("blank_starts", 0)) + 1

    def reclone(self, profile: WorkerProfile, reason: str) -> None:
        """Replace this worker's clone with a fresh copy of the golden copy (same path, so options still hold)."""
        processes.end_processes(processes.processes_using(profile.user_data_dir), self.retry.cleanup_timeout)
        fresh = self.manager.clone(self.worker_id)
        profile.metrics["reclones"] = int(profile.metrics.get("reclones", 0)) + 1
        self.log.warning("reclone", reason=reason, path=str(fresh.user_data_dir))

    def quit(self, driver: WebDriver, profile: WorkerProfile) -> None:
        """Quit a browser; one that died under its test is counted and its leftovers ended, never an error."""
        family = processes.driver_family(driver)
        kinds = {proc.pid: processes.kind_of(proc) for proc in family or ()}  # while command lines can be read
        if family is None:  # a driver whose process is unknown: look for the browser by its command line
            alive = bool(processes.main_browser_processes(profile.user_data_dir))
        else:
            alive = any(kinds[proc.pid] == "browser" and processes.is_alive(proc) for proc in family)
        if not alive:
            # Died under its test (crash, OOM, killed): the next test starts a new one as usual.
            profile.metrics["browser_deaths"] = int(profile.metrics.get("browser_deaths", 0)) + 1
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
            started = time.perf_counter()
            doomed = [proc for proc in leftovers if kinds.get(proc.pid) in NO_PROFILE_FILES]
            processes.kill_now(doomed)
            ended = processes.end_processes(
                [proc for proc in leftovers if proc not in doomed], self.retry.cleanup_timeout
            )
            self.log.warning(
                "leftovers_ended",
                count=len(ended) + len(doomed),
                kinds=",".join(sorted(kinds.get(proc.pid, "unknown") for proc in leftovers)),
                seconds=round(time.perf_counter() - started, 4),
            )
