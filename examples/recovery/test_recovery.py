"""Recovery: a browser that dies under a test is replaced; the next test on that worker still passes."""

import contextlib

import psutil
from selenium.webdriver.common.by import By


def test_browser_dies(edge_driver, site):
    edge_driver.get(f"{site.url}/account")
    for child in psutil.Process(edge_driver.service.process.pid).children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):  # a helper may exit on its own first
            child.kill()  # what a browser crash looks like from the test's side


def test_next_test_is_fine(edge_driver, site, edge_profile):
    edge_driver.get(f"{site.url}/account")
    assert edge_driver.find_element(By.ID, "account").text == "Signed in as alice"
