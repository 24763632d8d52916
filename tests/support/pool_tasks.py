"""Tasks the pool tests send to worker processes: module-level (picklable) and pytest-free, since each worker
imports this module to run them."""

from __future__ import annotations

import os
import time
from typing import Any

import psutil
from selenium.webdriver.common.by import By


def clone_of(driver: Any) -> str:
    """The user data dir the driver's browser runs on (chromedriver and msedgedriver report it)."""
    for value in driver.capabilities.values():
        if isinstance(value, dict) and "userDataDir" in value:
            return str(value["userDataDir"])
    return ""


def account(driver: Any, site_url: str, page: int) -> dict[str, Any]:
    """Open the account page; what a signed-in browser sees there, and which clone and process it ran on."""
    driver.get(f"{site_url}/account?page={page}")
    found = driver.find_elements(By.ID, "account")
    return {"text": found[0].text if found else driver.title, "clone": clone_of(driver), "pid": os.getpid()}


def fail(driver: Any, message: str) -> None:
    raise ValueError(message)


def pid(driver: Any) -> int:
    return os.getpid()


def marked_account(driver: Any, site_url: str, page: int, marks: str, seconds: float) -> dict[str, Any]:
    """``account`` after a pause, having first left a file named for this process's pid in ``marks``: a test
    waits for it to act on a worker surely in the middle of a task."""
    with open(os.path.join(marks, str(os.getpid())), "w") as handle:
        handle.write(str(page))
    time.sleep(seconds)
    return account(driver, site_url, page)


def kill_browser_once(driver: Any, site_url: str, marks: str) -> dict[str, Any]:
    """The first time (no ``killed`` file in ``marks``): kill this task's browser under it, as a crash would, and
    fail on the dead browser; then (run again on a new browser) ``account``."""
    mark = os.path.join(marks, "killed")
    if not os.path.exists(mark):
        open(mark, "w").close()
        for proc in psutil.Process(driver.service.process.pid).children(recursive=True):
            proc.kill()
        driver.get(site_url)  # raises: the browser is gone
    return account(driver, site_url, 0)


def window(driver: Any, seconds: float) -> dict[str, Any]:
    """Where this worker's browser window is and its size, after a pause (so that every worker gets a task), and
    which clone the browser runs on."""
    time.sleep(seconds)
    return {"rect": dict(driver.get_window_rect()), "clone": clone_of(driver)}


def element(driver: Any) -> Any:
    """A task that returns what cannot leave its process: a WebElement (it holds the driver's connection)."""
    return driver.find_element(By.TAG_NAME, "body")
