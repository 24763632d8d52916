"""The auth check passed for this worker before this test ran."""

from selenium.webdriver.common.by import By


def test_verified_signed_in(edge_driver, edge_profile):
    assert edge_profile.verification.as_dict()["auth"] == "passed"
    edge_driver.get("http://127.0.0.1:8766/account")
    assert edge_driver.find_element(By.ID, "account").text == "Signed in as alice"
