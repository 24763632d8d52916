"""The capability setting's items and the options a remote session sends: no Grid needed."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver import ChromeOptions, EdgeOptions

from pytest_edgeprofile.browser.options import build_options
from pytest_edgeprofile.errors import SettingsError
from pytest_edgeprofile.grid import RUN_MARKER, parse_capabilities, parse_capability, remote_options
from pytest_edgeprofile.settings import resolve

CLONE = Path("/clones/run-1/gw0")


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("platformName=linux", ("platformName", "linux")),
        ("se:name=my run", ("se:name", "my run")),
        ("se:recordVideo=true", ("se:recordVideo", True)),
        ("se:screenResolution=1920x1080", ("se:screenResolution", "1920x1080")),
        ("acceptInsecureCerts=false", ("acceptInsecureCerts", False)),
        ("se:timeout=30", ("se:timeout", 30)),
        ('sauce:options={"build": "b 1", "tags": ["x"]}', ("sauce:options", {"build": "b 1", "tags": ["x"]})),
        ('se:label="quoted"', ("se:label", "quoted")),
        ("se:empty=", ("se:empty", "")),
        ("se:eq=a=b", ("se:eq", "a=b")),
        ("se:broken={not json", ("se:broken", "{not json")),
    ],
)
def test_a_value_is_json_when_it_is_valid_json_else_text(item: str, expected: tuple[str, object]) -> None:
    assert parse_capability(item, "--edgeprofile-capability") == expected


@pytest.mark.parametrize("item", ["platformName", "=linux", "bad key=1", ""])
def test_an_item_that_is_not_key_value_names_itself_and_its_source(item: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_capability(item, "env PYTEST_EDGEPROFILE_CAPABILITY")
    assert str(caught.value) == (
        f"capability {item!r} (from env PYTEST_EDGEPROFILE_CAPABILITY) is not KEY=VALUE; give it as, for example, "
        "platformName=linux or 'se:name=my run' (VALUE may be JSON)."
    )
    assert caught.value.setting == "capability" and caught.value.source == "env PYTEST_EDGEPROFILE_CAPABILITY"


@pytest.mark.parametrize("key", ["browserName", RUN_MARKER])
def test_the_plugins_own_capabilities_are_refused(key: str) -> None:
    with pytest.raises(SettingsError, match=rf"^capability '{key}=x' \(from edgeprofile_capability in tox.ini\) sets"):
        parse_capability(f"{key}=x", "edgeprofile_capability in tox.ini")


def test_later_items_win_and_the_settings_resolve_them_from_each_spelling(tmp_path: Path) -> None:
    assert parse_capabilities(["a:b=1", "a:b=2", "c:d=x"], "cli") == {"a:b": 2, "c:d": "x"}
    env = {"PYTEST_EDGEPROFILE_CAPABILITY": "platformName=linux 'se:name=my run' 'se:o={\"k\": [1, 2]}'"}
    from_env = resolve({}, env, {}, cwd=tmp_path)
    assert from_env.capabilities == {"platformName": "linux", "se:name": "my run", "se:o": {"k": [1, 2]}}
    assert from_env.source("capability") == "env PYTEST_EDGEPROFILE_CAPABILITY"
    from_ini = resolve({}, {}, {"edgeprofile_capability": ["se:name=x", 'se:n={"a": 1}']}, cwd=tmp_path)
    assert from_ini.capabilities == {"se:name": "x", "se:n": {"a": 1}}
    with pytest.raises(SettingsError, match=r"^capability 'oops' \(from edgeprofile_capability in the ini file\)"):
        resolve({}, {}, {"edgeprofile_capability": ["oops"]}, cwd=tmp_path)
    defaults = resolve({}, {}, {}, cwd=tmp_path)
    assert (defaults.grid_url, defaults.grid_profile, defaults.capabilities, defaults.grid_queue_timeout) == (
        None,
        "inject",
        {},
        300.0,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"PYTEST_EDGEPROFILE_GRID_URL": "127.0.0.1:4444"},
            "grid-url is '127.0.0.1:4444' (from env PYTEST_EDGEPROFILE_GRID_URL); give the Selenium Grid's full "
            "http:// or https:// address, such as http://127.0.0.1:4444.",
        ),
        (
            {"PYTEST_EDGEPROFILE_GRID_QUEUE_TIMEOUT": "0"},
            "grid-queue-timeout is '0' (from env PYTEST_EDGEPROFILE_GRID_QUEUE_TIMEOUT); give a number of seconds "
            "greater than 0, such as 300.",
        ),
        (
            {"PYTEST_EDGEPROFILE_GRID_QUEUE_TIMEOUT": "soon"},
            "grid-queue-timeout is 'soon' (from env PYTEST_EDGEPROFILE_GRID_QUEUE_TIMEOUT); give a number of seconds "
            "greater than 0, such as 300.",
        ),
        (
            {"PYTEST_EDGEPROFILE_GRID_PROFILE": "mount"},
            "grid-profile is 'mount' (from env PYTEST_EDGEPROFILE_GRID_PROFILE); valid values are: inject, path.",
        ),
    ],
)
def test_bad_grid_settings_get_their_sentence(env: dict[str, str], message: str, tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        resolve({}, env, {}, cwd=tmp_path)
    assert str(caught.value) == message


def test_grid_settings_resolve(tmp_path: Path) -> None:
    cli = {
        "edgeprofile_grid_url": "http://127.0.0.1:4444",
        "edgeprofile_grid_profile": "PATH",
        "edgeprofile_grid_queue_timeout": "2.5",
    }
    settings = resolve(cli, {}, {}, cwd=tmp_path)
    assert (settings.grid_url, settings.grid_profile, settings.grid_queue_timeout) == (
        "http://127.0.0.1:4444",
        "path",
        2.5,
    )


def local(browser: str, binary: str = "/usr/bin/chromium") -> ChromeOptions | EdgeOptions:
    options = build_options(browser, Path(binary), CLONE, "Profile 1", extra_args=["--lang=de"])
    options.add_experimental_option("prefs", {"intl.accept_languages": "de"})
    options.page_load_strategy = "eager"
    return options  # type: ignore[return-value]


def test_edge_goes_as_microsoft_edge_with_edge_options_and_the_run_marker() -> None:
    options = remote_options(local("edge", "/opt/edge/msedge"), "edge", {"se:name": "smoke"}, "run-1", "gw3")
    caps = options.to_capabilities()

    assert isinstance(options, EdgeOptions) and caps["browserName"] == "MicrosoftEdge"
    assert "goog:chromeOptions" not in caps and "binary" not in caps["ms:edgeOptions"]
    assert caps[RUN_MARKER] == {"run": "run-1", "worker": "gw3"} and caps["se:name"] == "smoke"
    assert caps["ms:loggingPrefs"] == {"browser": "ALL"} and caps["pageLoadStrategy"] == "eager"
    assert caps["ms:edgeOptions"]["prefs"] == {"intl.accept_languages": "de"}
    args = caps["ms:edgeOptions"]["args"]
    assert "--lang=de" in args and "--headless=new" in args and "--edge-skip-compat-layer-relaunch" in args
    assert not [arg for arg in args if arg.startswith(("--user-data-dir", "--profile-directory"))], "inject: none"
    assert "excludeSwitches" not in caps["ms:edgeOptions"], "a fresh profile keeps the driver's keyring switches"


@pytest.mark.parametrize("browser", ["chrome", "chromium"])
def test_chrome_and_chromium_go_as_chrome_and_path_mode_keeps_the_clone(browser: str) -> None:
    options = remote_options(local(browser), browser, {}, "run-1", "gw0", mode="path", binary="/srv/chrome/chrome")
    caps = options.to_capabilities()

    assert isinstance(options, ChromeOptions) and caps["browserName"] == "chrome" and "ms:edgeOptions" not in caps
    vendor = caps["goog:chromeOptions"]
    assert vendor["binary"] == "/srv/chrome/chrome", "the binary goes along when the user set it"
    assert f"--user-data-dir={CLONE}" in vendor["args"] and "--profile-directory=Profile 1" in vendor["args"]
    assert vendor["excludeSwitches"] == ["password-store", "use-mock-keychain"], "the clone needs its keyring"
    assert caps["goog:loggingPrefs"] == {"browser": "ALL"}


def test_a_vendor_options_capability_adds_to_the_options() -> None:
    extra = {"goog:chromeOptions": {"args": ["--window-size=800,600"], "mobileEmulation": {"deviceName": "Pixel 7"}}}
    caps = remote_options(local("chromium"), "chromium", extra, "r", "w").to_capabilities()
    assert (
        "--window-size=800,600" in caps["goog:chromeOptions"]["args"]
        and "--lang=de" in caps["goog:chromeOptions"]["args"]
    )
    assert caps["goog:chromeOptions"]["mobileEmulation"] == {"deviceName": "Pixel 7"}


def test_an_unknown_mode_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="mode must be one of"):
        remote_options(local("chromium"), "chromium", {}, "r", "w", mode="mount")


def test_the_plugin_offers_the_grid_settings_and_stops_on_a_bad_capability_in_one_sentence(
    pytester: pytest.Pytester,
) -> None:
    """Through the real plugin: the options exist in all spellings, and a bad item is a usage error."""
    pytester.makepyfile("def test_plain():\n    assert True\n")
    help_text = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--help").stdout.str()
    for name in ("grid-url", "grid-profile", "capability", "grid-queue-timeout"):
        assert f"--edgeprofile-{name}" in help_text and f"edgeprofile_{name.replace('-', '_')}" in help_text

    ok = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--edgeprofile-capability", "se:name=a b", "--edgeprofile-capability", "x:n=1"
    )
    ok.assert_outcomes(passed=1)
    bad = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--edgeprofile-capability", "platformName")

    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    assert [line for line in bad.stderr.lines if line.startswith("ERROR:")] == [
        "ERROR: pytest-edgeprofile: capability 'platformName' (from --edgeprofile-capability) is not KEY=VALUE; give "
        "it as, for example, platformName=linux or 'se:name=my run' (VALUE may be JSON)."
    ]
