"""Profile folders, executables and driver names per browser x channel x operating system."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath, PurePosixPath, PureWindowsPath

import pytest

from pytest_edgeprofile import platforms
from pytest_edgeprofile.platforms import UnsupportedChannelError

WIN_ENV = {
    "LOCALAPPDATA": r"C:\Users\u\AppData\Local",
    "PROGRAMFILES": r"C:\Program Files",
    "PROGRAMFILES(X86)": r"C:\Program Files (x86)",
}
LINUX_HOME = PurePosixPath("/home/u")
MAC_HOME = PurePosixPath("/Users/u")
HOMES = {"Windows": PureWindowsPath(r"C:\Users\u"), "Darwin": MAC_HOME, "Linux": LINUX_HOME}
LOCAL = r"C:\Users\u\AppData\Local"
SUPPORT = "/Users/u/Library/Application Support"

# (browser, channel, system, the 'User Data' folder chromium-profiles.md names)
USER_DATA_DIRS = [
    ("edge", "stable", "Windows", LOCAL + r"\Microsoft\Edge\User Data"),
    ("edge", "beta", "Windows", LOCAL + r"\Microsoft\Edge Beta\User Data"),
    ("edge", "dev", "Windows", LOCAL + r"\Microsoft\Edge Dev\User Data"),
    ("edge", "canary", "Windows", LOCAL + r"\Microsoft\Edge SxS\User Data"),
    ("chrome", "stable", "Windows", LOCAL + r"\Google\Chrome\User Data"),
    ("chrome", "beta", "Windows", LOCAL + r"\Google\Chrome Beta\User Data"),
    ("chrome", "dev", "Windows", LOCAL + r"\Google\Chrome Dev\User Data"),
    ("chrome", "canary", "Windows", LOCAL + r"\Google\Chrome SxS\User Data"),
    ("chromium", "stable", "Windows", LOCAL + r"\Chromium\User Data"),
    ("edge", "stable", "Darwin", SUPPORT + "/Microsoft Edge"),
    ("edge", "beta", "Darwin", SUPPORT + "/Microsoft Edge Beta"),
    ("edge", "dev", "Darwin", SUPPORT + "/Microsoft Edge Dev"),
    ("edge", "canary", "Darwin", SUPPORT + "/Microsoft Edge Canary"),
    ("chrome", "stable", "Darwin", SUPPORT + "/Google/Chrome"),
    ("chrome", "beta", "Darwin", SUPPORT + "/Google/Chrome Beta"),
    ("chrome", "dev", "Darwin", SUPPORT + "/Google/Chrome Dev"),
    ("chrome", "canary", "Darwin", SUPPORT + "/Google/Chrome Canary"),
    ("chromium", "stable", "Darwin", SUPPORT + "/Chromium"),
    ("edge", "stable", "Linux", "/home/u/.config/microsoft-edge"),
    ("edge", "beta", "Linux", "/home/u/.config/microsoft-edge-beta"),
    ("edge", "dev", "Linux", "/home/u/.config/microsoft-edge-dev"),
    ("chrome", "stable", "Linux", "/home/u/.config/google-chrome"),
    ("chrome", "beta", "Linux", "/home/u/.config/google-chrome-beta"),
    ("chrome", "dev", "Linux", "/home/u/.config/google-chrome-unstable"),
    ("chrome", "canary", "Linux", "/home/u/.config/google-chrome-canary"),
    ("chromium", "stable", "Linux", "/home/u/.config/chromium"),
]

# Channels a browser does not have on a system, and the message that says so.
UNSUPPORTED = [
    *[
        ("chromium", channel, system, f"chromium has no '{channel}' channel; use channel 'stable'")
        for channel in ("beta", "dev", "canary")
        for system in ("Windows", "Darwin", "Linux")
    ],
    ("edge", "canary", "Linux", "Microsoft Edge has no canary channel on Linux; use stable, beta or dev"),
]


def _user_data_dir_params() -> list[object]:
    return [pytest.param(*row, id="-".join(row[:3])) for row in USER_DATA_DIRS]


@pytest.mark.parametrize(("browser", "channel", "system", "expected"), _user_data_dir_params())
def test_default_user_data_dir(browser: str, channel: str, system: str, expected: str) -> None:
    found = platforms.default_user_data_dir(browser, channel, system=system, env=WIN_ENV, home=HOMES[system])
    assert str(found) == expected


@pytest.mark.parametrize(
    ("browser", "channel", "expected"),
    [row[:2] + row[3:] for row in USER_DATA_DIRS if row[2] == "Windows"],
)
def test_default_user_data_dir_windows_components(browser: str, channel: str, expected: str) -> None:
    # Read back as a Windows path, the folder names are right even where the str() form is mangled (above).
    found = platforms.default_user_data_dir(browser, channel, system="Windows", env=WIN_ENV, home=HOMES["Windows"])
    assert PureWindowsPath(found) == PureWindowsPath(expected)


def test_windows_user_data_dir_falls_back_to_home_without_localappdata() -> None:
    found = platforms.default_user_data_dir("edge", "dev", system="Windows", env={}, home=HOMES["Windows"])
    assert PureWindowsPath(found) == PureWindowsPath(r"C:\Users\u\AppData\Local\Microsoft\Edge Dev\User Data")


@pytest.mark.parametrize(
    ("browser", "channel", "expected"),
    [
        ("edge", "stable", "/xdg/microsoft-edge"),
        ("edge", "beta", "/xdg/microsoft-edge-beta"),
        ("chrome", "dev", "/xdg/google-chrome-unstable"),
        ("chromium", "stable", "/xdg/chromium"),
    ],
)
def test_linux_honours_xdg_config_home(browser: str, channel: str, expected: str) -> None:
    env = {"XDG_CONFIG_HOME": "/xdg"}
    found = platforms.default_user_data_dir(browser, channel, system="Linux", env=env, home=LINUX_HOME)
    assert str(found) == expected


def test_linux_ignores_an_empty_xdg_config_home() -> None:
    found = platforms.default_user_data_dir("edge", system="Linux", env={"XDG_CONFIG_HOME": ""}, home=LINUX_HOME)
    assert str(found) == "/home/u/.config/microsoft-edge"


def test_macos_ignores_xdg_config_home() -> None:
    found = platforms.default_user_data_dir("edge", system="Darwin", env={"XDG_CONFIG_HOME": "/xdg"}, home=MAC_HOME)
    assert str(found) == SUPPORT + "/Microsoft Edge"


@pytest.mark.parametrize(("browser", "channel", "system", "message"), UNSUPPORTED)
def test_unsupported_channels_are_refused_everywhere(browser: str, channel: str, system: str, message: str) -> None:
    calls: list[Callable[[], object]] = [
        lambda: platforms.default_user_data_dir(browser, channel, system=system, env=WIN_ENV, home=HOMES[system]),
        lambda: platforms.binary_candidates(browser, channel, system=system, env=WIN_ENV),
        lambda: platforms.binary_names_on_path(browser, channel, system=system),
    ]
    for call in calls:
        with pytest.raises(UnsupportedChannelError) as info:
            call()
        assert str(info.value) == message


def test_unsupported_channel_is_a_value_error() -> None:
    assert issubclass(UnsupportedChannelError, ValueError)


def _win(root: str, *rel: str) -> PurePath:
    return PureWindowsPath(root, *rel)


@pytest.mark.parametrize(
    ("browser", "channel", "rel"),
    [
        ("edge", "stable", r"Microsoft\Edge\Application\msedge.exe"),
        ("edge", "beta", r"Microsoft\Edge Beta\Application\msedge.exe"),
        ("edge", "dev", r"Microsoft\Edge Dev\Application\msedge.exe"),
        ("edge", "canary", r"Microsoft\Edge SxS\Application\msedge.exe"),
        ("chrome", "stable", r"Google\Chrome\Application\chrome.exe"),
        ("chrome", "beta", r"Google\Chrome Beta\Application\chrome.exe"),
        ("chrome", "canary", r"Google\Chrome SxS\Application\chrome.exe"),
        ("chromium", "stable", r"Chromium\Application\chrome.exe"),
    ],
)
def test_windows_binary_candidates_cover_every_install_root(browser: str, channel: str, rel: str) -> None:
    found = platforms.binary_candidates(browser, channel, system="Windows", env=WIN_ENV)
    assert [str(p) for p in found] == [
        rf"C:\Users\u\AppData\Local\{rel}",
        rf"C:\Program Files\{rel}",
        rf"C:\Program Files (x86)\{rel}",
    ]


def test_windows_binary_candidates_skip_unset_roots() -> None:
    found = platforms.binary_candidates("edge", system="Windows", env={"PROGRAMFILES(X86)": r"C:\Program Files (x86)"})
    assert [str(p) for p in found] == [r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe"]


@pytest.mark.parametrize(
    ("browser", "channel", "system", "expected"),
    [
        ("edge", "stable", "Darwin", ["/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge"]),
        ("edge", "beta", "Darwin", ["/Applications/Microsoft Edge Beta.app/Contents/MacOS/Microsoft Edge Beta"]),
        ("edge", "dev", "Darwin", ["/Applications/Microsoft Edge Dev.app/Contents/MacOS/Microsoft Edge Dev"]),
        ("edge", "canary", "Darwin", ["/Applications/Microsoft Edge Canary.app/Contents/MacOS/Microsoft Edge Canary"]),
        ("chrome", "stable", "Darwin", ["/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"]),
        ("chrome", "canary", "Darwin", ["/Applications/Google Chrome Canary.app/Contents/MacOS/Google Chrome Canary"]),
        ("chromium", "stable", "Darwin", ["/Applications/Chromium.app/Contents/MacOS/Chromium"]),
        ("edge", "stable", "Linux", ["/opt/microsoft/msedge/msedge"]),
        ("edge", "beta", "Linux", ["/opt/microsoft/msedge-beta/msedge"]),
        ("edge", "dev", "Linux", ["/opt/microsoft/msedge-dev/msedge"]),
        ("chrome", "stable", "Linux", ["/opt/google/chrome/chrome"]),
        ("chrome", "dev", "Linux", ["/opt/google/chrome-unstable/chrome"]),
        ("chromium", "stable", "Linux", ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/snap/bin/chromium"]),
    ],
)
def test_posix_binary_candidates(browser: str, channel: str, system: str, expected: list[str]) -> None:
    found = platforms.binary_candidates(browser, channel, system=system, env=WIN_ENV)
    assert [str(p) for p in found] == expected


@pytest.mark.parametrize(
    ("browser", "channel", "system", "expected"),
    [
        ("edge", "stable", "Linux", ["microsoft-edge", "microsoft-edge-stable"]),
        ("edge", "dev", "Linux", ["microsoft-edge-dev"]),
        ("chrome", "dev", "Linux", ["google-chrome-unstable"]),
        ("chromium", "stable", "Linux", ["chromium", "chromium-browser"]),
        ("edge", "stable", "Windows", ["msedge"]),
        ("chromium", "stable", "Windows", ["chromium", "chrome"]),
    ],
)
def test_binary_names_on_path(browser: str, channel: str, system: str, expected: list[str]) -> None:
    assert platforms.binary_names_on_path(browser, channel, system=system) == expected


@pytest.mark.parametrize(
    ("browser", "system", "expected"),
    [
        ("edge", "Windows", "msedgedriver.exe"),
        ("chrome", "Windows", "chromedriver.exe"),
        ("chromium", "Windows", "chromedriver.exe"),
        ("edge", "CYGWIN_NT-10.0", "msedgedriver.exe"),
        ("edge", "MSYS_NT-10.0", "msedgedriver.exe"),
        ("edge", "Darwin", "msedgedriver"),
        ("chrome", "Linux", "chromedriver"),
        ("chromium", "Linux", "chromedriver"),
        ("edge", "FreeBSD", "msedgedriver"),
    ],
)
def test_driver_name(browser: str, system: str, expected: str) -> None:
    assert platforms.driver_name(browser, system=system) == expected


@pytest.mark.parametrize(("system", "expected"), [("Windows", "msedgedriver.exe"), ("Linux", "msedgedriver")])
def test_driver_name_defaults_to_the_current_system(
    monkeypatch: pytest.MonkeyPatch, system: str, expected: str
) -> None:
    monkeypatch.setattr(platforms, "current_system", lambda: system)
    assert platforms.driver_name("edge") == expected


@pytest.mark.parametrize(
    ("browser", "vendor", "key"),
    [
        ("edge", "msedge", "ms:edgeOptions"),
        ("chrome", "chrome", "goog:chromeOptions"),
        ("chromium", "chrome", "goog:chromeOptions"),
    ],
)
def test_capability_vendor_and_options_key(browser: str, vendor: str, key: str) -> None:
    assert platforms.capability_vendor(browser) == vendor
    assert platforms.options_key(browser) == key
