"""Which browser a test gets: the ``driver-scope`` policies, on top of the launcher.

``PerTest`` starts a new browser for each test and quits it after; ``PerWorker`` shares one browser per worker and
resets it between tests (replaced when broken). Either may be handed the browser that passed the worker's
verification (``WarmBrowser``), so a worker starts no more browsers than a suite without the plugin would. With
``isolation test`` the clone goes back to the golden copy before every test but the first; with ``isolation
context`` (``PerTestContext``) one browser stays and each test gets a fresh user context holding the login state.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from selenium.webdriver.chromium.options import ChromiumOptions
from selenium.webdriver.chromium.webdriver import ChromiumDriver

from ..errors import BrowserContextError, LoginStateError
from ..profile.manager import WorkerProfile
from .launch import is_usable, reset_browser
from .launcher import Launcher, looks_damaged

if TYPE_CHECKING:  # the state package loads only for isolation context
    from ..state import LoginState, TestContext
    from ..state.contexts import Connections


def options_key(options: ChromiumOptions) -> str:
    """Two options objects start the same browser when their capabilities are the same."""
    return json.dumps(options.to_capabilities(), sort_keys=True, default=str)


@dataclass
class WarmBrowser:
    """The browser that passed verification on the untouched clone, kept for the first test that wants one."""

    driver: ChromiumDriver
    key: str  # options_key of the options it was started with

    def usable_for(self, options: ChromiumOptions, profile: WorkerProfile) -> bool:
        return self.key == options_key(options) and looks_damaged(profile) is None and is_usable(self.driver)


class BrowserScope(Protocol):
    """What every scope does; the remote (Grid) and per-test-context scopes are more of the same."""

    def acquire(
        self, options: ChromiumOptions, profile: WorkerProfile, warm: ChromiumDriver | None
    ) -> ChromiumDriver: ...  # the browser for one test (``warm``: the verified one, to use first)

    def release(self, driver: ChromiumDriver, profile: WorkerProfile) -> None: ...  # after that test

    def close(self, profile: WorkerProfile) -> None: ...  # the end of the worker: no browser of it left


class PerTest:
    """driver-scope test: a new browser for each test, quit after it."""

    def __init__(self, launcher: Launcher, isolation: str) -> None:
        self.launcher = launcher
        self.isolation = isolation

    def acquire(self, options: ChromiumOptions, profile: WorkerProfile, warm: ChromiumDriver | None) -> ChromiumDriver:
        if self.isolation == "test" and warm is None:
            # Restored before every test but the first, which gets the browser verified on the untouched clone.
            self.launcher.restore(profile)
        return warm or self.launcher.start(options, profile)

    def release(self, driver: ChromiumDriver, profile: WorkerProfile) -> None:
        self.launcher.quit(driver, profile)

    def close(self, profile: WorkerProfile) -> None:
        """Nothing outlives its test here."""


class PerWorker(PerTest):
    """driver-scope worker: one browser shared by the worker's tests, reset between them, replaced when broken."""

    def __init__(self, launcher: Launcher, isolation: str) -> None:
        super().__init__(launcher, isolation)
        self.shared: ChromiumDriver | None = None

    def acquire(self, options: ChromiumOptions, profile: WorkerProfile, warm: ChromiumDriver | None) -> ChromiumDriver:
        if self.isolation == "test" and warm is None:
            self.close(profile)  # no browser may hold the clone while it is restored
            self.launcher.restore(profile)
        if self.shared is not None and not is_usable(self.shared):
            self.close(profile)
        if self.shared is None:
            self.shared = warm or self.launcher.start(options, profile)
        elif warm is not None:
            self.launcher.quit(warm, profile)
        return self.shared

    def release(self, driver: ChromiumDriver, profile: WorkerProfile) -> None:
        """After a test: reset the shared browser for the next test (replaced if broken); quit any other."""
        if driver is not self.shared:
            self.launcher.quit(driver, profile)
            return
        try:
            reset_browser(driver)
        except Exception as exc:  # broken in a way a reset cannot fix: the next test gets a new browser
            self.launcher.log.warning("reset_failed", error=exc.__class__.__name__)
            self.close(profile)

    def close(self, profile: WorkerProfile) -> None:
        if self.shared is not None:
            driver, self.shared = self.shared, None
            self.launcher.quit(driver, profile)


class PerTestContext(PerWorker):
    """isolation context: the worker's one browser; each test in a new WebDriver BiDi user context seeded with the
    worker's login state before its first navigation, closed after it. A browser that died is replaced.

    The login state is read from the worker's first browser before any test uses it (the browser that passed
    verification on the untouched clone of the golden copy: the state a throwaway clone would give, without
    starting another browser). The browser's BiDi and DevTools websockets are kept while it serves tests."""

    def __init__(self, launcher: Launcher, origins: Sequence[str] = ()) -> None:
        super().__init__(launcher, "context")
        self.origins = tuple(origins)
        self.state: LoginState | None = None
        self.context: TestContext | None = None
        self.connections: Connections | None = None
        self.checked = False

    def acquire(self, options: ChromiumOptions, profile: WorkerProfile, warm: ChromiumDriver | None) -> ChromiumDriver:
        driver = super().acquire(options, profile, warm)
        try:
            self.context = self._open(driver, profile)
        except BrowserContextError as exc:
            if not exc.browser_gone:
                raise
            self.close(profile)
            driver = super().acquire(options, profile, None)
            self.context = self._open(driver, profile)
        return driver

    def _open(self, driver: ChromiumDriver, profile: WorkerProfile) -> TestContext:
        from ..state.contexts import Connections, context_support, open_context

        if not self.checked:
            reason = context_support(driver)
            if reason is not None:  # never a silent fallback to one shared context
                raise BrowserContextError(reason, profile.user_data_dir, browser_gone=False)
            self.checked = True
        if self.state is None:
            self.state = self._read_state(driver, profile)
        if self.connections is None:
            self.connections = Connections.open(driver)
        try:
            return open_context(driver, self.state, connections=self.connections)
        except BrowserContextError:
            self._drop_connections()  # the next try opens new ones
            raise

    def _read_state(self, driver: ChromiumDriver, profile: WorkerProfile) -> LoginState:
        from ..state import read_state

        started = time.perf_counter()
        try:
            state = read_state(driver, self.origins)
        except LoginStateError as exc:
            raise BrowserContextError(
                f"the worker's login state could not be read from its browser: {exc}",
                profile.user_data_dir,
                browser_gone=not is_usable(driver),
            ) from None
        self.launcher.log.info("state_captured", seconds=round(time.perf_counter() - started, 4), **state.log_fields())
        return state

    def release(self, driver: ChromiumDriver, profile: WorkerProfile) -> None:
        from ..state.contexts import close_context

        context, self.context = self.context, None
        if context is None or driver is not self.shared:
            self.launcher.quit(driver, profile)
            return
        try:
            close_context(driver, context)
        except BrowserContextError as exc:  # the next test gets a new browser
            self.launcher.log.warning("context_close_failed", error=exc.__class__.__name__)
            self.close(profile)

    def close(self, profile: WorkerProfile) -> None:
        self._drop_connections()
        super().close(profile)

    def _drop_connections(self) -> None:
        if self.connections is not None:
            connections, self.connections = self.connections, None
            connections.close()


def scope_for(driver_scope: str, isolation: str, launcher: Launcher, origins: Sequence[str] = ()) -> BrowserScope:
    """The policy the ``driver-scope`` and ``isolation`` settings name (``origins``: whose localStorage the login
    state of isolation context carries)."""
    if isolation == "context":
        return PerTestContext(launcher, origins)
    return PerWorker(launcher, isolation) if driver_scope == "worker" else PerTest(launcher, isolation)
