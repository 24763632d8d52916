"""Real parts for the suite: Chromium and its driver, the login site, a base profile made by logging in."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.baseprofile import CLOSED_NETWORK_ARGS, make_base_profile
from demo.site import LoginSite
from tests.support.checks import wait_for
from tests.support.live import LiveBrowser

# The network here is closed: these keep Chromium from trying to reach it at every start.
QUIET_LIST = list(CLOSED_NETWORK_ARGS)
QUIET_ARGS = shlex.join(QUIET_LIST)  # as PYTEST_EDGEPROFILE_ARG, which the plugin splits like a shell
STANDINS = Path(__file__).parent / "standins"


@pytest.fixture(scope="session")
def chromium() -> tuple[Path, Path]:
    """The local Chromium and chromedriver; the suite fails loudly without them (make test installs them)."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not binary or not driver:
        pytest.fail("chromium and chromedriver are not installed: run `make test` (it installs them)", pytrace=False)
    return Path(binary), Path(driver)


@pytest.fixture(scope="session")
def login_site() -> Iterator[LoginSite]:
    """The demo login site on 127.0.0.1."""
    site = LoginSite().start()
    yield site
    site.stop()


@pytest.fixture(scope="session")
def base_profile(tmp_path_factory: pytest.TempPathFactory, login_site: LoginSite,
                 chromium: tuple[Path, Path]) -> Path:
    """A user data dir whose Default profile really signed in to the login site with Chromium."""
    root = tmp_path_factory.mktemp("base") / "User Data"
    return make_base_profile(root, login_site.url, binary=str(chromium[0]), driver=str(chromium[1]))


@pytest.fixture
def base_copy(tmp_path: Path, base_profile: Path) -> Path:
    """A private copy of the logged-in base for a test that changes its base (in use, damaged, renamed)."""
    target = tmp_path / "base copy" / "User Data"
    shutil.copytree(base_profile, target, symlinks=True)
    return target


@pytest.fixture
def running_browser(base_copy: Path, chromium: tuple[Path, Path]) -> Iterator[subprocess.Popen[bytes]]:
    """The user's own Chromium, open on the base (ended by the test, never by the plugin)."""
    args = [str(chromium[0]), f"--user-data-dir={base_copy}", "--headless=new", "--no-sandbox",
            *QUIET_LIST, "about:blank"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert wait_for(lambda: os.path.lexists(base_copy / "SingletonLock"), 20), "chromium did not start"
    yield proc
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def driven_browser(base_copy: Path, chromium: tuple[Path, Path]) -> Iterator[LiveBrowser]:
    """The user's own Chromium, open on the signed-in base and driven through its DevTools port (ended by the test)."""
    browser = LiveBrowser(chromium[0], chromium[1], base_copy, QUIET_LIST)
    yield browser
    browser.close()


@pytest.fixture
def spawn() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes a test starts (stand-ins for browsers); killed at the end whatever happened."""
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        proc.kill()
        proc.wait(10)


@pytest.fixture
def clone_root(tmp_path: Path) -> Path:
    return tmp_path / "clones"


@pytest.fixture
def plugin_env(monkeypatch: pytest.MonkeyPatch, login_site: LoginSite) -> dict[str, str]:
    """Environment for inner pytest runs: the site URL and quiet Chromium arguments."""
    monkeypatch.setenv("EDGEPROFILE_TEST_SITE", login_site.url)
    monkeypatch.setenv("PYTEST_EDGEPROFILE_ARG", QUIET_ARGS)
    for name in list(os.environ):
        if name.startswith("PYTEST_XDIST") or name == "PYTEST_ADDOPTS":
            monkeypatch.delenv(name)
    return {"EDGEPROFILE_TEST_SITE": login_site.url}


def pytest_report_header() -> str:
    return f"python {sys.version.split()[0]}; chromium {shutil.which('chromium')}"
