"""What a user's suite looks like: every test's browser starts signed in, because it runs on a profile clone."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from demo.site import LoginSite


@pytest.mark.parametrize("page", range(12))
def test_account_page_is_signed_in(edge_driver: WebDriver, site: LoginSite, page: int) -> None:
    edge_driver.get(f"{site.url}/account?page={page}")
    assert edge_driver.find_element(By.ID, "account").text == "Signed in as alice"


def test_home_page_knows_the_user(edge_driver: WebDriver, site: LoginSite) -> None:
    edge_driver.get(site.url)
    assert edge_driver.find_element(By.ID, "state").text == "Signed in as alice"
