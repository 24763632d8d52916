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
from pytest_edgeprofile.browser.locate import find_binary, find_driver, find_local_driver, selenium_manager_driver
from pytest_edgeprofile.errors import BrowserNotFoundError

pytestmark = pytest.mark.skipif(os.name == "nt", reason="on Windows: the stand-in executables are POSIX shell scripts")

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
        find_driver("chromium", browser, configured, "env PYTEST_EDGEPROFILE_DRIVER", env={"PATH": str(on_path.parent)})
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
        (
            WebDriverException("Unsuccessful command executed: selenium-manager\nerror: offline"),
            "(Message: Unsuccessful command executed: selenium-manager)",
        ),
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


# --- the CI runner's driver folders, a browser or driver of the wrong kind, another browser installed ----------


@pytest.mark.parametrize(("browser_name", "variable"), [("edge", "EDGEWEBDRIVER"), ("chrome", "CHROMEWEBDRIVER")])
def test_the_runner_driver_folder_is_looked_in_after_path(
    tmp_path: Path, browser: Path, manager: FakeManager, browser_name: str, variable: str
) -> None:
    name = platforms.driver_name(browser_name)
    in_folder = executable(tmp_path / "runner drivers" / name)
    env = {"PATH": str(tmp_path / "empty"), variable: str(in_folder.parent)}
    assert find_driver(browser_name, browser, env=env) == in_folder
    on_path = executable(tmp_path / "bin" / name)
    assert find_driver(browser_name, browser, env={**env, "PATH": str(on_path.parent)}) == on_path
    assert manager.calls == []


def test_chromium_does_not_take_the_runners_chrome_driver(tmp_path: Path, browser: Path) -> None:
    """The runner's chromedriver matches its Chrome, not a Chromium of another version."""
    folder = executable(tmp_path / "runner" / CHROMEDRIVER).parent
    env = {"PATH": str(tmp_path / "none"), "CHROMEWEBDRIVER": str(folder)}
    assert find_local_driver("chromium", browser, env=env) is None


def test_a_chromium_binary_for_edge_is_one_sentence(tmp_path: Path) -> None:
    binary = executable(tmp_path / "bin" / "chromium")
    with pytest.raises(BrowserNotFoundError) as info:
        find_binary("edge", "stable", binary, "--edgeprofile-binary")
    assert str(info.value) == (
        f"the browser executable {binary} (from --edgeprofile-binary) is Chromium, but the browser setting is "
        "'edge', which drives Microsoft Edge; set --edgeprofile-browser chromium to run it, or point "
        "--edgeprofile-binary at Microsoft Edge."
    )


def test_an_edge_binary_for_chrome_is_refused_and_a_link_is_judged_by_its_target(tmp_path: Path) -> None:
    target = executable(tmp_path / "opt" / "msedge")
    link = tmp_path / "bin" / "my-browser"
    link.parent.mkdir()
    link.symlink_to(target)
    with pytest.raises(
        BrowserNotFoundError,
        match=r"is Microsoft Edge, but the browser setting is 'chrome'.*"
        r"--edgeprofile-browser edge to run it",
    ):
        find_binary("chrome", "stable", link, "env PYTEST_EDGEPROFILE_BINARY")


@pytest.mark.parametrize("name", ["chrome", "my-wrapper", "google-chrome"])
def test_names_of_the_same_family_or_that_say_nothing_pass(tmp_path: Path, name: str) -> None:
    binary = executable(tmp_path / "bin" / name)
    assert find_binary("chromium", "stable", binary, "--edgeprofile-binary") == binary


def test_chromedriver_for_edge_is_one_sentence(tmp_path: Path, browser: Path) -> None:
    driver = executable(tmp_path / "drivers" / "chromedriver")
    with pytest.raises(BrowserNotFoundError) as info:
        find_driver("edge", browser, driver, "--edgeprofile-driver")
    assert str(info.value) == (
        f"the driver {driver} (from --edgeprofile-driver) is chromedriver, which drives Google Chrome and Chromium, "
        f"but the browser setting is 'edge'; point --edgeprofile-driver at {platforms.driver_name('edge')} (matching "
        "the browser's version), or set --edgeprofile-browser chrome|chromium."
    )


def test_msedgedriver_for_chromium_is_one_sentence(tmp_path: Path, browser: Path) -> None:
    driver = executable(tmp_path / "drivers" / "msedgedriver")
    with pytest.raises(BrowserNotFoundError) as info:
        find_local_driver("chromium", browser, driver, "edgeprofile_driver in pytest.ini")
    assert str(info.value) == (
        f"the driver {driver} (from edgeprofile_driver in pytest.ini) is msedgedriver, which drives Microsoft Edge, "
        f"but the browser setting is 'chromium'; point --edgeprofile-driver at {CHROMEDRIVER} (matching the "
        "browser's version), or set --edgeprofile-browser edge."
    )


def test_edge_missing_but_chromium_installed_names_the_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    chromium = executable(tmp_path / "usr" / "bin" / "chromium")
    installed = {"chromium": [chromium]}
    monkeypatch.setattr(
        platforms, "binary_candidates", lambda browser, *a, **k: installed.get(browser, [tmp_path / "none" / browser])
    )
    monkeypatch.setattr(platforms, "binary_names_on_path", lambda browser, *a, **k: [f"no-{browser}-here"])
    with pytest.raises(BrowserNotFoundError) as info:
        find_binary("edge", "stable", env={"PATH": str(tmp_path / "empty")})
    assert str(info.value) == (
        f"no edge (stable) executable found (tried {tmp_path / 'none' / 'edge'}, no-edge-here), but Chromium "
        f"({chromium}) is installed: run it with --edgeprofile-browser chromium, or install Microsoft Edge."
    )
    chrome = executable(tmp_path / "opt" / "google" / "chrome" / "chrome")
    installed["chrome"] = [chrome]
    with pytest.raises(
        BrowserNotFoundError,
        match=r"but Google Chrome \(.*\) and Chromium \(.*\) are installed: "
        r"run it with --edgeprofile-browser chrome\|chromium, or install Microsoft Edge\.$",
    ):
        find_binary("edge", "stable", env={"PATH": str(tmp_path / "empty")})


def test_the_selenium_manager_lock_is_private_and_not_left_behind(
    tmp_path: Path, manager: FakeManager, browser: Path
) -> None:
    lock_path = tmp_path / "clones" / "selenium-manager.lock"
    lock_path.parent.mkdir()
    modes: list[int] = []
    manager.answer = lambda: modes.append(lock_path.stat().st_mode & 0o777) or {"driver_path": str(tmp_path / "d")}
    assert selenium_manager_driver("chromium", browser, lock_path) == tmp_path / "d"
    assert modes == [0o600]
    assert list(lock_path.parent.iterdir()) == []
