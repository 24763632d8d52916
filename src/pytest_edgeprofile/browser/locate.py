"""Finding the browser executable and its driver on this machine, locally first.

Selenium Manager is the last resort for the driver: it may download, and parallel workers must not run it
at once, so it runs under a file lock.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock

from .. import platforms
from ..errors import BrowserNotFoundError

if TYPE_CHECKING:
    from ..settings import Settings

SELENIUM_BROWSER_NAMES = {"edge": "MicrosoftEdge", "chrome": "chrome", "chromium": "chrome"}
# Hosted CI runners (GitHub Actions' images) keep each browser's matching driver in a folder named by these.
RUNNER_DRIVER_FOLDERS = {"edge": "EDGEWEBDRIVER", "chrome": "CHROMEWEBDRIVER"}
BROWSER_TITLES = {"edge": "Microsoft Edge", "chrome": "Google Chrome", "chromium": "Chromium"}
# What an executable's own name says it is (lower case, without .exe): only names no other browser uses.
_BINARY_KINDS = {
    "msedge": "edge",
    "microsoft-edge": "edge",
    "microsoft-edge-stable": "edge",
    "microsoft-edge-beta": "edge",
    "microsoft-edge-dev": "edge",
    "microsoft edge": "edge",
    "microsoft edge beta": "edge",
    "microsoft edge dev": "edge",
    "microsoft edge canary": "edge",
    "google-chrome": "chrome",
    "google-chrome-stable": "chrome",
    "google-chrome-beta": "chrome",
    "google-chrome-unstable": "chrome",
    "google-chrome-canary": "chrome",
    "google chrome": "chrome",
    "google chrome beta": "chrome",
    "google chrome dev": "chrome",
    "google chrome canary": "chrome",
    "chromium": "chromium",
    "chromium-browser": "chromium",
}
_DRIVER_KINDS = {"msedgedriver": "edge", "chromedriver": "chrome"}


def _stem(path: Path) -> str:
    name = path.name.lower()
    return name[:-4] if name.endswith(".exe") else name


def binary_kind(binary: Path) -> str | None:
    """The browser ``binary`` is by its file name (edge, chrome, chromium), or None when its name does not say.

    ``chrome`` alone is left unsaid: Windows' Chromium is a chrome.exe too, and Linux's Chrome is /opt/google/chrome/
    chrome. A link (``/usr/bin/microsoft-edge``) is judged by its own name first, then by its target's.
    """
    kind = _BINARY_KINDS.get(_stem(binary))
    if kind is None and binary.is_symlink():
        kind = _BINARY_KINDS.get(_stem(Path(os.path.realpath(binary))))
    return kind


def driver_kind(driver: Path) -> str | None:
    """'edge' for an msedgedriver, 'chrome' for a chromedriver (Chrome and Chromium), else None."""
    return _DRIVER_KINDS.get(_stem(driver))


def _family(browser: str) -> str:
    return "edge" if browser == "edge" else "chrome"


def check_binary_kind(browser: str, binary: Path, source: str) -> None:
    """A configured executable that is plainly another browser's is refused before anything starts it."""
    kind = binary_kind(binary)
    if kind is None or _family(kind) == _family(browser):
        return
    raise BrowserNotFoundError(
        f"the browser executable {binary} (from {source}) is {BROWSER_TITLES[kind]}, but the browser setting is "
        f"{browser!r}, which drives {BROWSER_TITLES[browser]}; set --edgeprofile-browser {kind} to run it, or "
        f"point --edgeprofile-binary at {BROWSER_TITLES[browser]}.",
        binary,
    )


def check_driver_kind(browser: str, driver: Path, source: str) -> None:
    """A configured driver for the other browser family (chromedriver for Edge, msedgedriver for Chrome) is refused."""
    kind = driver_kind(driver)
    if kind is None or kind == _family(browser):
        return
    wanted = platforms.driver_name(browser)
    drives = "Microsoft Edge" if kind == "edge" else "Google Chrome and Chromium"
    other = "edge" if kind == "edge" else "chrome|chromium"
    raise BrowserNotFoundError(
        f"the driver {driver} (from {source}) is {driver.name}, which drives {drives}, but the browser setting is "
        f"{browser!r}; point --edgeprofile-driver at {wanted} (matching the browser's version), or set "
        f"--edgeprofile-browser {other}.",
        driver,
    )


def _runnable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _executable(path: Path, what: str, source: str) -> Path:
    if not path.exists():
        raise BrowserNotFoundError(f"the {what} {path} (from {source}) does not exist; fix the path or unset it.", path)
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
    """The browser executable: the configured one, else the platform's install locations, else PATH.

    When it is not installed but another of Edge, Chrome and Chromium is, the error names the setting that runs it.
    """
    if configured is not None:
        _executable(configured, "browser executable", source)
        check_binary_kind(browser, configured, source)
        return configured
    found, tried = _installed(browser, channel, env)
    if found is not None:
        return found
    others = [
        (kind, path)
        for kind in ("chrome", "chromium", "edge")
        if kind != browser
        for path in [_installed(kind, "stable", env)[0]]
        if path is not None
    ]
    if others:
        found_text = " and ".join(f"{BROWSER_TITLES[kind]} ({path})" for kind, path in others)
        choice = "|".join(kind for kind, _ in others)
        raise BrowserNotFoundError(
            f"no {browser} ({channel}) executable found (tried {', '.join(tried)}), but {found_text} "
            f"{'is' if len(others) == 1 else 'are'} installed: "
            f"run it with --edgeprofile-browser {choice}, or install {BROWSER_TITLES[browser]}.",
        )
    raise BrowserNotFoundError(
        f"no {browser} ({channel}) executable found (tried {', '.join(tried)}); install it or set "
        "--edgeprofile-binary.",
    )


def _installed(browser: str, channel: str, env: Mapping[str, str] | None) -> tuple[Path | None, list[str]]:
    """The installed executable (install locations, then PATH) or None, and the places tried."""
    candidates = [Path(str(p)) for p in platforms.binary_candidates(browser, channel, env=env)]
    names = platforms.binary_names_on_path(browser, channel)
    for candidate in candidates:
        if _runnable(candidate):
            return candidate, []
    search_path = (env or os.environ).get("PATH")
    for name in names:
        found = shutil.which(name, path=search_path)
        if found:
            return Path(found), []
    return None, [str(c) for c in candidates] + names


def find_local_driver(
    browser: str,
    binary: Path,
    configured: Path | None = None,
    source: str = "default",
    *,
    env: Mapping[str, str] | None = None,
) -> Path | None:
    """The driver already on this machine: the configured one, else on PATH, else in the CI runner's driver folder
    (``EDGEWEBDRIVER`` / ``CHROMEWEBDRIVER``, which hosted runners set for their Edge and Chrome), else next to the
    browser."""
    if configured is not None:
        _executable(configured, "driver", source)
        check_driver_kind(browser, configured, source)
        return configured
    environ = os.environ if env is None else env
    name = platforms.driver_name(browser)
    found = shutil.which(name, path=environ.get("PATH"))
    if found:
        return Path(found)
    folder = environ.get(RUNNER_DRIVER_FOLDERS.get(browser, ""), "")
    if folder and _runnable(Path(folder) / name):
        return Path(folder) / name
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
    """Ask Selenium Manager for a driver matching ``binary``, one process at a time.

    The lock file is private (0600) and removed once used, so no empty file stays in the clone root. A process
    still waiting on the removed file may then overlap with a newcomer: only two Selenium Manager calls at once,
    which Selenium Manager itself serialises with its own cache lock.
    """
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.selenium_manager import SeleniumManager

    lock = FileLock(str(lock_path), mode=0o600) if lock_path is not None else None
    args = ["--browser", SELENIUM_BROWSER_NAMES[browser], "--browser-path", str(binary)]
    try:
        if lock is not None and lock_path is not None:
            with lock:
                try:
                    result = SeleniumManager().binary_paths(args)
                finally:
                    with contextlib.suppress(OSError):  # another process may have removed it already
                        os.unlink(lock_path)
        else:
            result = SeleniumManager().binary_paths(args)
    except (WebDriverException, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise BrowserNotFoundError(
            f"no {platforms.driver_name(browser)} found on PATH or next to {binary}, and Selenium Manager could "
            f"not provide one ({first}); install the driver matching the browser's version and put it on "
            "PATH or set --edgeprofile-driver.",
        ) from None
    driver = result.get("driver_path")
    if not driver:
        raise BrowserNotFoundError(
            f"Selenium Manager returned no {platforms.driver_name(browser)}; set --edgeprofile-driver."
        )
    return Path(driver)


@dataclass(frozen=True)
class Executables:
    """The browser binary and its driver (``driver_path``: the executable, never a WebDriver)."""

    binary: Path
    driver_path: Path


def find_executables(settings: Settings) -> Executables:
    """The browser and driver the settings name, or the installed ones; one sentence when missing."""
    s = settings
    binary = find_binary(s.browser, s.channel, s.binary, s.source("binary"))
    driver_path = find_driver(
        s.browser, binary, s.driver_path, s.source("driver"), lock_path=s.clone_root / "selenium-manager.lock"
    )
    return Executables(binary, driver_path)
