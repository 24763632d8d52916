"""Remote sessions on the suite's real Grid, each ended at the test's end; the Grid must be left empty."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from pytest_edgeprofile.browser.options import build_options
from pytest_edgeprofile.grid import remote_options, start_remote
from pytest_edgeprofile.profile.run import new_run_id
from tests.support.browsers import QUIET_LIST
from tests.support.checks import wait_for
from tests.support.grid import NOT_USED, LocalGrid, RemoteStarter

QUEUE_TIMEOUT = 60.0  # the tests' sessions never wait for a slot, except where a test says otherwise


@pytest.fixture
def run_id() -> str:
    return new_run_id()


@pytest.fixture
def remote(
    grid: LocalGrid, chromium: tuple[Path, Path], browser_under_test: Any, run_id: str
) -> Iterator[RemoteStarter]:
    """``remote(worker, user_data_dir=None, run=None)``: a session on the Grid with the plugin's options (path mode
    when ``user_data_dir`` is given, else inject mode); every one is quit at the end and the Grid must be empty."""
    started: list[WebDriver] = []

    def start(worker: str = "gw0", user_data_dir: Path | None = None, run: str | None = None) -> WebDriver:
        local = build_options(
            browser_under_test.kind, chromium[0], user_data_dir or NOT_USED, "Default", extra_args=QUIET_LIST
        )
        mode = "inject" if user_data_dir is None else "path"
        options = remote_options(local, browser_under_test.kind, {}, run or run_id, worker, mode=mode)
        driver = start_remote(grid.url, options, QUEUE_TIMEOUT)
        started.append(driver)
        return driver

    yield start
    for driver in started:
        with contextlib.suppress(Exception):  # already deleted through the Grid by the test
            driver.quit()
    assert wait_for(lambda: grid.sessions() == [], 15), f"sessions left on the Grid: {grid.sessions()}"
