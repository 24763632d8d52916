"""Finding the browser executable and its driver on this machine, locally first.

Selenium Manager is the last resort for the driver: it may download, and parallel workers must not run it
at once, so it runs under a file lock.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from filelock import FileLock

from .. import platforms
from ..errors import BrowserNotFoundError

SELENIUM_BROWSER_NAMES = {"edge": "MicrosoftEdge", "chrome": "chrome", "chromium": "chrome"}


def _runnable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _executable(path: Path, what: str, source: str) -> Path:
    if not path.exists():
        raise BrowserNotFoundError(f"the {what} {path} (from {source}) does not exist; fix the path or unset it.",
                                   path)
    if not _runnable(path):
        raise BrowserNotFoundError(
            f"the {what} {path} (from {source}) is not an executable file; fix the path or its permissions.", path
        )
    return path


def find_binary(
    browser: str,
    channel: str,
    configured: Path | None = None,
    source: str = "default",
    *,
    env: Mapping[str, str] | None = None,
) -> Path:
    """The browser executable: the configured one, else the platform's install locations, else PATH."""
    if configured is not None:
        return _executable(configured, "browser executable", source)
    candidates = [Path(str(p)) for p in platforms.binary_candidates(browser, channel, env=env)]
    for candidate in candidates:
        if _runnable(candidate):
            return candidate
    names = platforms.binary_names_on_path(browser, channel)
    search_path = (env or os.environ).get("PATH")
    for name in names:
        found = shutil.which(name, path=search_path)
        if found:
            return Path(found)
    tried = ", ".join([str(c) for c in candidates] + names)
    raise BrowserNotFoundError(
        f"no {browser} ({channel}) executable found (tried {tried}); install it or set --edgeprofile-binary.",
    )


def find_local_driver(
    browser: str,
    binary: Path,
    configured: Path | None = None,
    source: str = "default",
    *,
    env: Mapping[str, str] | None = None,
) -> Path | None:
    """The driver already on this machine: the configured one, else on PATH, else next to the browser."""
    if configured is not None:
        return _executable(configured, "driver", source)
    name = platforms.driver_name(browser)
    found = shutil.which(name, path=(env or os.environ).get("PATH"))
    if found:
        return Path(found)
    beside = binary.parent / name
    if _runnable(beside):
        return beside
    return None


def find_driver(
    browser: str,
    binary: Path,
    configured: Path | None = None,
    source: str = "default",
    *,
    env: Mapping[str, str] | None = None,
    lock_path: Path | None = None,
) -> Path:
    """The driver on this machine (see ``find_local_driver``), else one from Selenium Manager."""
    local = find_local_driver(browser, binary, configured, source, env=env)
    return local if local is not None else selenium_manager_driver(browser, binary, lock_path)


def selenium_manager_driver(browser: str, binary: Path, lock_path: Path | None) -> Path:
    """Ask Selenium Manager for a driver matching ``binary``, one process at a time."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.selenium_manager import SeleniumManager

    lock = FileLock(str(lock_path)) if lock_path is not None else None
    args = ["--browser", SELENIUM_BROWSER_NAMES[browser], "--browser-path", str(binary)]
    try:
        if lock is not None:
            with lock:
                result = SeleniumManager().binary_paths(args)
        else:
            result = SeleniumManager().binary_paths(args)
    except (WebDriverException, OSError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise BrowserNotFoundError(
            f"no {platforms.driver_name(browser)} found on PATH or next to {binary}, and Selenium Manager could "
            f"not provide one ({first_line}); install the driver matching the browser's version and put it on "
            "PATH or set --edgeprofile-driver.",
        ) from None
    driver = result.get("driver_path")
    if not driver:
        raise BrowserNotFoundError(
            f"Selenium Manager returned no {platforms.driver_name(browser)}; set --edgeprofile-driver."
        )
    return Path(driver)
