"""The options a browser on a clone starts with, read back as the capabilities sent to the driver."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_edgeprofile.browser import options as options_module
from pytest_edgeprofile.browser.options import NO_SPARE_RENDERER, build_options

BINARY = Path("/opt/browser/chrome")
CLONE = Path("/tmp/clones/run 1/gw0/User Data")
REAL_ROOT_CHECK = options_module.running_as_root_on_linux
OURS = [
    "--no-first-run",
    "--no-default-browser-check",
    "--hide-crash-restore-bubble",
    "--restore-last-session",
    "--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup",
]


@pytest.fixture(autouse=True)
def not_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run as root here; each test says whether it wants the root behaviour."""
    monkeypatch.setattr(options_module, "running_as_root_on_linux", lambda: False)


def capabilities(browser: str, **kwargs: Any) -> dict[str, Any]:
    return build_options(browser, BINARY, CLONE, "Profile 1", **kwargs).to_capabilities()


def browser_options(browser: str, **kwargs: Any) -> dict[str, Any]:
    key = "ms:edgeOptions" if browser == "edge" else "goog:chromeOptions"
    return capabilities(browser, **kwargs)[key]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("browser", "browser_name", "key", "other_key"),
    [
        ("edge", "MicrosoftEdge", "ms:edgeOptions", "goog:chromeOptions"),
        ("chrome", "chrome", "goog:chromeOptions", "ms:edgeOptions"),
        ("chromium", "chrome", "goog:chromeOptions", "ms:edgeOptions"),
    ],
)
def test_capabilities_use_the_browsers_vendor_key(browser: str, browser_name: str, key: str, other_key: str) -> None:
    caps = capabilities(browser)
    assert caps["browserName"] == browser_name
    assert key in caps
    assert other_key not in caps
    assert caps[key]["binary"] == str(BINARY)


@pytest.mark.parametrize("browser", ["edge", "chrome", "chromium"])
def test_clone_and_profile_are_single_arguments(browser: str) -> None:
    args = browser_options(browser)["args"]
    assert args[:2] == [f"--user-data-dir={CLONE}", "--profile-directory=Profile 1"]
    assert sum(a.startswith("--user-data-dir") for a in args) == 1
    assert sum(a.startswith("--profile-directory") for a in args) == 1


@pytest.mark.parametrize("browser", ["edge", "chrome", "chromium"])
def test_our_arguments_restore_the_session_and_skip_first_run(browser: str) -> None:
    args = browser_options(browser)["args"]
    for arg in OURS:
        assert args.count(arg) == 1, arg
    assert ("--edge-skip-compat-layer-relaunch" in args) is (browser == "edge")


def test_a_new_user_data_dir_restores_no_session_and_keeps_the_rest() -> None:
    args = browser_options("chromium", restore_last_session=False)["args"]
    assert "--restore-last-session" not in args
    assert [a for a in OURS if a in args] == [a for a in OURS if a != "--restore-last-session"]


@pytest.mark.parametrize("browser", ["edge", "chrome", "chromium"])
def test_headless_unless_headed(browser: str) -> None:
    assert "--headless=new" in browser_options(browser)["args"]
    headed = browser_options(browser, headed=True)["args"]
    assert not [a for a in headed if a.startswith("--headless")]


@pytest.mark.parametrize("browser", ["edge", "chromium"])
@pytest.mark.parametrize("root", [True, False])
def test_no_sandbox_only_as_root_on_linux(monkeypatch: pytest.MonkeyPatch, browser: str, root: bool) -> None:
    monkeypatch.setattr(options_module, "running_as_root_on_linux", lambda: root)
    assert ("--no-sandbox" in browser_options(browser)["args"]) is root


@pytest.mark.parametrize(
    ("platform", "euid", "expected"),
    [("linux", 0, True), ("linux", 1000, False), ("darwin", 0, False), ("win32", 0, False)],
)
def test_running_as_root_on_linux(monkeypatch: pytest.MonkeyPatch, platform: str, euid: int, expected: bool) -> None:
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setattr(os, "geteuid", lambda: euid, raising=False)
    assert REAL_ROOT_CHECK() is expected


@pytest.mark.parametrize("browser", ["edge", "chrome", "chromium"])
def test_driver_defaults_that_hide_the_cookie_key_are_excluded(browser: str) -> None:
    excluded = browser_options(browser)["excludeSwitches"]
    assert sorted(excluded) == ["password-store", "use-mock-keychain"]


def test_a_profile_without_keyring_secrets_keeps_the_drivers_basic_password_store() -> None:
    options = build_options("chromium", BINARY, CLONE, "Default", keyring=False)
    assert options.experimental_options["excludeSwitches"] == ["use-mock-keychain"]


def test_excluded_switches_are_not_shared_between_builds() -> None:
    first = build_options("chrome", BINARY, CLONE, "Default")
    first.experimental_options["excludeSwitches"].append("enable-automation")
    assert build_options("chrome", BINARY, CLONE, "Default").experimental_options["excludeSwitches"] == [
        "password-store",
        "use-mock-keychain",
    ]


@pytest.mark.parametrize("browser", ["edge", "chromium"])
def test_extra_args_come_after_ours_without_duplicates(browser: str) -> None:
    extra = ["--lang=de", "--no-first-run", "--window-size=800,600", "--lang=de", "--headless=new"]
    args = browser_options(browser, extra_args=extra)["args"]
    assert args[-2:] == ["--lang=de", "--window-size=800,600"]
    for arg in ("--lang=de", "--no-first-run", "--headless=new"):
        assert args.count(arg) == 1, arg
    assert args.index("--restore-last-session") < args.index("--lang=de")


def test_extra_args_keep_their_order_and_spaces() -> None:
    args = browser_options("chrome", headed=True, extra_args=("--user-agent=My Agent 1.0", "--mute-audio"))["args"]
    assert args[-2:] == ["--user-agent=My Agent 1.0", "--mute-audio"]


def test_full_argument_list_for_edge_as_root(monkeypatch: pytest.MonkeyPatch) -> None:
    # The whole list in order, so an argument added or lost by accident shows up here.
    monkeypatch.setattr(options_module, "running_as_root_on_linux", lambda: True)
    args = browser_options("edge", extra_args=["--lang=de"])["args"]
    assert args == [
        f"--user-data-dir={CLONE}",
        "--profile-directory=Profile 1",
        *OURS,
        "--edge-skip-compat-layer-relaunch",
        "--headless=new",
        "--no-sandbox",
        "--lang=de",
    ]


@pytest.mark.parametrize("browser", ["edge", "chrome", "chromium"])
def test_the_bidi_endpoint_only_when_asked_for(browser: str) -> None:
    """Per-test contexts need the session's WebDriver BiDi websocket; other modes do without the driver's mapper."""
    assert capabilities(browser, bidi=True)["webSocketUrl"] is True
    assert "webSocketUrl" not in capabilities(browser)


@pytest.mark.parametrize("browser", ["edge", "chrome", "chromium"])
def test_per_test_contexts_start_no_spare_renderer(browser: str) -> None:
    """No test can use a spare renderer made for the previous test's context; other modes keep Chromium's default."""
    assert NO_SPARE_RENDERER in browser_options(browser, bidi=True)["args"]
    assert NO_SPARE_RENDERER not in browser_options(browser)["args"]
