"""Finding the browser and its driver: configured, installed, on PATH, beside the browser, Selenium Manager last."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock, Timeout
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.selenium_manager import SeleniumManager

from pytest_edgeprofile import platforms
from pytest_edgeprofile.browser.locate import find_binary, find_driver, selenium_manager_driver
from pytest_edgeprofile.errors import BrowserNotFoundError

pytestmark = pytest.mark.skipif(os.name == "nt", reason="the stand-in executables are POSIX shell scripts")

CHROMEDRIVER = platforms.driver_name("chromium")


def executable(path: Path, mode: int = 0o755) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(mode)
    return path


def lock_is_held(lock_path: Path) -> bool:
    """True when another holder has ``lock_path``: a fresh lock in another thread cannot take it at once."""
    result: list[bool] = []

    def try_lock() -> None:
        lock = FileLock(str(lock_path))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            result.append(True)
        else:
            lock.release()
            result.append(False)

    thread = threading.Thread(target=try_lock)
    thread.start()
    thread.join()
    return result[0]


class FakeManager:
    """Stands in for ``SeleniumManager.binary_paths``: records each call and whether the lock was held."""

    def __init__(self, answer: Callable[[], dict[str, Any]], lock_path: Path | None = None) -> None:
        self.answer = answer
        self.lock_path = lock_path
        self.calls: list[list[str]] = []
        self.lock_held: list[bool] = []

    def __call__(self, args: list[str]) -> dict[str, Any]:
        self.calls.append(list(args))
        if self.lock_path is not None:
            self.lock_held.append(lock_is_held(self.lock_path))
        return self.answer()


@pytest.fixture
def manager(monkeypatch: pytest.MonkeyPatch) -> FakeManager:
    """A Selenium Manager that must not be reached: tests that expect it replace ``answer``."""

    def unreachable() -> dict[str, Any]:
        raise AssertionError("Selenium Manager was called")

    fake = FakeManager(unreachable)
    monkeypatch.setattr(SeleniumManager, "binary_paths", lambda self, args: fake(args))
    return fake


@pytest.fixture
def browser(tmp_path: Path) -> Path:
    return executable(tmp_path / "browser" / "chromium")


@pytest.fixture
def empty_path(tmp_path: Path) -> dict[str, str]:
    """An environment whose PATH holds no driver."""
    (tmp_path / "empty").mkdir()
    return {"PATH": str(tmp_path / "empty")}


# --- configured executables ------------------------------------------------------------------------------------

def test_configured_binary_is_used(tmp_path: Path) -> None:
    configured = executable(tmp_path / "my browser" / "chromium")
    assert find_binary("chromium", "stable", configured, "--edgeprofile-binary") == configured


def test_configured_binary_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "msedge"
    with pytest.raises(BrowserNotFoundError) as info:
        find_binary("edge", "stable", missing, "env PYTEST_EDGEPROFILE_BINARY")
    message = str(info.value)
    assert f"the browser executable {missing} (from env PYTEST_EDGEPROFILE_BINARY) does not exist" in message
    assert "fix the path or unset it" in message
    assert info.value.path == missing


@pytest.mark.parametrize("kind", ["not executable", "directory"])
def test_configured_binary_that_cannot_run(tmp_path: Path, kind: str) -> None:
    target = executable(tmp_path / "msedge", 0o644) if kind == "not executable" else tmp_path
    with pytest.raises(BrowserNotFoundError) as info:
        find_binary("edge", "stable", target, "edgeprofile_binary in pytest.ini")
    message = str(info.value)
    assert f"the browser executable {target} (from edgeprofile_binary in pytest.ini)" in message
    assert "is not an executable file; fix the path or its permissions" in message
    assert info.value.path == target


def test_configured_driver_wins_over_path(tmp_path: Path, manager: FakeManager, browser: Path) -> None:
    configured = executable(tmp_path / "mine" / CHROMEDRIVER)
    on_path = executable(tmp_path / "bin" / CHROMEDRIVER)
    found = find_driver("chromium", browser, configured, "--edgeprofile-driver", env={"PATH": str(on_path.parent)})
    assert found == configured


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda p: p, "does not exist; fix the path or unset it"),
        (lambda p: executable(p, 0o600), "is not an executable file; fix the path or its permissions"),
    ],
    ids=["missing", "not-executable"],
)
def test_bad_configured_driver_is_an_error_not_a_fallback(
    tmp_path: Path, manager: FakeManager, browser: Path, make: Callable[[Path], Path], says: str
) -> None:
    configured = make(tmp_path / "mine" / CHROMEDRIVER)
    on_path = executable(tmp_path / "bin" / CHROMEDRIVER)
    with pytest.raises(BrowserNotFoundError) as info:
        find_driver("chromium", browser, configured, "env PYTEST_EDGEPROFILE_DRIVER",
                    env={"PATH": str(on_path.parent)})
    assert f"the driver {configured} (from env PYTEST_EDGEPROFILE_DRIVER) {says}" in str(info.value)
    assert info.value.path == configured
    assert manager.calls == []


# --- the browser, found ----------------------------------------------------------------------------------------

def test_binary_from_the_install_locations(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    unusable = executable(tmp_path / "a" / "chrome", 0o644)
    installed = executable(tmp_path / "b" / "chrome")
    seen: list[object] = []

    def candidates(browser: str, channel: str, *, env: object = None) -> list[Path]:
        seen.append((browser, channel, env))
        return [tmp_path / "missing" / "chrome", unusable, installed]

    monkeypatch.setattr(platforms, "binary_candidates", candidates)
    env = {"PATH": str(tmp_path / "nothing")}
    assert find_binary("chrome", "beta", env=env) == installed
    assert seen == [("chrome", "beta", env)]


def test_binary_from_path_after_the_install_locations(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(platforms, "binary_candidates", lambda *a, **k: [tmp_path / "missing"])
    monkeypatch.setattr(platforms, "binary_names_on_path", lambda *a, **k: ["chromium", "chromium-browser"])
    on_path = executable(tmp_path / "bin" / "chromium-browser")
    assert find_binary("chromium", "stable", env={"PATH": str(on_path.parent)}) == on_path


def test_no_binary_anywhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    missing = tmp_path / "missing" / "msedge"
    monkeypatch.setattr(platforms, "binary_candidates", lambda *a, **k: [missing])
    monkeypatch.setattr(platforms, "binary_names_on_path", lambda *a, **k: ["microsoft-edge-dev"])
    with pytest.raises(BrowserNotFoundError) as info:
        find_binary("edge", "dev", env={"PATH": str(tmp_path)})
    message = str(info.value)
    assert message.startswith("no edge (dev) executable found")
    assert f"tried {missing}, microsoft-edge-dev" in message
    assert "install it or set --edgeprofile-binary" in message


# --- the driver, found -----------------------------------------------------------------------------------------

def test_driver_on_path(tmp_path: Path, manager: FakeManager, browser: Path) -> None:
    executable(browser.parent / CHROMEDRIVER)  # beside the browser too: PATH comes first
    on_path = executable(tmp_path / "bin" / CHROMEDRIVER)
    env = {"PATH": os.pathsep.join([str(tmp_path / "empty"), str(on_path.parent)])}
    assert find_driver("chromium", browser, env=env) == on_path
    assert manager.calls == []


def test_edge_driver_on_path(tmp_path: Path, manager: FakeManager, browser: Path) -> None:
    on_path = executable(tmp_path / "bin" / platforms.driver_name("edge"))
    executable(tmp_path / "bin" / CHROMEDRIVER)
    assert find_driver("edge", browser, env={"PATH": str(on_path.parent)}) == on_path


def test_driver_beside_the_browser(manager: FakeManager, browser: Path, empty_path: dict[str, str]) -> None:
    beside = executable(browser.parent / CHROMEDRIVER)
    assert find_driver("chromium", browser, env=empty_path) == beside
    assert manager.calls == []


def test_selenium_manager_is_the_last_resort(
    tmp_path: Path, manager: FakeManager, browser: Path, empty_path: dict[str, str]
) -> None:
    executable(browser.parent / CHROMEDRIVER, 0o644)  # beside the browser but not runnable: skipped
    lock_path = tmp_path / "driver.lock"
    manager.answer = lambda: {"driver_path": "/cache/selenium/chromedriver", "browser_path": str(browser)}
    manager.lock_path = lock_path
    found = find_driver("chromium", browser, env=empty_path, lock_path=lock_path)
    assert found == Path("/cache/selenium/chromedriver")
    assert manager.calls == [["--browser", "chrome", "--browser-path", str(browser)]]
    assert manager.lock_held == [True]
    assert not lock_is_held(lock_path)


@pytest.mark.parametrize(("browser_name", "selenium_name"), [("edge", "MicrosoftEdge"), ("chrome", "chrome")])
def test_selenium_manager_is_asked_for_the_browser_in_use(
    tmp_path: Path, manager: FakeManager, browser: Path, browser_name: str, selenium_name: str
) -> None:
    manager.answer = lambda: {"driver_path": str(tmp_path / "drv")}
    assert selenium_manager_driver(browser_name, browser, None) == tmp_path / "drv"
    assert manager.calls == [["--browser", selenium_name, "--browser-path", str(browser)]]


@pytest.mark.parametrize(
    ("failure", "shown"),
    [
        (WebDriverException("Unsuccessful command executed: selenium-manager\nerror: offline"),
         "(Message: Unsuccessful command executed: selenium-manager)"),
        (OSError(8, "Exec format error"), "([Errno 8] Exec format error)"),
        (OSError(), "(OSError)"),
    ],
    ids=["webdriver", "oserror", "empty"],
)
def test_selenium_manager_failure_is_one_clear_sentence(
    tmp_path: Path, manager: FakeManager, browser: Path, empty_path: dict[str, str], failure: Exception, shown: str
) -> None:
    def fail() -> dict[str, Any]:
        raise failure

    lock_path = tmp_path / "driver.lock"
    manager.answer = fail
    manager.lock_path = lock_path
    with pytest.raises(BrowserNotFoundError) as info:
        find_driver("chromium", browser, env=empty_path, lock_path=lock_path)
    message = str(info.value)
    assert message.startswith(f"no {CHROMEDRIVER} found on PATH or next to {browser}")
    assert f"Selenium Manager could not provide one {shown}" in message
    assert "install the driver matching the browser's version" in message
    assert "set --edgeprofile-driver" in message
    assert "\n" not in message
    assert info.value.__suppress_context__
    assert manager.lock_held == [True]
    assert not lock_is_held(lock_path)


def test_selenium_manager_without_a_driver_path(manager: FakeManager, browser: Path) -> None:
    manager.answer = lambda: {"browser_path": str(browser)}
    with pytest.raises(BrowserNotFoundError) as info:
        selenium_manager_driver("edge", browser, None)
    assert str(info.value) == (
        f"Selenium Manager returned no {platforms.driver_name('edge')}; set --edgeprofile-driver."
    )
