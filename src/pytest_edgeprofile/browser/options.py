"""The browser's options for a clone: the Edge options for edge, the Chrome options for chrome and chromium."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path

from selenium.webdriver import ChromeOptions, EdgeOptions
from selenium.webdriver.chromium.options import ChromiumOptions

# The driver adds these for throwaway profiles; on a real profile they can hide its cookie key (keyring, Keychain).
EXCLUDED_SWITCHES = ["password-store", "use-mock-keychain"]
# When the profile's secrets use the fixed key (Linux "v10"), the driver's --password-store=basic is right, and
# keeping it spares the browser a desktop-keyring probe that costs seconds on a machine without one.
EXCLUDED_WITH_BASIC_STORE = ["use-mock-keychain"]
UNSEEN_UI_FEATURES = "--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup"
RESTORE_LAST_SESSION = "--restore-last-session"
# Chromium keeps a spare renderer process started for the browser context of the last navigation. With a new
# context per test (isolation context) no test can use it: one process started and ended for nothing per test
# (measured: 4 renderer processes per test with it, 1 without; docs/performance.md).
NO_SPARE_RENDERER = "--disable-features=SpareRendererForSitePerProcess"
COMMON_ARGS = (
    "--no-first-run",
    "--no-default-browser-check",
    "--hide-crash-restore-bubble",
    # Session cookies (no expiry) survive only when the browser restores the last session. The tabs it would
    # restore are dropped before each start (profile.clone.forget_open_tabs) and replaced by the run's blank
    # tab (browser.blank_tab), so each browser opens one about:blank tab.
    RESTORE_LAST_SESSION,
    # Chromium builds its omnibox popups as hidden web pages at start-up, headless too: a large share of a
    # browser's start-up CPU (docs/performance.md) for a popup no WebDriver test can see. Without them it uses
    # the native popup. The driver merges every --disable-features it is given, so users' lists still apply.
    UNSEEN_UI_FEATURES,
)
EDGE_ARGS = ("--edge-skip-compat-layer-relaunch",)


def running_as_root_on_linux() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "geteuid") and os.geteuid() == 0


def build_options(
    browser: str,
    binary: Path,
    user_data_dir: Path,
    profile_folder: str,
    *,
    headed: bool = False,
    extra_args: Iterable[str] = (),
    keyring: bool = True,
    restore_last_session: bool = True,
    bidi: bool = False,
) -> ChromiumOptions:
    """Options that start ``binary`` on the clone ``user_data_dir`` with its profile ``profile_folder``.

    ``keyring`` False: the profile's secrets need no OS keyring (see ``profile.layout.needs_keyring``).
    ``restore_last_session`` False: a new, empty user data dir (``edgeprofile login``) has no session to restore.
    ``bidi``: for per-test user contexts (``isolation context``): open the session's WebDriver BiDi endpoint
    (capability ``webSocketUrl``), off otherwise since the driver then runs BiDi's mapper in the browser; and no
    spare renderer (``NO_SPARE_RENDERER``).
    """
    options: ChromiumOptions = EdgeOptions() if browser == "edge" else ChromeOptions()
    options.binary_location = str(binary)
    options.add_argument(f"--user-data-dir={user_data_dir}")
    options.add_argument(f"--profile-directory={profile_folder}")
    for arg in COMMON_ARGS + (EDGE_ARGS if browser == "edge" else ()):
        if restore_last_session or arg != RESTORE_LAST_SESSION:
            options.add_argument(arg)
    if not headed:
        options.add_argument("--headless=new")
    if running_as_root_on_linux():
        options.add_argument("--no-sandbox")  # Chromium refuses to start as root with its sandbox on
    excluded = EXCLUDED_SWITCHES if keyring else EXCLUDED_WITH_BASIC_STORE
    options.add_experimental_option("excludeSwitches", list(excluded))
    # The browser console, for failure artifacts (msedgedriver reads ms:loggingPrefs).
    options.set_capability("ms:loggingPrefs" if browser == "edge" else "goog:loggingPrefs", {"browser": "ALL"})
    for arg in extra_args:
        if arg not in options.arguments:
            options.add_argument(arg)
    if bidi:
        options.enable_bidi = True
        options.add_argument(NO_SPARE_RENDERER)
    return options
