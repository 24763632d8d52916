"""Resolving the settings: CLI > env > ini > default, where each value came from, and every user error."""

from __future__ import annotations

import dataclasses
import getpass
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pytest

from pytest_edgeprofile import settings as settings_module
from pytest_edgeprofile.errors import ProfileError, SettingsError
from pytest_edgeprofile.settings import SPECS, Settings, resolve

CWD = Path("/work/run")
INI_DIR = Path("/work/project")
CLONES = Path("/tmp/clones-for-test")
# Settings that choose the browser or profile: setting one asks for the up-front check of the base profile.
ENGAGING = {
    "browser",
    "channel",
    "user-data-dir",
    "profile",
    "binary",
    "driver",
    "verify",
    "auth-url",
    "auth-cookie",
    "auth-selector",
    "grid-url",
}


def run(
    cli: Mapping[str, object] | None = None,
    env: Mapping[str, str] | None = None,
    ini: Mapping[str, object] | None = None,
    *,
    ini_dir: Path | None = INI_DIR,
    system: str = "Linux",
    home: Path = Path("/home/u"),
) -> Settings:
    """``resolve`` as the plugin calls it, with a fixed cwd, ini file, platform and clone root."""
    return resolve(
        cli or {},
        env or {},
        ini or {},
        cwd=CWD,
        ini_dir=ini_dir,
        ini_name="pytest.ini",
        system=system,
        home=home,
        clone_root_default=lambda: CLONES,
    )


def spellings(name: str) -> tuple[str, str, str]:
    """The CLI dest, env variable and ini key of one setting."""
    spec = settings_module.SPECS_BY_NAME[name]
    return spec.dest, spec.env, spec.ini


def bad(**kwargs: object) -> SettingsError:
    with pytest.raises(SettingsError) as info:
        run(**kwargs)  # type: ignore[arg-type]
    assert isinstance(info.value, ProfileError)  # the plugin turns every ProfileError into a UsageError
    return info.value


# --- the settings and their three spellings -------------------------------------------------------------------


def test_specs_cover_the_public_settings() -> None:
    assert [spec.name for spec in SPECS] == [
        "browser",
        "channel",
        "user-data-dir",
        "profile",
        "binary",
        "driver",
        "headed",
        "arg",
        "clone-root",
        "keep",
        "verify",
        "auth-url",
        "auth-cookie",
        "auth-selector",
        "driver-scope",
        "isolation",
        "output",
        "artifacts",
        "state-origins",
        "base-in-use",
        "grid-url",
        "grid-profile",
        "capability",
        "grid-queue-timeout",
    ]


@pytest.mark.parametrize(
    ("name", "cli", "dest", "env", "ini"),
    [
        (
            "browser",
            "--edgeprofile-browser",
            "edgeprofile_browser",
            "PYTEST_EDGEPROFILE_BROWSER",
            "edgeprofile_browser",
        ),
        (
            "user-data-dir",
            "--edgeprofile-user-data-dir",
            "edgeprofile_user_data_dir",
            "PYTEST_EDGEPROFILE_USER_DATA_DIR",
            "edgeprofile_user_data_dir",
        ),
        (
            "auth-selector",
            "--edgeprofile-auth-selector",
            "edgeprofile_auth_selector",
            "PYTEST_EDGEPROFILE_AUTH_SELECTOR",
            "edgeprofile_auth_selector",
        ),
    ],
)
def test_spec_spellings(name: str, cli: str, dest: str, env: str, ini: str) -> None:
    spec = settings_module.SPECS_BY_NAME[name]
    assert (spec.cli, spec.dest, spec.env, spec.ini) == (cli, dest, env, ini)


def test_choices_of_the_choice_settings() -> None:
    choices = {spec.name: spec.choices for spec in SPECS if spec.kind == "choice"}
    assert choices == {
        "browser": ("edge", "chrome", "chromium"),
        "channel": ("stable", "beta", "dev", "canary"),
        "keep": ("never", "on-failure", "always"),
        "driver-scope": ("test", "worker"),
        "isolation": ("worker", "test", "context"),
        "artifacts": ("on-failure", "always", "never"),
        "base-in-use": ("refuse", "snapshot"),
        "grid-profile": ("inject", "path"),
    }


# --- precedence and sources ------------------------------------------------------------------------------------

# (setting, Settings attribute, CLI value, env value, ini value, then the parsed value of each and the default)
PRECEDENCE = [
    ("browser", "browser", "chromium", "chrome", "chrome", "chromium", "chrome", "chrome", "edge"),
    ("channel", "channel", "beta", "dev", "canary", "beta", "dev", "canary", "stable"),
    ("profile", "profile", "Profile 2", "Profile 1", "Work", "Profile 2", "Profile 1", "Work", "Default"),
    ("keep", "keep", "always", "on-failure", "always", "always", "on-failure", "always", "never"),
    ("base-in-use", "base_in_use", "snapshot", "refuse", "snapshot", "snapshot", "refuse", "snapshot", "refuse"),
    ("grid-profile", "grid_profile", "path", "inject", "path", "path", "inject", "path", "inject"),
    (
        "grid-url",
        "grid_url",
        "http://cli:1",
        "http://env:2",
        "http://ini:3",
        "http://cli:1",
        "http://env:2",
        "http://ini:3",
        None,
    ),
    ("grid-queue-timeout", "grid_queue_timeout", "5", "6.5", "7", 5.0, 6.5, 7.0, 300.0),
    (
        "capability",
        "capabilities",
        ["se:a=1"],
        "se:a=x",
        ["se:a=[1]"],
        {"se:a": 1},
        {"se:a": "x"},
        {"se:a": [1]},
        {},
    ),
    ("auth-cookie", "auth_cookie", "sid_cli", "sid_env", "sid_ini", "sid_cli", "sid_env", "sid_ini", None),
    (
        "state-origins",
        "state_origins",
        "https://cli.test",
        "http://env.test:8000, https://api.env.test:443/",
        "HTTP://Ini.Test:80",
        ("https://cli.test",),
        ("http://env.test:8000", "https://api.env.test"),
        ("http://ini.test",),
        (),
    ),
    ("headed", "headed", True, "0", "yes", True, False, True, False),
    ("arg", "args", ["--cli"], "--env", ["--ini"], ("--cli",), ("--env",), ("--ini",), ()),
    (
        "auth-url",
        "auth_url",
        "https://cli.test/",
        "https://env.test/",
        "https://ini.test/",
        "https://cli.test/",
        "https://env.test/",
        "https://ini.test/",
        None,
    ),
    ("binary", "binary", "/b/cli", "/b/env", "/b/ini", Path("/b/cli"), Path("/b/env"), Path("/b/ini"), None),
    ("clone-root", "clone_root", "/c/cli", "/c/env", "/c/ini", Path("/c/cli"), Path("/c/env"), Path("/c/ini"), CLONES),
    (
        "output",
        "output",
        "/o/cli",
        "/o/env",
        "/o/ini",
        Path("/o/cli"),
        Path("/o/env"),
        Path("/o/ini"),
        CWD / "edgeprofile-results",
    ),
]


@pytest.mark.parametrize(
    ("name", "attr", "cli_raw", "env_raw", "ini_raw", "cli_value", "env_value", "ini_value", "default"),
    PRECEDENCE,
    ids=[row[0] for row in PRECEDENCE],
)
@pytest.mark.parametrize("layers", ["cli+env+ini", "env+ini", "ini", "none"])
def test_precedence_cli_env_ini_default(
    layers: str,
    name: str,
    attr: str,
    cli_raw: object,
    env_raw: str,
    ini_raw: object,
    cli_value: object,
    env_value: object,
    ini_value: object,
    default: object,
) -> None:
    dest, env_key, ini_key = spellings(name)
    cli = {dest: cli_raw} if "cli" in layers else {}
    env = {env_key: env_raw} if "env" in layers else {}
    ini = {ini_key: ini_raw} if "ini" in layers else {}
    # Darwin: the only platform where every channel exists for edge.
    resolved = run(cli, env, ini, system="Darwin")
    expected_value, expected_source = {
        "cli+env+ini": (cli_value, f"--edgeprofile-{name}"),
        "env+ini": (env_value, f"env {env_key}"),
        "ini": (ini_value, f"{ini_key} in pytest.ini"),
        "none": (default, "default"),
    }[layers]
    assert getattr(resolved, attr) == expected_value
    assert resolved.source(name) == expected_source
    assert resolved.sources[name] == expected_source
    assert resolved.explicit is (layers != "none" and name in ENGAGING)


def test_nothing_set_means_every_source_is_default_and_not_explicit() -> None:
    resolved = run()
    assert set(resolved.sources) == {spec.name for spec in SPECS}
    assert set(resolved.sources.values()) == {"default"}
    assert resolved.explicit is False
    assert (resolved.browser, resolved.channel, resolved.profile) == ("edge", "stable", "Default")
    assert (resolved.binary, resolved.driver_path, resolved.headed, resolved.args) == (None, None, False, ())
    assert (resolved.keep, resolved.driver_scope, resolved.isolation) == ("never", "test", "worker")
    assert (resolved.auth_url, resolved.auth_cookie, resolved.auth_selector) == (None, None, None)


# One valid, non-default raw value per setting, as an environment variable would give it.
ONE_VALUE = {
    "browser": "chromium",
    "channel": "beta",
    "user-data-dir": "/base/User Data",
    "profile": "Profile 1",
    "binary": "/opt/b/chrome",
    "driver": "/opt/b/chromedriver",
    "headed": "1",
    "arg": "--lang=de",
    "clone-root": "/c",
    "keep": "always",
    "verify": "files",
    "auth-url": "https://site.test/",
    "auth-cookie": "sid",
    "auth-selector": "#account",
    "driver-scope": "test",
    "isolation": "worker",
    "output": "/out",
    "artifacts": "always",
    "state-origins": "https://app.test",
    "base-in-use": "snapshot",
    "grid-url": "http://127.0.0.1:4444",
    "grid-profile": "path",
    "capability": "se:name=x",
    "grid-queue-timeout": "60",
}


def test_one_value_per_setting_covers_every_setting() -> None:
    assert set(ONE_VALUE) == {spec.name for spec in SPECS}


@pytest.mark.parametrize("name", sorted(ONE_VALUE))
def test_only_settings_that_choose_the_profile_make_the_run_explicit(name: str) -> None:
    _, env_key, _ = spellings(name)
    resolved = run(env={env_key: ONE_VALUE[name]}, system="Darwin")
    assert resolved.source(name) == f"env {env_key}"
    assert {n for n, source in resolved.sources.items() if source != "default"} == {name}
    assert resolved.explicit is (name in ENGAGING)


def test_source_of_an_unknown_name_is_default() -> None:
    assert run().source("no-such-setting") == "default"


@pytest.mark.parametrize(
    ("cli", "env"),
    [
        ({"edgeprofile_browser": None}, {"PYTEST_EDGEPROFILE_BROWSER": ""}),  # option not given, variable empty
        ({"edgeprofile_browser": ""}, {}),
    ],
)
def test_unset_and_empty_values_fall_through_to_the_next_layer(cli: dict[str, object], env: dict[str, str]) -> None:
    resolved = run(cli, env, {"edgeprofile_browser": "chrome"})
    assert resolved.browser == "chrome"
    assert resolved.source("browser") == "edgeprofile_browser in pytest.ini"


def test_empty_cli_list_falls_through_to_env() -> None:
    resolved = run({"edgeprofile_arg": []}, {"PYTEST_EDGEPROFILE_ARG": "--env"})
    assert resolved.args == ("--env",)
    assert resolved.source("arg") == "env PYTEST_EDGEPROFILE_ARG"


def test_ini_source_names_a_generic_ini_file_when_none_is_known() -> None:
    resolved = resolve({}, {}, {"edgeprofile_keep": "always"}, cwd=CWD, clone_root_default=lambda: CLONES)
    assert resolved.source("keep") == "edgeprofile_keep in the ini file"


def test_choices_are_case_insensitive_and_trimmed() -> None:
    resolved = run(env={"PYTEST_EDGEPROFILE_BROWSER": " Chrome ", "PYTEST_EDGEPROFILE_KEEP": "ON-FAILURE"})
    assert (resolved.browser, resolved.keep) == ("chrome", "on-failure")


def test_settings_are_frozen() -> None:
    resolved = run()
    with pytest.raises(dataclasses.FrozenInstanceError):
        resolved.browser = "chrome"  # type: ignore[misc]


# --- choice errors ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "value"), [("driver-scope", "worker"), ("isolation", "test")])
@pytest.mark.parametrize("layer", ["cli", "env", "ini"])
def test_the_other_modes_are_accepted_from_every_layer(layer: str, name: str, value: str) -> None:
    dest, env_key, ini_key = spellings(name)
    key = {"cli": dest, "env": env_key, "ini": ini_key}[layer]
    resolved = run(**{layer: {key: value.upper()}})
    assert resolved.value(name) == value


def test_isolation_per_test_with_a_browser_per_worker_is_refused() -> None:
    error = bad(cli={"edgeprofile_isolation": "test"}, env={"PYTEST_EDGEPROFILE_DRIVER_SCOPE": "worker"})
    assert str(error) == (
        "isolation 'test' (from --edgeprofile-isolation) restores the clone before each test, which needs a new "
        "browser per test, but driver-scope is 'worker' (from env PYTEST_EDGEPROFILE_DRIVER_SCOPE); use "
        "driver-scope 'test' with it."
    )


@pytest.mark.parametrize(("name", "value"), [("driver-scope", "test"), ("isolation", "worker")])
def test_modes_given_as_their_default_are_accepted(name: str, value: str) -> None:
    dest, _, _ = spellings(name)
    resolved = run(cli={dest: value})
    assert resolved.value(name) == value
    assert resolved.source(name) == f"--edgeprofile-{name}"


@pytest.mark.parametrize(
    ("layer", "source"),
    [
        ("cli", "--edgeprofile-browser"),
        ("env", "env PYTEST_EDGEPROFILE_BROWSER"),
        ("ini", "edgeprofile_browser in pytest.ini"),
    ],
)
def test_unknown_browser_names_value_source_and_choices(layer: str, source: str) -> None:
    raw = {
        "cli": ("edgeprofile_browser", "Firefox"),
        "env": ("PYTEST_EDGEPROFILE_BROWSER", "Firefox"),
        "ini": ("edgeprofile_browser", "Firefox"),
    }[layer]
    error = bad(**{layer: dict([raw])})
    assert "'Firefox'" in str(error)
    assert f"(from {source})" in str(error)
    assert "edge, chrome, chromium" in str(error)
    assert (error.setting, error.source) == ("browser", source)


def test_unknown_browser_full_message() -> None:
    error = bad(cli={"edgeprofile_browser": "firefox"})
    assert str(error) == "browser is 'firefox' (from --edgeprofile-browser); valid values are: edge, chrome, chromium."


@pytest.mark.parametrize(
    ("name", "value", "listed"),
    [
        ("channel", "nightly", "stable, beta, dev, canary"),
        ("keep", "sometimes", "never, on-failure, always"),
        ("driver-scope", "session", "test, worker"),
        ("isolation", "none", "worker, test"),
    ],
)
def test_other_bad_choices_name_value_source_and_choices(name: str, value: str, listed: str) -> None:
    _, env_key, _ = spellings(name)
    error = bad(env={env_key: value})
    assert f"{name} is '{value}'" in str(error)
    assert f"(from env {env_key})" in str(error)
    assert f"valid values are: {listed}" in str(error)
    assert (error.setting, error.source) == (name, f"env {env_key}")


def test_edge_canary_is_refused_on_linux() -> None:
    error = bad(env={"PYTEST_EDGEPROFILE_CHANNEL": "canary"}, system="Linux")
    message = str(error)
    assert "Microsoft Edge has no canary channel on Linux" in message
    assert "use stable, beta or dev" in message
    assert "browser from default" in message
    assert "channel from env PYTEST_EDGEPROFILE_CHANNEL" in message
    assert (error.setting, error.source) == ("channel", "env PYTEST_EDGEPROFILE_CHANNEL")


@pytest.mark.parametrize("system", ["Windows", "Darwin"])
def test_edge_canary_is_accepted_elsewhere(system: str) -> None:
    assert run(env={"PYTEST_EDGEPROFILE_CHANNEL": "canary"}, system=system).channel == "canary"


@pytest.mark.parametrize("channel", ["beta", "dev", "canary"])
def test_chromium_has_only_the_stable_channel(channel: str) -> None:
    error = bad(cli={"edgeprofile_browser": "chromium"}, ini={"edgeprofile_channel": channel})
    message = str(error)
    assert f"chromium has no '{channel}' channel" in message
    assert "use channel 'stable'" in message
    assert "browser from --edgeprofile-browser" in message
    assert "channel from edgeprofile_channel in pytest.ini" in message


# --- flags -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("TRUE", True),
        ("yes", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("no", False),
        ("Off", False),
    ],
)
def test_flag_from_env(raw: str, expected: bool) -> None:
    resolved = run(env={"PYTEST_EDGEPROFILE_HEADED": raw}, ini={"edgeprofile_headed": "true" if not expected else "0"})
    assert resolved.headed is expected
    assert resolved.source("headed") == "env PYTEST_EDGEPROFILE_HEADED"


def test_flag_from_cli() -> None:
    resolved = run(cli={"edgeprofile_headed": True}, env={"PYTEST_EDGEPROFILE_HEADED": "no"})
    assert resolved.headed is True
    assert resolved.source("headed") == "--edgeprofile-headed"


@pytest.mark.parametrize(
    ("layer", "key", "source"),
    [
        ("env", "PYTEST_EDGEPROFILE_HEADED", "env PYTEST_EDGEPROFILE_HEADED"),
        ("ini", "edgeprofile_headed", "edgeprofile_headed in pytest.ini"),
    ],
)
def test_bad_flag_names_value_source_and_accepted_words(layer: str, key: str, source: str) -> None:
    error = bad(**{layer: {key: "maybe"}})
    message = str(error)
    assert "headed is 'maybe'" in message
    assert f"(from {source})" in message
    assert "true, false, 1, 0, yes, no" in message
    assert (error.setting, error.source) == ("headed", source)


# --- extra browser arguments -----------------------------------------------------------------------------------


def test_arg_from_env_is_split_like_a_shell() -> None:
    resolved = run(env={"PYTEST_EDGEPROFILE_ARG": "--lang=de \"--user-agent=My Agent 1.0\" '--x=a b'"})
    assert resolved.args == ("--lang=de", "--user-agent=My Agent 1.0", "--x=a b")


def test_arg_from_cli_is_a_list_kept_as_given() -> None:
    resolved = run(cli={"edgeprofile_arg": ["--user-agent=My Agent", "", "--lang=de"]})
    assert resolved.args == ("--user-agent=My Agent", "--lang=de")
    assert resolved.source("arg") == "--edgeprofile-arg"


def test_arg_from_ini_is_one_per_line() -> None:
    resolved = run(ini={"edgeprofile_arg": ["--window-size=800,600", "--user-agent=My Agent"]})
    assert resolved.args == ("--window-size=800,600", "--user-agent=My Agent")
    assert resolved.source("arg") == "edgeprofile_arg in pytest.ini"


def test_unbalanced_quote_in_env_arg_is_a_settings_error() -> None:
    error = bad(env={"PYTEST_EDGEPROFILE_ARG": '--lang=de "--user-agent=My Agent'})
    assert "env PYTEST_EDGEPROFILE_ARG" in str(error)
    assert "--user-agent=My Agent" in str(error)
    assert (error.setting, error.source) == ("arg", "env PYTEST_EDGEPROFILE_ARG")
    assert "balance its quotes" in str(error)


# --- paths -----------------------------------------------------------------------------------------------------

PATH_SETTINGS = [
    ("user-data-dir", "user_data_dir"),
    ("binary", "binary"),
    ("driver", "driver_path"),
    ("clone-root", "clone_root"),
    ("output", "output"),
]


@pytest.mark.parametrize(("name", "attr"), PATH_SETTINGS)
@pytest.mark.parametrize(("layer", "base"), [("cli", CWD), ("env", CWD), ("ini", INI_DIR)])
def test_relative_paths(name: str, attr: str, layer: str, base: Path) -> None:
    dest, env_key, ini_key = spellings(name)
    key = {"cli": dest, "env": env_key, "ini": ini_key}[layer]
    resolved = run(**{layer: {key: "rel/dir name"}})  # type: ignore[arg-type]
    assert getattr(resolved, attr) == base / "rel" / "dir name"


def test_ini_paths_are_relative_to_cwd_without_an_ini_file() -> None:
    resolved = run(ini={"edgeprofile_user_data_dir": "prof"}, ini_dir=None)
    assert resolved.user_data_dir == CWD / "prof"


@pytest.mark.parametrize(("name", "attr"), PATH_SETTINGS)
def test_absolute_paths_are_kept(name: str, attr: str) -> None:
    dest, _, _ = spellings(name)
    assert getattr(run(cli={dest: "/abs/x"}), attr) == Path("/abs/x")


@pytest.mark.parametrize("layer", ["cli", "env", "ini"])
def test_home_is_expanded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, layer: str) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    key = {
        "cli": "edgeprofile_user_data_dir",
        "env": "PYTEST_EDGEPROFILE_USER_DATA_DIR",
        "ini": "edgeprofile_user_data_dir",
    }[layer]
    resolved = run(**{layer: {key: "~/base/User Data"}})  # type: ignore[arg-type]
    assert resolved.user_data_dir == tmp_path / "base" / "User Data"


def test_environment_variables_in_paths_are_expanded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGEPROFILE_TEST_ROOT", "/srv/profiles")
    resolved = run(ini={"edgeprofile_user_data_dir": "$EDGEPROFILE_TEST_ROOT/User Data"})
    assert resolved.user_data_dir == Path("/srv/profiles/User Data")


# --- verify ----------------------------------------------------------------------------------------------------


def test_verify_defaults_to_files_and_capabilities() -> None:
    resolved = run()
    assert resolved.verify == ("files", "capabilities")
    assert resolved.source("verify") == "default"


@pytest.mark.parametrize("layer", ["cli", "env", "ini"])
def test_verify_gains_auth_when_an_auth_url_is_set(layer: str) -> None:
    key = {"cli": "edgeprofile_auth_url", "env": "PYTEST_EDGEPROFILE_AUTH_URL", "ini": "edgeprofile_auth_url"}[layer]
    resolved = run(**{layer: {key: "https://site.test/account"}})  # type: ignore[arg-type]
    assert resolved.verify == ("files", "capabilities", "auth")
    assert resolved.auth_url == "https://site.test/account"


def test_explicit_verify_is_lowercased_trimmed_and_deduplicated() -> None:
    resolved = run(
        cli={
            "edgeprofile_verify": " Capabilities, FILES ,files,, auth",
            "edgeprofile_auth_url": "https://site.test/",
            "edgeprofile_auth_cookie": "sid",
        }
    )
    assert resolved.verify == ("capabilities", "files", "auth")
    assert (resolved.auth_cookie, resolved.source("verify")) == ("sid", "--edgeprofile-verify")


def test_explicit_verify_without_auth_wins_over_the_auth_url_default() -> None:
    resolved = run(env={"PYTEST_EDGEPROFILE_VERIFY": "files"}, ini={"edgeprofile_auth_url": "https://site.test/"})
    assert resolved.verify == ("files",)


def test_verify_with_unknown_methods() -> None:
    error = bad(cli={"edgeprofile_verify": "files,cookies,Magic"})
    message = str(error)
    assert "verify names 'cookies', 'magic'" in message
    assert "(from --edgeprofile-verify)" in message
    assert "valid methods are: files, capabilities, auth" in message
    assert "separated by commas" in message
    assert (error.setting, error.source) == ("verify", "--edgeprofile-verify")


def test_verify_auth_without_auth_url() -> None:
    error = bad(env={"PYTEST_EDGEPROFILE_VERIFY": "files,auth", "PYTEST_EDGEPROFILE_AUTH_COOKIE": "sid"})
    message = str(error)
    assert "verify includes 'auth' (from env PYTEST_EDGEPROFILE_VERIFY)" in message
    assert "no auth-url is set" in message
    assert "set --edgeprofile-auth-url" in message
    assert "drop 'auth'" in message
    assert (error.setting, error.source) == ("verify", "env PYTEST_EDGEPROFILE_VERIFY")


# --- profile ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["Profile 1", "Work", "Person 1"])
def test_profile_folder_or_display_name_is_accepted(profile: str) -> None:
    assert run(cli={"edgeprofile_profile": profile}).profile == profile


@pytest.mark.parametrize(
    ("layer", "key", "value", "source"),
    [
        ("cli", "edgeprofile_profile", "User Data/Default", "--edgeprofile-profile"),
        ("cli", "edgeprofile_profile", "/home/u/.config/microsoft-edge/Default", "--edgeprofile-profile"),
        ("env", "PYTEST_EDGEPROFILE_PROFILE", r"C:\Users\u\Default", "env PYTEST_EDGEPROFILE_PROFILE"),
        ("ini", "edgeprofile_profile", "..", "edgeprofile_profile in pytest.ini"),
        ("ini", "edgeprofile_profile", ".", "edgeprofile_profile in pytest.ini"),
        ("env", "PYTEST_EDGEPROFILE_PROFILE", "   ", "env PYTEST_EDGEPROFILE_PROFILE"),
    ],
)
def test_profile_given_as_a_path_is_refused(layer: str, key: str, value: str, source: str) -> None:
    error = bad(**{layer: {key: value}})
    message = str(error)
    assert f"profile is {value.strip()!r}" in message
    assert f"(from {source})" in message
    assert "'Default' or 'Profile 1'" in message
    assert "not a path" in message
    assert (error.setting, error.source) == ("profile", source)


# --- defaults that depend on the machine -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("browser", "channel", "system", "home", "expected"),
    [
        ("edge", "stable", "Linux", "/home/u", "/home/u/.config/microsoft-edge"),
        ("edge", "beta", "Linux", "/home/u", "/home/u/.config/microsoft-edge-beta"),
        ("chrome", "dev", "Linux", "/home/u", "/home/u/.config/google-chrome-unstable"),
        ("chromium", "stable", "Linux", "/home/u", "/home/u/.config/chromium"),
        ("edge", "canary", "Darwin", "/Users/u", "/Users/u/Library/Application Support/Microsoft Edge Canary"),
        ("chrome", "stable", "Darwin", "/Users/u", "/Users/u/Library/Application Support/Google/Chrome"),
    ],
)
def test_default_user_data_dir_follows_browser_and_channel(
    browser: str, channel: str, system: str, home: str, expected: str
) -> None:
    resolved = run(
        env={"PYTEST_EDGEPROFILE_BROWSER": browser},
        ini={"edgeprofile_channel": channel},
        system=system,
        home=Path(home),
    )
    assert resolved.user_data_dir == Path(expected)
    assert resolved.source("user-data-dir") == "default"


def test_default_user_data_dir_uses_xdg_config_home_from_the_given_env() -> None:
    resolved = run(env={"XDG_CONFIG_HOME": "/xdg"}, system="Linux")
    assert resolved.user_data_dir == Path("/xdg/microsoft-edge")


def test_explicit_user_data_dir_replaces_the_default() -> None:
    resolved = run(cli={"edgeprofile_browser": "chromium", "edgeprofile_user_data_dir": "/base/User Data"})
    assert resolved.user_data_dir == Path("/base/User Data")
    assert resolved.source("user-data-dir") == "--edgeprofile-user-data-dir"


def test_default_clone_root_is_per_user_under_the_temp_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(getpass, "getuser", lambda: "alice")
    alice = settings_module.default_clone_root()
    monkeypatch.setattr(getpass, "getuser", lambda: "bob")
    bob = settings_module.default_clone_root()
    assert alice == tmp_path / "pytest-edgeprofile-alice"
    assert bob == tmp_path / "pytest-edgeprofile-bob"


def test_default_clone_root_makes_the_user_name_safe(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(getpass, "getuser", lambda: "CORP\\Jane Doe/x")
    assert settings_module.default_clone_root() == tmp_path / "pytest-edgeprofile-CORP_Jane_Doe_x"


def test_default_clone_root_without_a_user_name(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def no_name() -> str:
        raise OSError("no login name")

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(getpass, "getuser", no_name)
    monkeypatch.setattr(os, "getuid", lambda: 4242, raising=False)
    assert settings_module.default_clone_root() == tmp_path / "pytest-edgeprofile-4242"


def test_resolve_uses_the_default_clone_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(getpass, "getuser", lambda: "carol")
    resolved = resolve({}, {}, {}, cwd=CWD, system="Linux", home=Path("/home/u"))
    assert resolved.clone_root == tmp_path / "pytest-edgeprofile-carol"
    assert resolved.source("clone-root") == "default"


@pytest.mark.parametrize("url", ["intranet.example.com/x", "ftp://example.com/", "https://", "/account"])
def test_auth_url_must_be_a_full_http_url(url: str) -> None:
    error = bad(cli={"edgeprofile_auth_url": url})
    assert str(error) == (
        f"auth-url is {url!r} (from --edgeprofile-auth-url); give a full http:// or https:// URL of a page only a "
        "signed-in browser sees."
    )


def test_paths_are_shown_normalised_from_every_layer() -> None:
    """No `work/../prof` in a message or the report header: the folder as a person would name it."""
    resolved = run(
        cli={"edgeprofile_user_data_dir": "work/../prof"},
        env={"PYTEST_EDGEPROFILE_CLONE_ROOT": "/tmp/a/./b/../c"},
        ini={"edgeprofile_output": "../results/"},
    )
    assert resolved.user_data_dir == CWD / "prof" and ".." not in str(resolved.user_data_dir)
    assert str(resolved.clone_root) == os.path.normpath("/tmp/a/c")
    assert resolved.output == INI_DIR.parent / "results" and ".." not in str(resolved.output)


# --- state-origins ---------------------------------------------------------------------------------------------


def test_state_origins_are_written_the_way_browsers_write_them_once_each() -> None:
    resolved = run(env={"PYTEST_EDGEPROFILE_STATE_ORIGINS": "https://a.test/,http://127.0.0.1:8000,https://A.test:443"})
    assert resolved.state_origins == ("https://a.test", "http://127.0.0.1:8000")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "https://a.test, https://b.test/login",
            "origin 'https://b.test/login' (from state-origins, env PYTEST_EDGEPROFILE_STATE_ORIGINS) is not an "
            "origin; give scheme://host[:port] with http or https and no path (for this URL: https://b.test).",
        ),
        (
            "ftp://files.test",
            "origin 'ftp://files.test' (from state-origins, env PYTEST_EDGEPROFILE_STATE_ORIGINS) is not an origin; "
            "give scheme://host[:port] with http or https and no path.",
        ),
        (
            " , ",
            "state-origins is ',' (from env PYTEST_EDGEPROFILE_STATE_ORIGINS) and names no origin; give a comma "
            "list of origins such as https://app.example.com,http://127.0.0.1:8000.",
        ),
    ],
    ids=["path", "scheme", "empty"],
)
def test_a_bad_state_origin_is_one_sentence(raw: str, expected: str) -> None:
    with pytest.raises(SettingsError) as caught:
        run(env={"PYTEST_EDGEPROFILE_STATE_ORIGINS": raw})
    assert str(caught.value) == expected
    assert (caught.value.setting, caught.value.source) == ("state-origins", "env PYTEST_EDGEPROFILE_STATE_ORIGINS")
