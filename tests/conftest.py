"""Real parts for the suite: the browser under test and its driver, the login site, a base profile made by logging in.

The browser is chosen by one switch, ``EDGEPROFILE_TEST_BROWSER`` (chromium by default; chrome or edge in the CI
workflow's jobs): see tests/support/browsers.py. Tests that start it are marked ``browser`` automatically.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.baseprofile import make_base_profile
from demo.site import LoginSite
from pytest_edgeprofile.browser.options import running_as_root_on_linux
from pytest_edgeprofile.errors import ProfileError
from tests.support.browsers import (
    QUIET_ARGS,
    QUIET_LIST,
    SWITCH,
    TEST_BROWSER,
    BrowserUnderTest,
    resolve_test_browser,
    switch_value,
    user_data_lock,
)
from tests.support.checks import wait_for
from tests.support.grid import LocalGrid, missing_parts
from tests.support.live import LiveBrowser

# Fixtures that start the browser under test: a test using any of them is marked `browser`.
BROWSER_FIXTURES = frozenset(
    {"browser_under_test", "chromium", "base_profile", "base_copy", "running_browser", "daily_base"}
)


def pytest_configure(config: pytest.Config) -> None:
    try:
        switch_value()
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`-m browser` selects exactly the tests that start a real browser (the CI workflow runs them apart)."""
    for item in items:
        if BROWSER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_under_test() -> BrowserUnderTest:
    """The browser EDGEPROFILE_TEST_BROWSER names (chromium by default) and its driver, found like the plugin does."""
    try:
        return resolve_test_browser(TEST_BROWSER)
    except ProfileError as exc:
        hint = " `make test` installs Chromium and chromedriver." if TEST_BROWSER == "chromium" else ""
        pytest.fail(f"{SWITCH}={TEST_BROWSER}: {exc}{hint}", pytrace=False)


@pytest.fixture(scope="session")
def chromium(browser_under_test: BrowserUnderTest) -> tuple[Path, Path]:
    """(binary, driver) of the browser under test: Chromium and chromedriver unless EDGEPROFILE_TEST_BROWSER says."""
    return browser_under_test.binary, browser_under_test.driver_path


@pytest.fixture(scope="session")
def login_site() -> Iterator[LoginSite]:
    """The demo login site on 127.0.0.1."""
    site = LoginSite().start()
    yield site
    site.stop()


@pytest.fixture(scope="session")
def base_profile(
    tmp_path_factory: pytest.TempPathFactory, login_site: LoginSite, browser_under_test: BrowserUnderTest
) -> Path:
    """A user data dir whose Default profile really signed in to the login site with the browser under test."""
    root = tmp_path_factory.mktemp("base") / "User Data"
    return make_base_profile(
        root,
        login_site.url,
        binary=str(browser_under_test.binary),
        driver=str(browser_under_test.driver_path),
        browser=browser_under_test.kind,
    )


@pytest.fixture
def base_copy(tmp_path: Path, base_profile: Path) -> Path:
    """A private copy of the logged-in base for a test that changes its base (in use, damaged, renamed)."""
    target = tmp_path / "base copy" / "User Data"
    shutil.copytree(base_profile, target, symlinks=True)
    return target


@pytest.fixture
def running_browser(base_copy: Path, chromium: tuple[Path, Path]) -> Iterator[subprocess.Popen[bytes]]:
    """The user's own browser, open on the base (ended by the test, never by the plugin)."""
    sandbox = ["--no-sandbox"] if running_as_root_on_linux() else []
    args = [str(chromium[0]), f"--user-data-dir={base_copy}", "--headless=new", *sandbox, *QUIET_LIST, "about:blank"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert wait_for(lambda: os.path.lexists(user_data_lock(base_copy)), 20), f"{TEST_BROWSER} did not start"
    yield proc
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def driven_browser(base_copy: Path, chromium: tuple[Path, Path]) -> Iterator[LiveBrowser]:
    """The user's own Chromium, open on the signed-in base and driven through its DevTools port (ended by the test)."""
    browser = LiveBrowser(chromium[0], chromium[1], base_copy, QUIET_LIST)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def grid(tmp_path_factory: pytest.TempPathFactory, browser_under_test: BrowserUnderTest) -> Iterator[LocalGrid]:
    """A real Selenium Grid 4 on 127.0.0.1: a hub and two nodes (2 slots each) running the browser under test."""
    missing = missing_parts()
    if missing:
        pytest.skip(f"no Selenium Grid here: {missing}")
    if browser_under_test.kind == "edge":
        pytest.skip(f"{SWITCH}=edge: the Grid tests run chrome nodes (Chromium or Chrome); Edge nodes are not covered")
    workdir = tmp_path_factory.mktemp("grid")
    local = LocalGrid(workdir, browser_under_test.binary, browser_under_test.driver_path, browser_under_test.kind)
    local.start()
    yield local
    local.stop()


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
    return f"python {sys.version.split()[0]}; browser under test ({SWITCH}): {TEST_BROWSER}"
