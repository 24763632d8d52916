"""Starting a browser on a clone through its driver, and noting the driver's pid so cleanup can always end it."""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import (
    NoAlertPresentException,
    NoSuchWindowException,
    UnexpectedAlertPresentException,
    WebDriverException,
)
from selenium.webdriver.chromium.options import ChromiumOptions
from selenium.webdriver.chromium.webdriver import ChromiumDriver
from selenium.webdriver.remote.webdriver import WebDriver

from ..errors import BrowserNotFoundError, BrowserStartError, first_line
from ..profile.cleanup import record_process


def start_browser(
    browser: str,
    options: ChromiumOptions,
    driver_path: Path,
    run_path: Path | None,
    log_path: Path | None = None,
    *,
    place: str = "the clone",
) -> ChromiumDriver:
    """Start the driver and a browser with ``options``; ``webdriver.Edge`` for edge. The driver's pid is noted in
    ``run_path`` (a run folder) so cleanup can always end it; ``place`` names the user data dir in messages."""
    log_output: str | int = str(log_path) if log_path is not None else subprocess.DEVNULL
    try:
        if browser == "edge":
            edge_service = webdriver.EdgeService(executable_path=str(driver_path), log_output=log_output)
            driver: ChromiumDriver = webdriver.Edge(options=options, service=edge_service)  # type: ignore[arg-type]
            service_pid = edge_service.process.pid
        else:
            chrome_service = webdriver.ChromeService(executable_path=str(driver_path), log_output=log_output)
            driver = webdriver.Chrome(options=options, service=chrome_service)  # type: ignore[arg-type]
            service_pid = chrome_service.process.pid
    except WebDriverException as exc:
        message = first_line(exc)
        raise BrowserStartError(
            f"{browser} did not start on {place} {_user_data_dir(options)} with driver {driver_path}: {message}",
            _user_data_dir(options),
        ) from None
    except OSError as exc:
        raise BrowserNotFoundError(
            f"the driver {driver_path} cannot be started: {exc.strerror or exc}.", driver_path
        ) from None
    if run_path is not None:
        record_process(run_path, service_pid)
    return driver


def _user_data_dir(options: ChromiumOptions) -> Path | None:
    for arg in options.arguments:
        if arg.startswith("--user-data-dir="):
            return Path(arg.split("=", 1)[1])
    return None


# The page loads the blank page itself: it stays in the page's renderer, where a browser-initiated load starts a
# new one and parks the test's page in the back/forward cache (more renderers and more CPU per reset; figures in
# docs/performance.md). replace() also leaves no entry of the test's last page to go back to.
BLANK_IN_PLACE = "location.replace('about:blank')"


def reset_browser(driver: WebDriver) -> None:
    """Between tests on a shared browser: alerts dismissed, extra windows closed, a blank page; the login stays.

    Raises when the browser cannot be reset (for example a "Leave site?" dialog): the caller replaces it.
    """
    handles = driver.window_handles
    if len(handles) > 1:
        for handle in reversed(handles[1:]):
            driver.switch_to.window(handle)
            _dismiss_alert(driver)
            driver.close()
        driver.switch_to.window(handles[0])
    try:
        driver.execute_script(BLANK_IN_PLACE)
    except NoSuchWindowException:  # the test closed the window it was in; another one is left
        driver.switch_to.window(handles[0])
        driver.execute_script(BLANK_IN_PLACE)
    except UnexpectedAlertPresentException:  # dismissed by the driver's default prompt handling, or here
        _dismiss_alert(driver)
        driver.execute_script(BLANK_IN_PLACE)
    except WebDriverException:  # a page that runs no scripts: the driver loads the blank page instead
        driver.get("about:blank")
    if driver.current_url != "about:blank":  # waits for the load; raises if the page held it up with a dialog
        driver.get("about:blank")


def _dismiss_alert(driver: WebDriver) -> None:
    with contextlib.suppress(NoAlertPresentException):
        driver.switch_to.alert.dismiss()


def leave_one_blank_tab(driver: WebDriver) -> bool:
    """Open a new tab (about:blank, with no history) and close every other, so the tabs the browser saves
    when it quits are that one tab; True when that is what is left."""
    others = driver.window_handles
    driver.switch_to.new_window("tab")
    blank = driver.current_window_handle
    for handle in others:
        driver.switch_to.window(handle)
        driver.close()
    driver.switch_to.window(blank)
    return driver.window_handles == [blank] and driver.current_url == "about:blank"


def is_usable(driver: WebDriver) -> bool:
    """True when the browser answers and still has a window to work in."""
    try:
        return bool(driver.window_handles)
    except Exception:  # a dead browser fails in many ways: connection refused, invalid session, no window
        return False
