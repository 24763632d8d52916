"""Where each browser keeps its profiles and its executable, per browser x channel x operating system.

Pure functions: the operating system, environment and home folder are parameters, so every platform is
unit-tested on any machine. The paths are where each browser's own installer puts its executable and its
'User Data' folder (Windows under %LOCALAPPDATA% or %PROGRAMFILES%, macOS under /Applications and
~/Library/Application Support, Linux under /opt, /usr/bin or /snap and ~/.config), one folder per channel.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath

WINDOWS, MACOS, LINUX = "Windows", "Darwin", "Linux"

# Folder suffixes per channel on Windows ("SxS" is Canary) and macOS.
_WIN_SUFFIX = {"stable": "", "beta": " Beta", "dev": " Dev", "canary": " SxS"}
_MAC_SUFFIX = {"stable": "", "beta": " Beta", "dev": " Dev", "canary": " Canary"}
_EDGE_LINUX = {"stable": "", "beta": "-beta", "dev": "-dev"}
_CHROME_LINUX = {"stable": "", "beta": "-beta", "dev": "-unstable", "canary": "-canary"}

DRIVER_NAMES = {"edge": "msedgedriver", "chrome": "chromedriver", "chromium": "chromedriver"}


class UnsupportedChannelError(ValueError):
    """The browser has no such channel on this operating system."""


def current_system() -> str:
    return platform.system()


def _system(system: str | None) -> str:
    name = system or current_system()
    if name.startswith(("CYGWIN", "MSYS")):
        return WINDOWS
    return name if name in (WINDOWS, MACOS) else LINUX


def _check_channel(browser: str, channel: str, system: str) -> None:
    if browser == "chromium" and channel != "stable":
        raise UnsupportedChannelError(f"chromium has no '{channel}' channel; use channel 'stable'")
    if browser == "edge" and system == LINUX and channel == "canary":
        raise UnsupportedChannelError("Microsoft Edge has no canary channel on Linux; use stable, beta or dev")


def _path(system: str, *parts: str) -> PurePath:
    return PureWindowsPath(*parts) if system == WINDOWS else PurePosixPath(*parts)


def default_user_data_dir(
    browser: str,
    channel: str = "stable",
    *,
    system: str | None = None,
    env: Mapping[str, str] | None = None,
    home: Path | PurePath | None = None,
) -> PurePath:
    """The folder a normal install of ``browser`` on ``channel`` uses as its 'User Data' directory.

    The result has the flavour of ``system`` (a ``PureWindowsPath`` for Windows), so every platform's answer is
    right on any machine; turn it into a ``Path`` only for the machine you run on.
    """
    sysname = _system(system)
    _check_channel(browser, channel, sysname)
    env = os.environ if env is None else env
    home_dir = str(home) if home is not None else str(Path.home())
    if sysname == WINDOWS:
        local = env.get("LOCALAPPDATA") or str(_path(sysname, home_dir, "AppData", "Local"))
        vendor = {"edge": ("Microsoft", "Edge"), "chrome": ("Google", "Chrome"), "chromium": ("Chromium",)}[browser]
        *parents, leaf = vendor
        return _path(sysname, local, *parents, leaf + _WIN_SUFFIX[channel], "User Data")
    if sysname == MACOS:
        support = _path(sysname, home_dir, "Library", "Application Support")
        leaf = {"edge": "Microsoft Edge", "chrome": "Google/Chrome", "chromium": "Chromium"}[browser]
        return _path(sysname, str(support), leaf + _MAC_SUFFIX[channel])
    config = env.get("XDG_CONFIG_HOME") or str(_path(sysname, home_dir, ".config"))
    leaf = {
        "edge": "microsoft-edge" + _EDGE_LINUX.get(channel, ""),
        "chrome": "google-chrome" + _CHROME_LINUX[channel],
        "chromium": "chromium",
    }[browser]
    return _path(sysname, config, leaf)


def binary_candidates(
    browser: str,
    channel: str = "stable",
    *,
    system: str | None = None,
    env: Mapping[str, str] | None = None,
) -> list[PurePath]:
    """Where an installed browser's executable usually lives, most likely first."""
    sysname = _system(system)
    _check_channel(browser, channel, sysname)
    env = os.environ if env is None else env
    if sysname == WINDOWS:
        roots = [env.get(k) for k in ("LOCALAPPDATA", "PROGRAMFILES", "PROGRAMFILES(X86)")]
        if browser == "edge":
            rel: tuple[str, ...] = ("Microsoft", "Edge" + _WIN_SUFFIX[channel], "Application", "msedge.exe")
        elif browser == "chrome":
            rel = ("Google", "Chrome" + _WIN_SUFFIX[channel], "Application", "chrome.exe")
        else:
            rel = ("Chromium", "Application", "chrome.exe")
        return [_path(sysname, root, *rel) for root in roots if root]
    if sysname == MACOS:
        name = {
            "edge": "Microsoft Edge" + _MAC_SUFFIX[channel],
            "chrome": "Google Chrome" + _MAC_SUFFIX[channel],
            "chromium": "Chromium",
        }[browser]
        return [_path(sysname, "/Applications", f"{name}.app", "Contents", "MacOS", name)]
    if browser == "edge":
        return [_path(sysname, "/opt/microsoft", "msedge" + _EDGE_LINUX[channel], "msedge")]
    if browser == "chrome":
        return [_path(sysname, "/opt/google", "chrome" + _CHROME_LINUX[channel], "chrome")]
    return [
        _path(sysname, "/usr/bin/chromium"),
        _path(sysname, "/usr/bin/chromium-browser"),
        _path(sysname, "/snap/bin/chromium"),
    ]


def binary_names_on_path(browser: str, channel: str = "stable", *, system: str | None = None) -> list[str]:
    """Command names the browser installs on PATH, tried after the usual install locations."""
    sysname = _system(system)
    _check_channel(browser, channel, sysname)
    if sysname == WINDOWS:
        return {"edge": ["msedge"], "chrome": ["chrome"], "chromium": ["chromium", "chrome"]}[browser]
    if browser == "edge":
        names = {
            "stable": ["microsoft-edge", "microsoft-edge-stable"],
            "beta": ["microsoft-edge-beta"],
            "dev": ["microsoft-edge-dev"],
            "canary": [],
        }
        return names[channel]
    if browser == "chrome":
        return {
            "stable": ["google-chrome", "google-chrome-stable"],
            "beta": ["google-chrome-beta"],
            "dev": ["google-chrome-unstable"],
            "canary": ["google-chrome-canary"],
        }[channel]
    return ["chromium", "chromium-browser"]


def driver_name(browser: str, *, system: str | None = None) -> str:
    """The driver's file name: msedgedriver for Edge, chromedriver for Chrome and Chromium."""
    name = DRIVER_NAMES[browser]
    return name + ".exe" if _system(system) == WINDOWS else name


def capability_vendor(browser: str) -> str:
    """The key under which the new session's capabilities report the browser ('msedge' or 'chrome')."""
    return "msedge" if browser == "edge" else "chrome"


def options_key(browser: str) -> str:
    """The W3C capability that carries the browser's options."""
    return "ms:edgeOptions" if browser == "edge" else "goog:chromeOptions"
