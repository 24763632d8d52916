"""The one switch that picks the browser the real-browser tests run: ``EDGEPROFILE_TEST_BROWSER``.

``chromium`` (the default: this project's machine has only Chromium), ``chrome`` or ``edge``. The CI workflow
sets it per job, so the runner's real Edge or Chrome is what the tests start. Binary and driver are found the
way the plugin finds them (``browser/locate.py``: install locations, PATH, the runner's ``EDGEWEBDRIVER`` /
``CHROMEWEBDRIVER`` folders, next to the browser), never downloaded.
"""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from demo.baseprofile import CLOSED_NETWORK_ARGS
from pytest_edgeprofile import platforms
from pytest_edgeprofile.browser.locate import find_binary, find_local_driver
from pytest_edgeprofile.errors import ProfileError

SWITCH = "EDGEPROFILE_TEST_BROWSER"
KINDS = ("chromium", "chrome", "edge")
# The network here is closed: these keep Chromium from trying to reach it at every start.
QUIET_LIST = list(CLOSED_NETWORK_ARGS)
QUIET_ARGS = shlex.join(QUIET_LIST)  # as PYTEST_EDGEPROFILE_ARG, which the plugin splits like a shell
# Stand-in msedge and msedgedriver scripts, for the Edge paths on a machine without Edge (see its README.md).
STANDINS = Path(__file__).parent.parent / "standins"


def switch_value(environ: dict[str, str] | None = None) -> str:
    """The switch's value, checked: one of ``KINDS``; ``chromium`` when unset or empty."""
    raw = (os.environ if environ is None else environ).get(SWITCH, "").strip().lower()
    kind = raw or "chromium"
    if kind not in KINDS:
        raise ValueError(f"{SWITCH} is {raw!r}; use one of: {', '.join(KINDS)}.")
    return kind


try:
    TEST_BROWSER = switch_value()
except ValueError:  # tests/conftest.py's pytest_configure stops the run with the sentence
    TEST_BROWSER = "chromium"


@dataclass(frozen=True)
class BrowserUnderTest:
    """The browser the real-browser tests start: its kind (the plugin's ``--edgeprofile-browser``) and files."""

    kind: str
    binary: Path
    driver_path: Path

    def __str__(self) -> str:
        return f"{self.kind}: {self.binary} with {self.driver_path}"


def plugin_args(base: Path | str, clone_root: Path | str) -> list[str]:
    """The options every inner run gives the plugin: the browser under test, the base and the clone root."""
    return [
        "--edgeprofile-browser",
        TEST_BROWSER,
        "--edgeprofile-user-data-dir",
        str(base),
        "--edgeprofile-clone-root",
        str(clone_root),
    ]


def resolve_test_browser(kind: str = TEST_BROWSER) -> BrowserUnderTest:
    """Binary and driver of ``kind`` on this machine; ``ProfileError`` (one sentence) when either is missing."""
    binary = find_binary(kind, "stable")
    driver = find_local_driver(kind, binary)
    if driver is None:
        name = platforms.driver_name(kind)
        raise ProfileError(
            f"no {name} found on PATH, in the runner's driver folder or next to {binary}; install "
            f"the {name} matching the browser (the tests never download one)."
        )
    return BrowserUnderTest(kind, binary, driver)


def user_data_lock(user_data_dir: Path) -> Path:
    """The file a running browser holds in its user data dir: ``lockfile`` on Windows, ``SingletonLock`` else."""
    return user_data_dir / ("lockfile" if sys.platform == "win32" else "SingletonLock")
