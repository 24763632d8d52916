"""One test process's browser work: its clone, its options, its browsers. Used by the fixtures.

It does not import pytest; errors are ``ProfileError``s that the plugin shows as one sentence. A clone that
fails verification, or a browser that cannot start on it, is re-cloned from the golden copy and retried; a
worker whose browser keeps failing opens its circuit breaker, and its remaining tests fail at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from filelock import FileLock
from selenium.webdriver.chromium.options import ChromiumOptions
from selenium.webdriver.chromium.webdriver import ChromiumDriver
from selenium.webdriver.remote.webdriver import WebDriver

from . import platforms
from .browser.launch import leave_one_blank_tab
from .browser.lifecycle import Browsers
from .browser.locate import find_binary, find_driver
from .browser.options import build_options
from .errors import ProfileError, VerificationError
from .log import get_logger
from .profile import blank_session
from .profile.copying import Progress
from .profile.layout import NEVER_COPY, needs_keyring, resolve_profile
from .profile.manager import ProfileManager, ProfileType, WorkerProfile
from .resilience import RetryConfig
from .settings import Settings
from .verify import (
    MethodResult,
    VerificationConfig,
    VerificationMethod,
    VerificationResult,
    VerificationStatus,
    run_verification,
)

GOLDEN_PROBE = "golden-check"  # the throwaway clone on which the controller checks the golden copy's login
BLANK_PROBE = "blank-session"  # the throwaway clone on which the controller makes the run's blank session


def verification_config(settings: Settings, retry: RetryConfig) -> VerificationConfig:
    return VerificationConfig.from_names(
        settings.verify,
        auth_url=settings.auth_url,
        auth_cookie=settings.auth_cookie,
        auth_selector=settings.auth_selector,
        timeout=retry.verify_timeout,
    )


class WorkerSession:
    """Clones and verifies this process's profile once, then starts browsers on it."""

    def __init__(
        self, settings: Settings, manager: ProfileManager, worker_id: str, retry: RetryConfig | None = None
    ) -> None:
        self.settings = settings
        self.manager = manager
        self.worker_id = worker_id
        self.retry = retry or RetryConfig()
        self.profile: WorkerProfile | None = None
        self.failure: ProfileError | None = None
        self._binary: Path | None = None
        self._driver: Path | None = None
        self.log = get_logger(worker=worker_id, run=manager.run.run_id)
        self.browsers = Browsers(settings, manager, worker_id, self.retry, self.locate, self.log)

    @property
    def driver_logs(self) -> dict[str, Path]:
        return self.browsers.driver_logs

    def seed_executables(self, binary: object, driver: object) -> None:
        """Use the executables the controller already found, so workers do not search again."""
        if binary and driver:
            self._binary, self._driver = Path(str(binary)), Path(str(driver))

    def locate(self) -> tuple[Path, Path]:
        """The browser and driver executables, found once."""
        if self._binary is None or self._driver is None:
            s = self.settings
            self._binary = find_binary(s.browser, s.channel, s.binary, s.source("binary"))
            self._driver = find_driver(
                s.browser, self._binary, s.driver, s.source("driver"), lock_path=s.clone_root / "selenium-manager.lock"
            )
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
        result = self.manager.verify(
            profile,
            verification_config(self.settings, self.retry),
            browser=lambda: self._verification_browser(profile),
            vendor=platforms.capability_vendor(self.settings.browser),
        )
        self.log.info("verify", status=result.status.value, **result.as_dict())
        for method, method_result in result.results.items():
            if method_result.status is VerificationStatus.FAILED:
                self.browsers.drop_warm(profile)
                raise VerificationError(method_result.reason, profile.user_data_dir, method.value)
        return profile

    @contextmanager
    def _verification_browser(self, profile: WorkerProfile, keep: bool = True) -> Iterator[WebDriver]:
        options = self.options(profile)
        driver = self.browsers.start_once(options, profile)
        passed = False
        try:
            yield driver
            passed = True
        finally:
            if passed and keep:
                self.browsers.keep_warm(driver, options)
            else:
                self.browsers.quit(driver, profile)

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
                    replace(config, methods=(VerificationMethod.AUTH,)),
                    probe.user_data_dir,
                    folder,
                    run.golden,
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
                    run.golden,
                    method.value,
                )
        golden = WorkerProfile("controller", run.golden, folder, ProfileType.GOLDEN, verification=result)
        if stats is not None:
            golden.metrics.update(
                golden_seconds=round(golden_seconds, 4),
                golden_files=stats.files,
                golden_bytes=stats.bytes,
                skipped_entries=len(stats.skipped),
                golden_method=stats.method,
            )
            links = [link for link in stats.links_skipped if link.rsplit("/", 1)[-1] not in NEVER_COPY]
            if links:
                golden.metrics["links_skipped"] = ", ".join(links)
        self.log.info("verify_golden", **result.as_dict())
        return golden

    def start_blank_session(self) -> threading.Thread:
        """Controller, right before xdist starts the workers (without xdist: once collection shows a test needs a
        browser): make the run's blank session in the background (see ``profile.blank_session``). Each worker
        waits for it before its first browser; without xdist, this process's first browser starts alongside it
        instead, and the later ones restore it."""
        self.browsers.first_start_waits = False
        lock = blank_session.claim(self.manager.run)
        thread = threading.Thread(
            target=self._make_blank_session, args=(lock,), name="edgeprofile-blank-session", daemon=True
        )
        thread.start()
        return thread

    def _make_blank_session(self, lock: FileLock) -> None:
        started = time.perf_counter()
        try:
            probe = self.manager.clone(BLANK_PROBE)
            browsers = Browsers(
                self.settings, self.manager, BLANK_PROBE, self.retry, self.locate, self.log, first_start_waits=False
            )
            driver = browsers.start_once(self.options(probe), probe)
            try:
                blank = leave_one_blank_tab(driver)
            finally:
                browsers.quit(driver, probe)
            published = blank and blank_session.publish(probe.profile_path, self.manager.run)
            self.log.info("blank_session", published=published, seconds=round(time.perf_counter() - started, 4))
        except Exception as exc:  # without it browsers open the new tab page, as before: never a failure
            self.log.warning("blank_session_failed", error=exc.__class__.__name__)
        finally:
            try:
                self.manager.discard(BLANK_PROBE)
            finally:
                lock.release()

    # -- tests ---------------------------------------------------------------------------------------------

    def options(self, profile: WorkerProfile | None = None) -> ChromiumOptions:
        """Fresh options for a browser on this worker's clone."""
        profile = profile or self.prepare()
        binary, _driver = self.locate()
        if "password_store" not in profile.metrics:
            keyring = needs_keyring(profile.profile_path, platforms.current_system())
            profile.metrics["password_store"] = "keyring" if keyring else "basic"
        return build_options(
            self.settings.browser,
            binary,
            profile.user_data_dir,
            profile.profile_directory,
            headed=self.settings.headed,
            extra_args=self.settings.args,
            keyring=profile.metrics["password_store"] == "keyring",
        )

    def acquire(self, options: ChromiumOptions, profile: WorkerProfile) -> ChromiumDriver:
        """The browser for one test (see ``Browsers.acquire``)."""
        return self.browsers.acquire(options, profile)

    def release(self, driver: ChromiumDriver, profile: WorkerProfile) -> None:
        self.browsers.release(driver, profile)

    def drop_warm(self) -> None:
        """Quit the browser kept from verification, if it is still waiting for a first test."""
        if self.profile is not None:
            self.browsers.drop_warm(self.profile)

    def close(self) -> None:
        """End of the worker's session: no browser of this worker is left running."""
        if self.profile is not None:
            self.browsers.close(self.profile)
