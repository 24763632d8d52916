"""Logged-in page loads: the work every variant of the benchmark does."""

from __future__ import annotations

import os

import pytest
from selenium.webdriver.common.by import By

from demo.site import LoginSite

COUNT = int(os.environ.get("BENCH_TESTS", "12"))


@pytest.mark.parametrize("n", range(COUNT))
def test_account(bench_driver, site: LoginSite, n: int) -> None:  # type: ignore[no-untyped-def]
    bench_driver.get(f"{site.url}/account")
    heading = bench_driver.find_element(By.TAG_NAME, "h1").text
    if not os.environ.get("BENCH_MODE", "").startswith("bare"):
        assert heading == "Signed in as alice"
