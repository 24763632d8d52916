"""One test process's browser work: its clone, its options, its browsers. Used by the fixtures.

It does not import pytest; errors are ``ProfileError``s that the plugin shows as one sentence.
"""

from __future__ import annotations

import time
from pathlib import Path

from selenium.webdriver.chromium.options import ChromiumOptions
from selenium.webdriver.chromium.webdriver import ChromiumDriver

from . import platforms
from .browser.launch import start_browser
from .browser.locate import find_binary, find_driver
from .browser.options import build_options
from .errors import ProfileError
from .log import get_logger
from .profile.manager import ProfileManager, WorkerProfile
from .settings import Settings
from .verify import verify_auth, verify_capabilities


class WorkerSession:
    """Clones and verifies this process's profile once, then starts browsers on it."""

    def __init__(self, settings: Settings, manager: ProfileManager, worker_id: str) -> None:
        self.settings = settings
        self.manager = manager
        self.worker_id = worker_id
        self.profile: WorkerProfile | None = None
        self.failure: ProfileError | None = None
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

    def prepare(self) -> WorkerProfile:
        """Clone and verify this worker's profile (once); a failure is kept and raised again on every use."""
        if self.profile is not None:
            return self.profile
        if self.failure is not None:
            raise self.failure
        try:
            self.locate()
            profile = self.manager.clone(self.worker_id)
            self.log.info("clone", path=str(profile.user_data_dir), **profile.metrics)
            if {"capabilities", "auth"} & set(self.settings.verify):
                self._verify_in_browser(profile)
            self.log.info("verify", **profile.verification)
        except ProfileError as exc:
            self.failure = exc
            self.log.warning("prepare_failed", error=str(exc))
            raise
        self.profile = profile
        return profile

    def _verify_in_browser(self, profile: WorkerProfile) -> None:
        """Start one browser on the clone: it must report the clone as its user data dir, and be logged in."""
        s = self.settings
        driver = self.start(self.options(profile), profile)
        try:
            if "capabilities" in s.verify:
                started = time.perf_counter()
                versions = verify_capabilities(
                    driver.capabilities, platforms.capability_vendor(s.browser), profile.user_data_dir
                )
                profile.verification["capabilities"] = "passed"
                profile.metrics.update(versions)
                profile.metrics["verify_capabilities_seconds"] = round(time.perf_counter() - started, 4)
            if "auth" in s.verify and s.auth_url:
                started = time.perf_counter()
                verify_auth(driver, s.auth_url, s.auth_cookie, s.auth_selector)
                profile.verification["auth"] = "passed"
                profile.metrics["verify_auth_seconds"] = round(time.perf_counter() - started, 4)
        finally:
            driver.quit()

    def options(self, profile: WorkerProfile | None = None) -> ChromiumOptions:
        """Fresh options for a browser on this worker's clone."""
        profile = profile or self.prepare()
        binary, _driver = self.locate()
        return build_options(
            self.settings.browser, binary, profile.user_data_dir, profile.profile_directory,
            headed=self.settings.headed, extra_args=self.settings.args,
        )

    def start(self, options: ChromiumOptions, profile: WorkerProfile | None = None) -> ChromiumDriver:
        """A new browser with ``options``."""
        profile = profile or self.prepare()
        _binary, driver = self.locate()
        started = time.perf_counter()
        session = start_browser(self.settings.browser, options, driver, self.manager.run.path)
        profile.metrics["browser_starts"] = int(profile.metrics.get("browser_starts", 0)) + 1
        self.log.info("start", seconds=round(time.perf_counter() - started, 4))
        return session
