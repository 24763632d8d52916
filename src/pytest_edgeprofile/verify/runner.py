"""Run the configured verification methods on a clone and grade each: passed, failed (critical) or degraded."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from selenium.webdriver.remote.webdriver import WebDriver

from ..errors import ProfileError
from .checks import verify_auth, verify_capabilities, verify_files
from .model import MethodResult, VerificationConfig, VerificationMethod, VerificationResult, VerificationStatus

BrowserFactory = Callable[[], AbstractContextManager[WebDriver]]


def _grade(
    config: VerificationConfig, method: VerificationMethod, started: float, error: Exception | None
) -> MethodResult:
    duration = time.perf_counter() - started
    if error is None:
        return MethodResult(VerificationStatus.PASSED, duration)
    critical = method in config.critical and getattr(error, "critical", True)
    status = VerificationStatus.FAILED if critical else VerificationStatus.DEGRADED
    return MethodResult(status, duration, str(error))


def run_verification(
    config: VerificationConfig,
    user_data_dir: Path,
    profile_folder: str,
    reference: Path,
    *,
    browser: BrowserFactory | None = None,
    vendor: str = "chrome",
) -> VerificationResult:
    """Check ``user_data_dir`` against ``reference`` (the golden copy) with each method of ``config``."""
    result = VerificationResult()
    if VerificationMethod.FILES in config.methods:
        started = time.perf_counter()
        try:
            verify_files(user_data_dir, profile_folder, reference)
            error: Exception | None = None
        except ProfileError as exc:
            error = exc
        result.results[VerificationMethod.FILES] = _grade(config, VerificationMethod.FILES, started, error)
        if result.status is VerificationStatus.FAILED:
            return result  # a broken clone is not worth a browser start
    in_browser = [m for m in (VerificationMethod.CAPABILITIES, VerificationMethod.AUTH) if m in config.methods]
    if VerificationMethod.AUTH in in_browser and not config.auth_url:
        in_browser.remove(VerificationMethod.AUTH)
        result.results[VerificationMethod.AUTH] = MethodResult(VerificationStatus.SKIPPED, reason="no auth URL set")
    if not in_browser or browser is None:
        for method in in_browser:
            result.results[method] = MethodResult(VerificationStatus.SKIPPED, reason="no browser to check with")
        return result
    started = time.perf_counter()
    try:
        with browser() as driver:
            driver.set_page_load_timeout(config.timeout)
            for method in in_browser:
                started = time.perf_counter()
                try:
                    if method is VerificationMethod.CAPABILITIES:
                        result.details.update(verify_capabilities(driver.capabilities, vendor, user_data_dir))
                    else:
                        assert config.auth_url is not None  # removed from in_browser above otherwise
                        verify_auth(driver, config.auth_url, config.auth_cookie, config.auth_selector)
                    error = None
                except ProfileError as exc:
                    error = exc
                result.results[method] = _grade(config, method, started, error)
    except ProfileError as exc:  # the browser did not start on the clone
        for method in in_browser:
            result.results.setdefault(method, _grade(config, method, started, exc))
    return result
