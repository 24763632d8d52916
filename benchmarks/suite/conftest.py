"""The benchmark's suite: the same logged-in tests, with the browser from the plugin or a hand-made baseline.

BENCH_MODE: plugin (edge_driver), naive (each worker copies the whole profile by hand), bare (a fresh empty
profile per test, what a suite without a real profile pays), bare-flags (bare, plus the browser flag the plugin
adds to spare CPU, to tell the profile's cost from the flag's saving).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver

from demo.baseprofile import CLOSED_NETWORK_ARGS
from demo.site import LoginSite
from pytest_edgeprofile.browser.options import UNSEEN_UI_FEATURES

MODE = os.environ.get("BENCH_MODE", "plugin")
QUIET = ["--headless=new", *CLOSED_NETWORK_ARGS, "--no-first-run", "--no-default-browser-check"]


@pytest.fixture(scope="session")
def site() -> Iterator[LoginSite]:
    server = LoginSite().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def naive_copy() -> Iterator[Path]:
    """What users write by hand: copy the whole user data dir (caches and all) once per worker."""
    target = Path(tempfile.mkdtemp(prefix="naive-"))
    shutil.copytree(
        os.environ["BENCH_BASE"], target / "User Data", symlinks=True, ignore=shutil.ignore_patterns("Singleton*")
    )
    yield target / "User Data"
    shutil.rmtree(target)


def _chrome(user_data_dir: Path | None) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for arg in QUIET + (["--no-sandbox"] if sys.platform.startswith("linux") and os.geteuid() == 0 else []):
        options.add_argument(arg)
    if MODE == "bare-flags":
        options.add_argument(UNSEEN_UI_FEATURES)
    if user_data_dir is not None:
        options.add_argument(f"--user-data-dir={user_data_dir}")
        options.add_argument("--restore-last-session")
        options.add_experimental_option("excludeSwitches", ["password-store", "use-mock-keychain"])
    return webdriver.Chrome(options=options, service=webdriver.ChromeService(shutil.which("chromedriver")))


@pytest.fixture
def bench_driver(request: pytest.FixtureRequest) -> Iterator[webdriver.Chrome]:
    if MODE == "plugin":
        yield request.getfixturevalue("edge_driver")
        return
    driver = _chrome(request.getfixturevalue("naive_copy") if MODE == "naive" else None)
    try:
        yield driver
    finally:
        driver.quit()
