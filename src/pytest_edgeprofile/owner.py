"""Step 3 and 4, in one process: the clone it owns and the browsers on it. pytest-free.

``CloneOwner`` clones the golden copy for one process (an xdist worker, the single process without xdist, later a
pool worker), verifies the clone in a browser it keeps warm for the first test, and hands out browsers through the
``driver-scope`` policy. A clone that fails verification, or a browser that cannot start on it, is re-cloned from
the golden copy and retried; a process whose browser keeps failing opens its circuit breaker, and its remaining
tests fail at once. Errors are ``ProfileError``s; the front end (pytest, the pool) shows them as one sentence.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from selenium.webdriver.chromium.options import ChromiumOptions
from selenium.webdriver.chromium.webdriver import ChromiumDriver

from . import platforms
from .browser.blank_tab import BlankTab
from .browser.launcher import GridBrowsers, Launcher
from .browser.locate import Executables, find_executables
from .browser.options import build_options
from .browser.scopes import BrowserScope, WarmBrowser, options_key, scope_for
from .errors import ProfileError, VerificationError
from .log import get_logger
from .metrics import WorkerMetrics
from .profile.layout import needs_keyring
from .profile.manager import ProfileManager, WorkerProfile
from .profile.verification import VerificationConfig, VerificationResult, VerificationStatus
from .report import worker_report
from .resilience import RetryConfig
from .settings import Settings
from .verify.runner import browser_did_not_start, browser_methods, check_files, check_in_browser

if TYPE_CHECKING:  # the grid and state packages load only where a run uses them
    from .state import LoginState


def verification_config(settings: Settings, retry: RetryConfig) -> VerificationConfig:
    return VerificationConfig.from_names(
        settings.verify,
        auth_url=settings.auth_url,
        auth_cookie=settings.auth_cookie,
        auth_selector=settings.auth_selector,
        timeout=retry.verify_timeout,
    )


def clone_options(settings: Settings, binary: Path, profile: WorkerProfile, keyring: bool) -> ChromiumOptions:
    """Fresh options for a browser on ``profile``, as the settings ask (BiDi on for per-test contexts)."""
    return build_options(
        settings.browser,
        binary,
        profile.user_data_dir,
        profile.profile_directory,
        headed=settings.headed,
        extra_args=settings.args,
        keyring=keyring,
        bidi=settings.isolation == "context",
    )


def verify_clone(
    profile: WorkerProfile,
    config: VerificationConfig,
    launcher: Launcher,
    options: ChromiumOptions,
    vendor: str,
) -> tuple[VerificationResult, ChromiumDriver | None]:
    """Verify a clone: its files against the golden copy, then (when asked) in a browser started on it. Returns
    the result and, when every check passed, that browser (still running, for the caller to keep or quit)."""
    result = check_files(config, profile.user_data_dir, profile.profile_directory, launcher.manager.run.golden)
    driver = None
    if browser_methods(config, result):
        try:
            driver = launcher.start_once(options, profile)
        except ProfileError as exc:
            browser_did_not_start(config, result, exc)
        else:
            # On a Grid in inject mode the browser runs on a profile of the node's own, never on the clone.
            grid = launcher.grid
            user_data_dir = None if grid is not None and grid.target.mode == "inject" else profile.user_data_dir
            try:
                check_in_browser(config, result, driver, user_data_dir, vendor)
            except BaseException:
                launcher.quit(driver, profile)
                raise
    profile.verification = result
    profile.metrics.record_verification(result)
    if driver is not None and result.status is VerificationStatus.FAILED:
        launcher.quit(driver, profile)
        driver = None
    return result, driver


def grid_browsers(settings: Settings, state: LoginState | None) -> GridBrowsers | None:
    """Where the ``grid-*`` settings send browsers (None: locally); ``state`` for inject mode."""
    s = settings
    if s.grid_url is None:
        return None
    from .grid.browser import GridTarget

    binary = s.binary if s.source("binary") != "default" else None  # else the node's own browser
    return GridBrowsers(GridTarget(s.grid_url, s.grid_profile, s.capabilities, s.grid_queue_timeout, binary), state)


def read_login_state(settings: Settings, found: Executables, manager: ProfileManager) -> LoginState:
    """The run's login state (cookies, and localStorage of auth-url's origin and of state-origins), read once per
    run from the golden copy by the first process that asks (``state.capture_for_run``)."""
    from .state import Launch, capture_for_run

    s = settings
    launch = Launch(s.browser, found.binary, found.driver_path, s.args)
    return capture_for_run(manager.run, s.profile, launch, login_origins(settings))


def login_origins(settings: Settings) -> tuple[str, ...]:
    """The origins whose localStorage the login state carries: auth-url's and the state-origins setting's."""
    from .state import origin_of
    from .state.model import merge_origins

    return merge_origins([*([origin_of(settings.auth_url)] if settings.auth_url else []), *settings.state_origins])


def first_failure(result: VerificationResult) -> tuple[str, str] | None:
    """(method, reason) of the first critical check that failed."""
    for method, method_result in result.results.items():
        if method_result.status is VerificationStatus.FAILED:
            return method.value, method_result.reason
    return None


class CloneOwner:
    """One process's clone: made and verified once (``prepare``), then browsers on it for the tests."""

    def __init__(
        self,
        settings: Settings,
        manager: ProfileManager,
        worker_id: str,
        executables: Executables | None = None,
        retry: RetryConfig | None = None,
        *,
        blank_tab_waits: bool = True,
    ) -> None:
        self.settings = settings
        self.manager = manager
        self.worker_id = worker_id
        self._executables = executables  # found by the controller, or here at first use
        self.retry = retry or RetryConfig()
        self.log = get_logger(worker=worker_id, run=manager.run.run_id)
        self.blank_tab = BlankTab(manager, self.retry.blank_tab_timeout, self.log, waits=blank_tab_waits)
        self.profile: WorkerProfile | None = None
        self.failure: ProfileError | None = None
        self.keyring: bool | None = None  # the clone's secrets need the OS keyring (configuration, not a metric)
        self._launcher: Launcher | None = None
        self._scope: BrowserScope | None = None
        self.warm: WarmBrowser | None = None
        self._state: LoginState | None = None

    @property
    def launcher(self) -> Launcher:
        if self._launcher is None:
            s = self.settings
            state = self.login_state() if s.grid_url is not None and s.grid_profile == "inject" else None
            driver_path = self.locate().driver_path
            self._launcher = Launcher(
                s.browser,
                driver_path,
                self.manager,
                self.worker_id,
                self.retry,
                self.log,
                self.blank_tab,
                grid_browsers(s, state),
            )
        return self._launcher

    def use_executables(self, executables: Executables) -> None:
        """The executables the controller's preflight found (this process need not search again)."""
        self._executables = executables

    def locate(self) -> Executables:
        """The browser and driver executables, found once."""
        if self._executables is None:
            self._executables = find_executables(self.settings)
        return self._executables

    def login_state(self) -> LoginState:
        """The run's login state (cookies, localStorage of auth-url's origin and state-origins), read once per
        run from the golden copy by the first process that asks; for the Grid's inject mode and per-test contexts."""
        if self._state is None:
            self._state = read_login_state(self.settings, self.locate(), self.manager)
        return self._state

    @property
    def scope(self) -> BrowserScope:
        if self._scope is None:
            s = self.settings
            origins = login_origins(s) if s.isolation == "context" else ()
            self._scope = scope_for(s.driver_scope, s.isolation, self.launcher, origins)
        return self._scope

    # -- session setup -----------------------------------------------------------------------------------------

    def prepare(self) -> WorkerProfile:
        """Clone and verify this process's profile (once); a failure is kept and raised again on every use."""
        if self.profile is not None:
            return self.profile
        if self.failure is not None:
            raise self.failure
        attempts = 0
        try:
            self.locate()
            golden = self.manager.ensure_golden()  # made by the controller; here only when it did not run
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
        profile.metrics.clone_attempts = attempts
        profile.metrics.golden = golden
        for warning in profile.verification.warnings():
            self.log.warning("verify_degraded", reason=warning)
        self.profile = profile
        return profile

    def _clone_and_verify(self) -> WorkerProfile:
        profile = self.manager.clone(self.worker_id)
        self.log.info("clone", path=str(profile.user_data_dir), **profile.metrics.as_report())
        options = self.options(profile)
        config = verification_config(self.settings, self.retry)
        result, driver = verify_clone(
            profile, config, self.launcher, options, platforms.capability_vendor(self.settings.browser)
        )
        self.log.info("verify", status=result.status.value, **result.as_dict())
        failed = first_failure(result)
        if failed is not None:
            raise VerificationError(failed[1], profile.user_data_dir, failed[0])
        if driver is not None:
            self.warm = WarmBrowser(driver, options_key(options))
        return profile

    # -- tests ---------------------------------------------------------------------------------------------------

    def options(self, profile: WorkerProfile | None = None) -> ChromiumOptions:
        """Fresh options for a browser on this process's clone."""
        profile = profile or self.prepare()
        if self.keyring is None:
            self.keyring = needs_keyring(profile.profile_path, platforms.current_system())
        binary = self.locate().binary
        return clone_options(self.settings, binary, profile, self.keyring)

    def take_warm(self, options: ChromiumOptions) -> ChromiumDriver | None:
        """The verified browser, if it was started with exactly these options and still works; else None (and
        the kept browser is quit)."""
        warm, self.warm = self.warm, None
        if warm is None or self.profile is None:
            return None
        if warm.usable_for(options, self.profile):
            return warm.driver
        self.launcher.quit(warm.driver, self.profile)
        return None

    def drop_warm(self) -> None:
        """Quit the browser kept from verification, if it is still waiting for a first test."""
        if self.warm is not None and self.profile is not None:
            driver, self.warm = self.warm.driver, None
            self.launcher.quit(driver, self.profile)

    def close(self) -> None:
        """End of the process's session: no browser of this process is left running."""
        if self.profile is not None:
            self.scope.close(self.profile)
            self.drop_warm()

    def report(self) -> dict[str, Any] | None:
        """What this process tells the controller at its end (plain data: it crosses xdist's channel)."""
        if self.profile is None and self.failure is None:
            return None
        return worker_report(self.worker_id, self.profile, str(self.failure) if self.failure else None)


__all__ = ["CloneOwner", "WorkerMetrics", "clone_options", "verification_config", "verify_clone"]
