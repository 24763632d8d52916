"""One test process's browser work: its clone, its options, its browsers. Used by the fixtures.

It does not import pytest; errors are ``ProfileError``s that the plugin shows as one sentence. A clone that
fails verification, or a browser that cannot start on it, is re-cloned from the golden copy and retried; a
worker whose browser keeps failing opens its circuit breaker, and its remaining tests fail at once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from selenium.webdriver.chromium.options import ChromiumOptions
from selenium.webdriver.chromium.webdriver import ChromiumDriver
from selenium.webdriver.remote.webdriver import WebDriver

from . import platforms, processes
from .browser.launch import is_usable, reset_browser, start_browser
from .browser.locate import find_binary, find_driver
from .browser.options import build_options
from .errors import ProfileError, VerificationError
from .log import get_logger
from .profile.copying import Progress
from .profile.layout import LOCAL_STATE, NEVER_COPY, PREFERENCES, resolve_profile
from .profile.manager import ProfileManager, ProfileType, WorkerProfile
from .resilience import CircuitBreaker, RetryConfig
from .settings import Settings
from .verify import (
    MethodResult,
    VerificationConfig,
    VerificationMethod,
    VerificationResult,
    VerificationStatus,
    run_verification,
)

SQLITE_HEADER = b"SQLite format 3\x00"
GOLDEN_PROBE = "golden-check"  # the throwaway clone on which the controller checks the golden copy's login


def verification_config(settings: Settings, retry: RetryConfig) -> VerificationConfig:
    return VerificationConfig.from_names(
        settings.verify, auth_url=settings.auth_url, auth_cookie=settings.auth_cookie,
        auth_selector=settings.auth_selector, timeout=retry.verify_timeout,
    )


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


class WorkerSession:
    """Clones and verifies this process's profile once, then starts browsers on it."""

    def __init__(self, settings: Settings, manager: ProfileManager, worker_id: str,
                 retry: RetryConfig | None = None) -> None:
        self.settings = settings
        self.manager = manager
        self.worker_id = worker_id
        self.retry = retry or RetryConfig()
        self.breaker = CircuitBreaker(self.retry.breaker_threshold)
        self.profile: WorkerProfile | None = None
        self.failure: ProfileError | None = None
        self.shared: ChromiumDriver | None = None  # driver-scope worker: this worker's one browser
        # The browser that passed verification, kept for the first test when its options match: a worker
        # then starts no more browsers than a suite without the plugin would.
        self.warm: tuple[ChromiumDriver, str] | None = None
        self.driver_logs: dict[str, Path] = {}  # session id -> that browser's driver log, for failure artifacts
        self._binary: Path | None = None
        self._driver: Path | None = None
        self.log = get_logger(worker=worker_id, run=manager.run.run_id)

    def seed_executables(self, binary: object, driver: object) -> None:
        """Use the executables the controller already found, so workers do not search again."""
        if binary and driver:
            self._binary, self._driver = Path(str(binary)), Path(str(driver))

    def locate(self) -> tuple[Path, Path]:
        """The browser and driver executables, found once."""
        if self._binary is None or self._driver is None:
            s = self.settings
            self._binary = find_binary(s.browser, s.channel, s.binary, s.source("binary"))
            self._driver = find_driver(s.browser, self._binary, s.driver, s.source("driver"),
                                       lock_path=s.clone_root / "selenium-manager.lock")
        return self._binary, self._driver

    # -- session setup -----------------------------------------------------------------------------------

    def prepare(self) -> WorkerProfile:
        """Clone and verify this worker's profile (once); a failure is kept and raised again on every use."""
        if self.profile is not None:
            return self.profile
        if self.failure is not None:
            raise self.failure
        attempts = 0
        try:
            self.locate()
            for attempt in self.retry.retrying():
                with attempt:
                    attempts += 1
                    profile = self._clone_and_verify()
        except ProfileError as exc:
            if attempts > 1:
                exc.message = f"{exc.message} (worker {self.worker_id}: {attempts} attempts, each on a fresh clone)"
                exc.args = (exc.message,)
            self.failure = exc
            self.log.warning("prepare_failed", attempts=attempts, check=getattr(exc, "check", None))
            raise
        profile.metrics["clone_attempts"] = attempts
        for warning in profile.verification.warnings():
            self.log.warning("verify_degraded", reason=warning)
        self.profile = profile
        return profile

    def _clone_and_verify(self) -> WorkerProfile:
        profile = self.manager.clone(self.worker_id)
        self.log.info("clone", path=str(profile.user_data_dir), **profile.metrics)
        result = run_verification(
            verification_config(self.settings, self.retry), profile.user_data_dir, profile.profile_directory,
            self.manager.run.golden, browser=lambda: self._verification_browser(profile),
            vendor=platforms.capability_vendor(self.settings.browser),
        )
        profile.verification = result
        for method, method_result in result.results.items():
            profile.metrics[f"verify_{method.value}_seconds"] = round(method_result.duration, 4)
        profile.metrics.update(result.details)
        self.log.info("verify", status=result.status.value, **result.as_dict())
        for method, method_result in result.results.items():
            if method_result.status is VerificationStatus.FAILED:
                self._drop_warm(profile)
                raise VerificationError(method_result.reason, profile.user_data_dir, method.value)
        return profile

    @contextmanager
    def _verification_browser(self, profile: WorkerProfile, keep: bool = True) -> Iterator[WebDriver]:
        options = self.options(profile)
        driver = self._start_once(options, profile)
        passed = False
        try:
            yield driver
            passed = True
        finally:
            if passed and keep:
                self.warm = (driver, options_key(options))
            else:
                self.quit(driver, profile)

    def _take_warm(self, options: ChromiumOptions, profile: WorkerProfile) -> ChromiumDriver | None:
        """The verified browser, if it was started with exactly these options and still works."""
        if self.warm is None:
            return None
        (driver, key), self.warm = self.warm, None
        if key == options_key(options) and looks_damaged(profile) is None and is_usable(driver):
            return driver
        self.quit(driver, profile)
        return None

    def _drop_warm(self, profile: WorkerProfile) -> None:
        if self.warm is not None:
            driver, self.warm = self.warm[0], None
            self.quit(driver, profile)

    def check_golden(self, progress: Progress | None = None) -> WorkerProfile:
        """Controller, before any worker: make the golden copy (files verified as it is made) and, when an auth
        check is set, prove on a throwaway clone that it is signed in. Raises ``VerificationError``."""
        run = self.manager.run
        started = time.perf_counter()
        stats = self.manager.ensure_golden(progress)
        golden_seconds = time.perf_counter() - started
        folder = resolve_profile(run.golden, self.settings.profile).folder
        config = verification_config(self.settings, self.retry)
        result = VerificationResult()
        if VerificationMethod.FILES in config.methods:
            result.results[VerificationMethod.FILES] = MethodResult(VerificationStatus.PASSED, golden_seconds)
        if VerificationMethod.AUTH in config.methods:
            probe = self.manager.clone(GOLDEN_PROBE)
            try:
                auth = run_verification(
                    replace(config, methods=(VerificationMethod.AUTH,)), probe.user_data_dir, folder, run.golden,
                    browser=lambda: self._verification_browser(probe, keep=False),
                )
            finally:
                self.manager.discard(GOLDEN_PROBE)
            result.results.update(auth.results)
        for method, method_result in result.results.items():
            if method_result.status is VerificationStatus.FAILED:
                raise VerificationError(
                    f"the golden copy of {self.manager.base_dir} failed the {method.value} check, so no test was "
                    f"run: {method_result.reason}",
                    run.golden, method.value,
                )
        golden = WorkerProfile("controller", run.golden, folder, ProfileType.GOLDEN, verification=result)
        if stats is not None:
            golden.metrics.update(golden_seconds=round(golden_seconds, 4), golden_files=stats.files,
                                  golden_bytes=stats.bytes, skipped_files=stats.skipped_files,
                                  skipped_bytes=stats.skipped_bytes, golden_method=stats.method)
            links = [link for link in stats.links_skipped if link.rsplit("/", 1)[-1] not in NEVER_COPY]
            if links:
                golden.metrics["links_skipped"] = ", ".join(links)
        self.log.info("verify_golden", **result.as_dict())
        return golden

    # -- tests ---------------------------------------------------------------------------------------------

    def options(self, profile: WorkerProfile | None = None) -> ChromiumOptions:
        """Fresh options for a browser on this worker's clone."""
        profile = profile or self.prepare()
        binary, _driver = self.locate()
        return build_options(
            self.settings.browser, binary, profile.user_data_dir, profile.profile_directory,
            headed=self.settings.headed, extra_args=self.settings.args,
        )

    def acquire(self, options: ChromiumOptions, profile: WorkerProfile) -> ChromiumDriver:
        """The browser for one test: a new one, or (driver-scope worker) this worker's shared one."""
        warm = self._take_warm(options, profile)
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

    def close(self) -> None:
        """End of the worker's session: quit the shared browser and an unused verified one."""
        if self.profile is not None:
            self._drop_shared(self.profile)
            self._drop_warm(self.profile)

    def restore(self, profile: WorkerProfile) -> None:
        """isolation test: the clone goes back to the golden copy, so no test sees what an earlier one changed."""
        self._drop_shared(profile)
        self._drop_warm(profile)
        started = time.perf_counter()
        self.manager.clone(self.worker_id)
        profile.metrics["restores"] = int(profile.metrics.get("restores", 0)) + 1
        profile.metrics["restore_seconds"] = round(
            float(profile.metrics.get("restore_seconds", 0.0)) + time.perf_counter() - started, 4
        )

    def start(self, options: ChromiumOptions, profile: WorkerProfile | None = None) -> ChromiumDriver:
        """A new browser with ``options``: a damaged clone is re-cloned first, a failed start retried."""
        profile = profile or self.prepare()
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
                    driver = self._start_once(options, profile)
        except ProfileError as exc:
            self.breaker.failure(str(exc))
            raise
        self.breaker.success()
        return driver

    def _start_once(self, options: ChromiumOptions, profile: WorkerProfile) -> ChromiumDriver:
        _binary, driver_path = self.locate()
        started = time.perf_counter()
        starts = int(profile.metrics.get("browser_starts", 0)) + 1
        log_path = self.manager.run.path / "logs" / f"{self.worker_id}-driver-{starts}.log"
        log_path.parent.mkdir(mode=0o700, exist_ok=True)
        session = start_browser(self.settings.browser, options, driver_path, self.manager.run.path, log_path)
        self.driver_logs[session.session_id or ""] = log_path
        profile.metrics["browser_starts"] = starts
        self.log.info("start", seconds=round(time.perf_counter() - started, 4))
        return session

    def reclone(self, profile: WorkerProfile, reason: str) -> None:
        """Replace this worker's clone with a fresh copy of the golden copy (same path, so options still hold)."""
        processes.end_processes(processes.processes_using(profile.user_data_dir), self.retry.cleanup_timeout)
        fresh = self.manager.clone(self.worker_id)
        profile.metrics["reclones"] = int(profile.metrics.get("reclones", 0)) + 1
        self.log.warning("reclone", reason=reason, path=str(fresh.user_data_dir))

    def quit(self, driver: WebDriver, profile: WorkerProfile) -> None:
        """Quit a browser; one that died under its test is counted and its leftovers ended, never an error."""
        if not processes.main_browser_processes(profile.user_data_dir):
            # Died under its test (crash, OOM, killed): the next test starts a new one as usual.
            profile.metrics["browser_deaths"] = int(profile.metrics.get("browser_deaths", 0)) + 1
            self.log.warning("restart", reason="the browser died during the test")
        try:
            driver.quit()
        except Exception as exc:  # a dead browser's driver may be gone too
            self.log.warning("quit_failed", error=exc.__class__.__name__)
        leftovers = processes.processes_using(profile.user_data_dir)
        if leftovers:
            ended = processes.end_processes(leftovers, self.retry.cleanup_timeout)
            self.log.warning("leftovers_ended", count=len(ended))
