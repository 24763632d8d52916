"""Run the configured verification methods on a clone and grade each: passed, failed (critical) or degraded.

In two steps, so the caller owns the browser: ``check_files`` on disk, then (if it passed and ``browser_methods``
names any) ``check_in_browser`` on a driver the caller started on the clone. ``run_verification`` strings both
together around a browser context manager, for callers with nothing else to do with the browser.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from selenium.webdriver.remote.webdriver import WebDriver

from ..errors import ProfileError
from ..profile.integrity import verify_files
from ..profile.verification import (
    MethodResult,
    VerificationConfig,
    VerificationMethod,
    VerificationResult,
    VerificationStatus,
)
from .checks import verify_auth, verify_capabilities

IN_BROWSER = (VerificationMethod.CAPABILITIES, VerificationMethod.AUTH)


def _grade(
    config: VerificationConfig, method: VerificationMethod, started: float, error: Exception | None
) -> MethodResult:
    duration = time.perf_counter() - started
    if error is None:
        return MethodResult(VerificationStatus.PASSED, duration)
    critical = method in config.critical and getattr(error, "critical", True)
    status = VerificationStatus.FAILED if critical else VerificationStatus.DEGRADED
    return MethodResult(status, duration, str(error))


def check_files(
    config: VerificationConfig, user_data_dir: Path, profile_folder: str, reference: Path
) -> VerificationResult:
    """The ``files`` method (when configured) against ``reference`` (the golden copy); the result to go on with."""
    result = VerificationResult()
    if VerificationMethod.FILES in config.methods:
        started = time.perf_counter()
        try:
            verify_files(user_data_dir, profile_folder, reference)
            error: Exception | None = None
        except ProfileError as exc:
            error = exc
        result.results[VerificationMethod.FILES] = _grade(config, VerificationMethod.FILES, started, error)
    return result


def _pending(config: VerificationConfig, result: VerificationResult) -> tuple[VerificationMethod, ...]:
    methods = [m for m in IN_BROWSER if m in config.methods]
    if VerificationMethod.AUTH in methods and not config.auth_url:
        methods.remove(VerificationMethod.AUTH)
        result.results[VerificationMethod.AUTH] = MethodResult(VerificationStatus.SKIPPED, reason="no auth URL set")
    return tuple(methods)


def browser_methods(config: VerificationConfig, result: VerificationResult) -> tuple[VerificationMethod, ...]:
    """The in-browser methods to run; none after a failed files check (a broken clone is not worth a browser
    start). An auth check without a URL is recorded as skipped here."""
    pending = _pending(config, result)
    return () if result.status is VerificationStatus.FAILED else pending


def check_in_browser(
    config: VerificationConfig,
    result: VerificationResult,
    driver: WebDriver,
    user_data_dir: Path | None,
    vendor: str = "chrome",
) -> None:
    """Run ``browser_methods`` on ``driver``, a browser started on ``user_data_dir`` (None: on a profile that is
    not ours, a Grid node's in inject mode, so only its versions are read); versions go to details."""
    driver.set_page_load_timeout(config.timeout)
    for method in browser_methods(config, result):
        started = time.perf_counter()
        try:
            if method is VerificationMethod.CAPABILITIES:
                result.details.update(verify_capabilities(driver.capabilities, vendor, user_data_dir))
            elif config.auth_url is not None:
                verify_auth(driver, config.auth_url, config.auth_cookie, config.auth_selector)
            error: Exception | None = None
        except ProfileError as exc:
            error = exc
        result.results[method] = _grade(config, method, started, error)


def browser_did_not_start(config: VerificationConfig, result: VerificationResult, error: ProfileError) -> None:
    """Grade every in-browser method with the reason the browser did not start on the clone."""
    started = time.perf_counter()
    for method in _pending(config, result):
        result.results.setdefault(method, _grade(config, method, started, error))


def skip_in_browser(config: VerificationConfig, result: VerificationResult) -> None:
    for method in _pending(config, result):
        result.results[method] = MethodResult(VerificationStatus.SKIPPED, reason="no browser to check with")


BrowserFactory = Callable[[], AbstractContextManager[WebDriver]]


def run_verification(
    config: VerificationConfig,
    user_data_dir: Path,
    profile_folder: str,
    reference: Path,
    *,
    browser: BrowserFactory | None = None,
    vendor: str = "chrome",
) -> VerificationResult:
    """Check ``user_data_dir`` against ``reference`` with each method of ``config``, in a browser from ``browser``
    (started only when a files check passed and an in-browser method is configured)."""
    result = check_files(config, user_data_dir, profile_folder, reference)
    if not browser_methods(config, result):
        return result
    if browser is None:
        skip_in_browser(config, result)
        return result
    try:
        with browser() as driver:
            check_in_browser(config, result, driver, user_data_dir, vendor)
    except ProfileError as exc:  # the browser did not start on the clone
        browser_did_not_start(config, result, exc)
    return result
