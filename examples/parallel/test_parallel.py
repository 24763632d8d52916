"""`pytest -n 6`: every worker's browser starts signed in, each on its own clone."""

import pytest
from selenium.webdriver.common.by import By


@pytest.mark.parametrize("page", range(12))
def test_account(edge_driver, site, page):
    edge_driver.get(f"{site.url}/account?page={page}")
    assert edge_driver.find_element(By.ID, "account").text == "Signed in as alice"
