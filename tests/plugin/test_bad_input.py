"""Bad input at the plugin level: an inner ``pytest -n 2`` stops with one sentence before any worker starts.

Every refusal is checked the way a user meets it: exit code 4, exactly one ``ERROR: pytest-edgeprofile: ...``
line, no traceback, no test run, the base byte for byte unchanged and no run folder under the clone root. The
inputs that must work (links in the base, spaces, non-ASCII and long paths) run real logged-in tests.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

from demo.baseprofile import make_base_profile
from demo.site import LoginSite
from pytest_edgeprofile import platforms
from pytest_edgeprofile.profile.base import version_page
from tests.support.browsers import TEST_BROWSER, plugin_args
from tests.support.checks import leftover_processes, tree_digest
from tests.support.systems import not_on_windows

pytestmark = pytest.mark.browser

MUST_NOT_RUN = 'def test_uses(edge_driver):\n    raise AssertionError("must not run")\n'
LOGGED_IN_TESTS = """
import os

import pytest
from selenium.webdriver.common.by import By

SITE = os.environ["EDGEPROFILE_TEST_SITE"]


@pytest.mark.parametrize("n", range({count}))
def test_signed_in(edge_driver, n):
    edge_driver.get(SITE + "/account")
    assert edge_driver.find_element(By.ID, "account").text == "Signed in as alice"
"""
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
# Root reads and writes everything whatever the modes, so as root the inner run drops the two capabilities that
# let it (with setpriv, from util-linux); elsewhere it runs as the user it is.
DAC_CAPS = "-dac_override,-dac_read_search"
NO_SETPRIV = AS_ROOT and shutil.which("setpriv") is None


def run_inner_with_file_modes(pytester: pytest.Pytester, base: Path, clone_root: Path) -> pytest.RunResult:
    """Like ``run_inner``, in a process that file modes really apply to (root without DAC override)."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--basetemp",
        str(pytester.path / "basetemp"),
        "-p",
        "no:cacheprovider",
        "-n",
        "2",
        *plugin_args(base, clone_root),
    ]
    if AS_ROOT:
        command = ["setpriv", f"--inh-caps={DAC_CAPS}", f"--bounding-set={DAC_CAPS}", "--", *command]
    return pytester.run(*command)


def run_inner(pytester: pytest.Pytester, base: Path, clone_root: Path, *args: str) -> pytest.RunResult:
    """An inner ``pytest -n 2`` on the browser under test with ``base`` and ``clone_root``, plus the case's options."""
    return pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "-n",
        "2",
        *plugin_args(base, clone_root),
        *args,
    )


def assert_refused_up_front(result: pytest.RunResult, expected: str) -> None:
    """Exit code 4, one ``ERROR:`` line with exactly ``expected``, no traceback, no worker, no test."""
    out, err = result.stdout.str(), result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR, out + err
    errors = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert errors == [f"ERROR: pytest-edgeprofile: {expected}"]
    for text in (out, err):
        assert "Traceback" not in text
        assert "pytest_edgeprofile/" not in text
        assert "must not run" not in text
        assert "[gw0]" not in text and "[gw1]" not in text, "a worker started"


def run_folders(clone_root: Path) -> list[str]:
    """The run folders under ``clone_root`` (none when it is not a folder)."""
    if not clone_root.is_dir():
        return []
    return sorted(p.name for p in clone_root.iterdir() if p.name.startswith("run-"))


def signed_in_tests(pytester: pytest.Pytester, count: int) -> None:
    pytester.makepyfile(test_signed_in=LOGGED_IN_TESTS.format(count=count))


def report_header(result: pytest.RunResult, prefix: str) -> list[str]:
    return [line for line in result.stdout.lines if line.startswith(prefix)]


# -- the refusals -----------------------------------------------------------------------------------------------


@dataclass
class Case:
    """One bad input: the base and clone root to pass, extra options, and the exact sentence expected."""

    base: Path
    clone_root: Path
    expected: str
    args: list[str] = field(default_factory=list)


def _non_executable(path: Path) -> Path:
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o644)
    return path


def missing_base(base: Path, root: Path, tmp: Path) -> Case:
    missing = base.parent / "no such User Data"
    return Case(
        missing,
        root,
        f"the base user data dir {missing} (from --edgeprofile-user-data-dir) does not exist; "
        "set --edgeprofile-user-data-dir to the browser's 'User Data' folder "
        f"({version_page(TEST_BROWSER)} shows it as the parent of 'Profile path').",
    )


def not_a_user_data_dir(base: Path, root: Path, tmp: Path) -> Case:
    return Case(
        base / "Default",
        root,
        f"{base / 'Default'} (from --edgeprofile-user-data-dir) is not a browser user "
        f"data dir: it has no 'Local State' file. It looks like a profile folder: use its parent {base} and "
        "--edgeprofile-profile Default.",
    )


def unknown_profile(base: Path, root: Path, tmp: Path) -> Case:
    display = json.loads((base / "Local State").read_text())["profile"]["info_cache"]["Default"]["name"]
    return Case(
        base,
        root,
        f"profile 'Profile 9' (from --edgeprofile-profile) is not in {base}; available profiles: "
        f"'Default' ({display}). "
        "Set --edgeprofile-profile to one of these folder or display names.",
        ["--edgeprofile-profile", "Profile 9"],
    )


def unknown_channel(base: Path, root: Path, tmp: Path) -> Case:
    return Case(
        base,
        root,
        "channel is 'nightly' (from --edgeprofile-channel); valid values are: stable, beta, dev, canary.",
        ["--edgeprofile-channel", "nightly"],
    )


def channel_chromium_lacks(base: Path, root: Path, tmp: Path) -> Case:
    return Case(
        base,
        root,
        "chromium has no 'beta' channel; use channel 'stable' (browser from "
        "--edgeprofile-browser, channel from --edgeprofile-channel).",
        ["--edgeprofile-browser", "chromium", "--edgeprofile-channel", "beta"],
    )


def binary_missing(base: Path, root: Path, tmp: Path) -> Case:
    binary = tmp / "no chromium here"
    return Case(
        base,
        root,
        f"the browser executable {binary} (from --edgeprofile-binary) does not exist; fix the path or unset it.",
        ["--edgeprofile-binary", str(binary)],
    )


def binary_not_executable(base: Path, root: Path, tmp: Path) -> Case:
    binary = _non_executable(tmp / "chromium without x bit")
    return Case(
        base,
        root,
        f"the browser executable {binary} (from --edgeprofile-binary) is not an executable "
        "file; fix the path or its permissions.",
        ["--edgeprofile-binary", str(binary)],
    )


def driver_missing(base: Path, root: Path, tmp: Path) -> Case:
    driver = tmp / "no chromedriver here"
    return Case(
        base,
        root,
        f"the driver {driver} (from --edgeprofile-driver) does not exist; fix the path or unset it.",
        ["--edgeprofile-driver", str(driver)],
    )


def driver_not_executable(base: Path, root: Path, tmp: Path) -> Case:
    driver = _non_executable(tmp / "chromedriver without x bit")
    return Case(
        base,
        root,
        f"the driver {driver} (from --edgeprofile-driver) is not an executable file; fix the path or its permissions.",
        ["--edgeprofile-driver", str(driver)],
    )


def _executable_named(path: Path) -> Path:
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


def binary_of_another_browser(base: Path, root: Path, tmp: Path) -> Case:
    binary = _executable_named(tmp / "chromium")
    return Case(
        base,
        root,
        f"the browser executable {binary} (from --edgeprofile-binary) is Chromium, but the browser setting is "
        "'edge', which drives Microsoft Edge; set --edgeprofile-browser chromium to run it, or point "
        "--edgeprofile-binary at Microsoft Edge.",
        ["--edgeprofile-browser", "edge", "--edgeprofile-binary", str(binary)],
    )


def driver_of_another_browser(base: Path, root: Path, tmp: Path) -> Case:
    binary, driver = _executable_named(tmp / "msedge"), _executable_named(tmp / "chromedriver")
    return Case(
        base,
        root,
        f"the driver {driver} (from --edgeprofile-driver) is chromedriver, which drives Google Chrome and Chromium, "
        f"but the browser setting is 'edge'; point --edgeprofile-driver at {platforms.driver_name('edge')} (matching "
        "the browser's version), or set --edgeprofile-browser chrome|chromium.",
        ["--edgeprofile-browser", "edge", "--edgeprofile-binary", str(binary), "--edgeprofile-driver", str(driver)],
    )


def clone_root_is_a_file(base: Path, root: Path, tmp: Path) -> Case:
    a_file = tmp / "clones.txt"
    a_file.write_text("not a folder")
    return Case(
        base,
        a_file,
        f"the clone root {a_file} (from --edgeprofile-clone-root) cannot be made: {a_file} is "
        "not a folder; choose another --edgeprofile-clone-root.",
    )


def clone_root_inside_the_base(base: Path, root: Path, tmp: Path) -> Case:
    inside = base / "clones"
    return Case(
        base,
        inside,
        f"the clone root {inside} (from --edgeprofile-clone-root) overlaps the base user data "
        f"dir {base}; choose a clone root outside it (and not one of its parents).",
    )


def _json_damage(base: Path, name: str) -> str:
    path = base / name
    path.write_text('{"profile": ')
    try:
        json.loads('{"profile": ')
    except json.JSONDecodeError as exc:
        detail = str(exc)
    repair = {
        "Local State": "restore it from a backup, or sign in once into a fresh base profile and use that",
        "Preferences": "open the profile once in the browser so it rewrites the file, or use another profile",
    }[path.name]
    return f"{path} is not valid JSON (JSONDecodeError: {detail}); the profile is damaged: {repair}."


def corrupt_local_state(base: Path, root: Path, tmp: Path) -> Case:
    return Case(base, root, _json_damage(base, "Local State"))


def corrupt_preferences(base: Path, root: Path, tmp: Path) -> Case:
    return Case(base, root, _json_damage(base, "Default/Preferences"))


def corrupt_cookies(base: Path, root: Path, tmp: Path) -> Case:
    cookies = base / "Default" / "Cookies"
    cookies.write_bytes(b"\x00junk" + os.urandom(16 * 1024))  # never SQLite's 16-byte header
    return Case(
        base,
        root,
        f"the base profile's cookie database is damaged: {cookies} is not a readable SQLite "
        "database (file is not a database). Open the profile in the browser once (it repairs or recreates "
        "the file) or choose another profile.",
    )


CASES: list[Callable[[Path, Path, Path], Case]] = [
    missing_base,
    not_a_user_data_dir,
    unknown_profile,
    unknown_channel,
    channel_chromium_lacks,
    binary_missing,
    binary_not_executable,
    driver_missing,
    driver_not_executable,
    binary_of_another_browser,
    driver_of_another_browser,
    clone_root_is_a_file,
    clone_root_inside_the_base,
    corrupt_local_state,
    corrupt_preferences,
    corrupt_cookies,
]


# Windows runs any existing file: there is no execute bit to leave off.
ON_WINDOWS_NOT = {"binary_not_executable": "no execute bit", "driver_not_executable": "no execute bit"}


@pytest.mark.parametrize(
    "make_case",
    [
        pytest.param(case, id=case.__name__, marks=not_on_windows(ON_WINDOWS_NOT.get(case.__name__, "")))
        if case.__name__ in ON_WINDOWS_NOT
        else pytest.param(case, id=case.__name__)
        for case in CASES
    ],
)
def test_bad_input_is_one_sentence_before_any_worker_and_changes_nothing(
    pytester: pytest.Pytester,
    base_copy: Path,
    clone_root: Path,
    tmp_path: Path,
    plugin_env: dict[str, str],
    make_case: Callable[[Path, Path, Path], Case],
) -> None:
    pytester.makepyfile(MUST_NOT_RUN)
    case = make_case(base_copy, clone_root, tmp_path)
    before = tree_digest(base_copy)
    root_existed = case.clone_root.exists()

    result = run_inner(pytester, case.base, case.clone_root, *case.args)

    assert_refused_up_front(result, case.expected)
    assert tree_digest(base_copy) == before, "the base changed"
    assert case.clone_root.exists() == root_existed, "the clone root was made or removed"
    assert run_folders(case.clone_root) == []


@pytest.mark.skipif(NO_SETPRIV, reason="as root, setpriv (util-linux) is needed to make file modes apply")
@not_on_windows("chmod cannot make a file unreadable or a folder read-only (no POSIX file modes)")
def test_an_unreadable_file_in_the_base_is_named(
    pytester: pytest.Pytester, base_copy: Path, clone_root: Path, plugin_env: dict[str, str]
) -> None:
    pytester.makepyfile(MUST_NOT_RUN)
    cookies = base_copy / "Default" / "Cookies"
    mode = stat.S_IMODE(cookies.stat().st_mode)
    before = tree_digest(base_copy)  # with the file still readable: the digest reads every byte
    cookies.chmod(0)
    try:
        result = run_inner_with_file_modes(pytester, base_copy, clone_root)
    finally:
        cookies.chmod(mode)
    assert_refused_up_front(
        result, f"{cookies} cannot be read (permission denied); the base profile must be readable by this user."
    )
    assert tree_digest(base_copy) == before
    assert not clone_root.exists()


@pytest.mark.skipif(NO_SETPRIV, reason="as root, setpriv (util-linux) is needed to make file modes apply")
@not_on_windows("chmod cannot make a file unreadable or a folder read-only (no POSIX file modes)")
@pytest.mark.parametrize("where", ["the clone root itself", "its parent"])
def test_a_clone_root_that_is_not_writable_is_refused(
    pytester: pytest.Pytester, base_copy: Path, tmp_path: Path, plugin_env: dict[str, str], where: str
) -> None:
    pytester.makepyfile(MUST_NOT_RUN)
    read_only = tmp_path / "read-only folder"
    read_only.mkdir()
    root = read_only if where == "the clone root itself" else read_only / "clones"
    before = tree_digest(base_copy)
    read_only.chmod(0o555)
    try:
        result = run_inner_with_file_modes(pytester, base_copy, root)
        assert_refused_up_front(
            result,
            f"the clone root {root} (from --edgeprofile-clone-root) is not writable by this user "
            f"({read_only}); choose another "
            "--edgeprofile-clone-root.",
        )
        assert list(read_only.iterdir()) == []
    finally:
        read_only.chmod(0o755)
    assert tree_digest(base_copy) == before


def assert_refused_naming(result: pytest.RunResult, tmp: Path, *paths: Path, words: tuple[str, ...] = ()) -> str:
    """Like ``assert_refused_up_front`` where the exact wording is still open: one sentence that names ``paths``
    and holds ``words`` (case-insensitive, outside ``tmp``, so a word in a test's folder name does not count)."""
    out, err = result.stdout.str(), result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR, out[-2000:] + err[-2000:]
    errors = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert len(errors) == 1 and errors[0].startswith("ERROR: pytest-edgeprofile: "), errors
    for text in (out, err):
        assert "Traceback" not in text and "INTERNALERROR" not in text
        assert "pytest_edgeprofile/" not in text and "must not run" not in text
    for path in paths:
        assert str(path) in errors[0], (path, errors[0])
    outside_tmp = errors[0].replace(str(tmp), "<tmp>").casefold()
    for word in words:
        assert word.casefold() in outside_tmp, (word, errors[0])
    return errors[0]


def _set_local_state(base: Path, change: Callable[[dict[str, object]], None]) -> None:
    state = json.loads((base / "Local State").read_text())
    change(state)
    (base / "Local State").write_text(json.dumps(state))


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda state: state.update(profile="not an object"), id="profile-section-not-an-object"),
        pytest.param(
            lambda state: state["profile"]["info_cache"].update(Default="not an object"),
            id="info-cache-entry-not-an-object",
        ),
    ],
)
def test_a_local_state_of_the_wrong_shape_is_one_sentence(
    pytester: pytest.Pytester,
    base_copy: Path,
    clone_root: Path,
    tmp_path: Path,
    plugin_env: dict[str, str],
    change: Callable[[dict[str, object]], None],
) -> None:
    pytester.makepyfile(MUST_NOT_RUN)
    _set_local_state(base_copy, change)
    before = tree_digest(base_copy)

    result = run_inner(pytester, base_copy, clone_root)

    assert tree_digest(base_copy) == before
    assert run_folders(clone_root) == []
    assert_refused_naming(result, tmp_path, base_copy / "Local State")


@pytest.mark.skipif(NO_SETPRIV, reason="as root, setpriv (util-linux) is needed to make file modes apply")
@not_on_windows("chmod cannot make a file unreadable or a folder read-only (no POSIX file modes)")
@pytest.mark.parametrize(
    "rel",
    [
        pytest.param("Default/History"),
        pytest.param("Default/Local Storage"),
    ],
)
def test_an_unreadable_entry_beyond_the_key_files_is_one_sentence(
    pytester: pytest.Pytester,
    base_copy: Path,
    clone_root: Path,
    tmp_path: Path,
    plugin_env: dict[str, str],
    rel: str,
) -> None:
    pytester.makepyfile(MUST_NOT_RUN)
    path = base_copy / rel
    mode = stat.S_IMODE(path.stat().st_mode)
    before = tree_digest(base_copy)
    path.chmod(0)
    try:
        result = run_inner_with_file_modes(pytester, base_copy, clone_root)
    finally:
        path.chmod(mode)
    assert tree_digest(base_copy) == before
    assert run_folders(clone_root) == []
    line = assert_refused_naming(result, tmp_path, path, words=("permission denied", "readable"))
    assert ".golden-" not in line


@pytest.mark.parametrize(
    "setting", ["user-data-dir from env", "user-data-dir default", "profile from env", "clone-root from env"]
)
def test_the_sentence_says_where_a_bad_path_or_profile_came_from(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    base_copy: Path,
    tmp_path: Path,
    plugin_env: dict[str, str],
    setting: str,
) -> None:
    pytester.makepyfile(MUST_NOT_RUN)
    args = ["-p", "no:cacheprovider", "-n", "2", "--edgeprofile-browser", TEST_BROWSER]
    if setting != "user-data-dir from env":
        args += ["--edgeprofile-user-data-dir", str(base_copy)]
    if setting != "clone-root from env":
        args += ["--edgeprofile-clone-root", str(tmp_path / "clones")]
    if setting == "user-data-dir from env":
        monkeypatch.setenv("PYTEST_EDGEPROFILE_USER_DATA_DIR", str(tmp_path / "missing"))
        where = "env PYTEST_EDGEPROFILE_USER_DATA_DIR"
    elif setting == "user-data-dir default":
        args.remove("--edgeprofile-user-data-dir")
        args.remove(str(base_copy))
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no config"))
        where = "default"
    elif setting == "profile from env":
        monkeypatch.setenv("PYTEST_EDGEPROFILE_PROFILE", "Profile 9")
        where = "env PYTEST_EDGEPROFILE_PROFILE"
    else:
        (tmp_path / "clones.txt").write_text("not a folder")
        monkeypatch.setenv("PYTEST_EDGEPROFILE_CLONE_ROOT", str(tmp_path / "clones.txt"))
        where = "env PYTEST_EDGEPROFILE_CLONE_ROOT"

    result = pytester.runpytest_subprocess(*args)

    assert_refused_naming(result, tmp_path, words=(where,))


# -- a base open in a running browser ---------------------------------------------------------------------------


@not_on_windows("Chromium's SingletonLock link (host-pid) is POSIX; Windows holds a lockfile instead")
def test_a_base_in_use_names_the_process_and_leaves_the_browser_running(
    pytester: pytest.Pytester,
    base_copy: Path,
    clone_root: Path,
    plugin_env: dict[str, str],
    running_browser: subprocess.Popen[bytes],
) -> None:
    pytester.makepyfile(MUST_NOT_RUN)
    lock = os.readlink(base_copy / "SingletonLock")
    pid = int(lock.rsplit("-", 1)[1])
    program = psutil.Process(pid).name()
    assert any(name in program.lower() for name in ("chrom", "msedge")), program

    result = run_inner(pytester, base_copy, clone_root)

    assert_refused_up_front(
        result,
        f"the base profile {base_copy} is in use by pid {pid} ({program}); close that browser (all its "
        "windows, including background apps) and run again. The plugin never copies a profile while it is open.",
    )
    assert running_browser.poll() is None, "the user's browser was disturbed"
    assert psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    assert os.readlink(base_copy / "SingletonLock") == lock
    assert not clone_root.exists()


# -- inputs that must work ----------------------------------------------------------------------------------------


@not_on_windows("a symbolic link needs a privilege on Windows, and Chromium makes none there")
def test_links_in_the_base_are_named_in_the_header_and_never_followed(
    pytester: pytest.Pytester, base_copy: Path, clone_root: Path, tmp_path: Path, plugin_env: dict[str, str]
) -> None:
    outside = tmp_path / "outside the base.txt"
    outside.write_text("not part of the profile")
    profile = base_copy / "Default"
    os.symlink(outside, profile / "link to outside")
    os.symlink("b", profile / "a")
    os.symlink("a", profile / "b")
    before = tree_digest(base_copy)
    signed_in_tests(pytester, 2)

    result = run_inner(pytester, base_copy, clone_root)

    result.assert_outcomes(passed=2)
    prefix = "edgeprofile: the base holds 3 symbolic link(s) that were not copied (links are never followed): "
    lines = report_header(result, "edgeprofile: the base holds")
    assert len(lines) == 1 and lines[0].startswith(prefix), lines
    assert sorted(lines[0][len(prefix) :].split(", ")) == ["Default/a", "Default/b", "Default/link to outside"]
    assert tree_digest(base_copy) == before, "the base changed"
    assert outside.read_text() == "not part of the profile"
    assert run_folders(clone_root) == [] and list(clone_root.iterdir()) == []
    assert leftover_processes(clone_root) == []


def test_spaces_non_ascii_and_long_paths_work_by_folder_and_by_display_name(
    pytester: pytest.Pytester,
    tmp_path: Path,
    login_site: LoginSite,
    chromium: tuple[Path, Path],
    plugin_env: dict[str, str],
) -> None:
    base = tmp_path / ("Jürgen's profile " + "x" * 120) / "deeper folder" / "User Data"
    assert len(str(base)) > 200
    make_base_profile(
        base,
        login_site.url,
        binary=str(chromium[0]),
        driver=str(chromium[1]),
        profile_directory="Profile 1",
        browser=TEST_BROWSER,
    )
    display = json.loads((base / "Local State").read_text(encoding="utf-8"))["profile"]["info_cache"]["Profile 1"]
    display_name = display["name"]
    assert display_name and display_name != "Profile 1"
    clone_root = tmp_path / "clones für tests"
    before = tree_digest(base)
    signed_in_tests(pytester, 3)

    for wanted in ("Profile 1", display_name):
        result = run_inner(pytester, base, clone_root, "--edgeprofile-profile", wanted)

        result.assert_outcomes(passed=3)
        assert report_header(result, "edgeprofile: browser") == [
            f"edgeprofile: browser {TEST_BROWSER} (--edgeprofile-browser), base {base} profile {wanted} (checked), "
            f"clone root {clone_root} (--edgeprofile-clone-root)"
        ]
        assert list(clone_root.iterdir()) == [], f"a run folder was left behind ({wanted})"
        assert leftover_processes(clone_root) == []
        assert tree_digest(base) == before, f"the base changed ({wanted})"
