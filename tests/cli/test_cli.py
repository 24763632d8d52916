"""The ``edgeprofile`` command on real profiles, processes and browsers: doctor, list, clean and login."""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from demo.site import PASSWORD, SESSION_COOKIE, USERNAME, LoginSite
from pytest_edgeprofile import __version__, platforms
from pytest_edgeprofile.browser.launch import is_usable, start_browser
from pytest_edgeprofile.browser.options import build_options
from pytest_edgeprofile.cli import login, main
from pytest_edgeprofile.cli.common import in_cli_words, load_settings
from pytest_edgeprofile.cli.doctor import check_app_bound
from pytest_edgeprofile.errors import ProfileError
from pytest_edgeprofile.processes import processes_using
from pytest_edgeprofile.profile import snapshot
from pytest_edgeprofile.profile.base import check_base
from pytest_edgeprofile.profile.golden import build_golden
from pytest_edgeprofile.profile.run import MARKER, RunFolder, new_run_id
from tests.support.browsers import QUIET_ARGS, QUIET_LIST, TEST_BROWSER
from tests.support.cli import chromium_args, clean_env, cli
from tests.support.systems import not_on_windows

IDLE = "import time; time.sleep(120)"  # a stand-in browser left by a killed run: runs until ended


def version_line(executable: Path) -> str:
    return (
        subprocess.run([str(executable), "--version"], capture_output=True, text=True, check=True)
        .stdout.strip()
        .splitlines()[0]
    )


def display_name(user_data_dir: Path) -> str:
    return str(json.loads((user_data_dir / "Local State").read_text())["profile"]["info_cache"]["Default"]["name"])


@pytest.fixture(autouse=True)
def _no_settings_from_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("PYTEST_EDGEPROFILE_"):
            monkeypatch.delenv(name)


# --- the command itself -------------------------------------------------------------------------------------


def test_the_console_script_and_python_m_are_the_same_command() -> None:
    script = shutil.which("edgeprofile", path=str(Path(sys.executable).parent))
    assert script, "pip install -e . makes the edgeprofile script"
    by_script = subprocess.run([script, "--version"], capture_output=True, text=True, check=False)
    assert (by_script.returncode, by_script.stdout) == (0, f"edgeprofile {__version__}\n")
    assert cli("--version").stdout == by_script.stdout


def test_the_command_does_not_import_pytest() -> None:
    code = "import sys, pytest_edgeprofile.cli; print('pytest' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "False\n"


@pytest.mark.parametrize("how", ["option", "env"])
def test_a_bad_browser_name_is_one_line_and_exit_2(how: str, tmp_path: Path) -> None:
    if how == "option":
        done = cli("doctor", "--browser", "firefox", "--clone-root", str(tmp_path))
        source = "--browser"
    else:
        done = cli("doctor", "--clone-root", str(tmp_path), env=clean_env(PYTEST_EDGEPROFILE_BROWSER="firefox"))
        source = "env PYTEST_EDGEPROFILE_BROWSER"
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        f"edgeprofile: browser is 'firefox' (from {source}); valid values are: edge, chrome, chromium.\n"
    )


def test_options_go_before_or_after_the_command_and_the_later_one_wins(tmp_path: Path) -> None:
    settings = load_settings({"browser": "chromium", "clone_root": str(tmp_path)}, env={})
    assert (settings.browser, settings.clone_root, settings.source("browser")) == (
        "chromium",
        tmp_path,
        "--edgeprofile-browser",
    )
    assert main(["--browser", "chromium", "clean", "--clone-root", str(tmp_path / "none")]) == 0
    assert main(["--browser", "firefox", "clean", "--browser", "chromium", "--clone-root", str(tmp_path)]) == 0


def test_plugin_option_names_in_messages_become_the_commands_own() -> None:
    assert in_cli_words("set --edgeprofile-driver or --edgeprofile-user-data-dir.") == (
        "set --driver or --user-data-dir."
    )
    assert in_cli_words("use --edgeprofile-driver-scope test") == "use --edgeprofile-driver-scope test"


# --- doctor -------------------------------------------------------------------------------------------------


@pytest.mark.browser
def test_doctor_on_a_ready_base(base_copy: Path, chromium: tuple[Path, Path], tmp_path: Path) -> None:
    clones = tmp_path / "clones"
    done = cli("doctor", *chromium_args(base_copy, chromium, clones))
    assert (done.returncode, done.stderr) == (0, ""), done.stdout
    lines = done.stdout.splitlines()
    assert f"ok  browser: {chromium[0]} ({version_line(chromium[0])})" in lines
    assert f"ok  driver: {chromium[1]} ({version_line(chromium[1])})" in lines
    assert f"ok  user data dir: {base_copy} (from --user-data-dir) exists" in lines
    assert f"ok  profiles: 'Default' ({display_name(base_copy)})" in lines
    assert f"ok  base in use: no running browser holds {base_copy}" in lines
    assert any(line.startswith(("ok  copy-on-write: ", "warn  copy-on-write: ")) for line in lines), lines
    assert not [line for line in lines if line.startswith("FAIL")]
    assert clones.is_dir() and list(clones.iterdir()) == [], "the copy-on-write probe is removed"


@pytest.mark.browser
def test_doctor_names_a_missing_user_data_dir(chromium: tuple[Path, Path], tmp_path: Path) -> None:
    missing = tmp_path / "no such" / "User Data"
    done = cli("doctor", *chromium_args(missing, chromium, tmp_path / "clones"))
    assert done.returncode == 1
    page = "edge://version" if TEST_BROWSER == "edge" else "chrome://version"
    expected = (
        f"user data dir: the base user data dir {missing} (from --user-data-dir) does not exist; set "
        f"--user-data-dir to the browser's 'User Data' folder ({page} shows it as the parent of "
        "'Profile path')."
    )
    assert f"FAIL  {expected}" in done.stdout.splitlines()
    assert done.stdout.count(str(missing)) == 1, "each failure is said once"
    assert done.stderr == ("edgeprofile: doctor: 1 check failed (user data dir); their FAIL lines say what to do.\n")


@pytest.mark.browser
@not_on_windows("Chromium's SingletonLock link (host-pid) is POSIX; Windows holds a lockfile instead")
def test_doctor_names_the_browser_that_holds_the_base(
    base_copy: Path, chromium: tuple[Path, Path], tmp_path: Path, running_browser: subprocess.Popen[bytes]
) -> None:
    pid = int(os.readlink(base_copy / "SingletonLock").rsplit("-", 1)[1])
    done = cli("doctor", *chromium_args(base_copy, chromium, tmp_path / "clones"))
    assert done.returncode == 1
    fail = [line for line in done.stdout.splitlines() if line.startswith("FAIL")]
    assert len(fail) == 1 and fail[0].startswith(f"FAIL  base in use: pid {pid} ("), done.stdout
    assert f"holds {base_copy}; close that browser" in fail[0]
    assert done.stderr == "edgeprofile: doctor: 1 check failed (base in use); their FAIL lines say what to do.\n"
    assert running_browser.poll() is None, "doctor must not disturb the user's browser"


@pytest.mark.browser
def test_doctor_says_a_snapshot_would_work_for_the_base_in_use(
    base_copy: Path, chromium: tuple[Path, Path], tmp_path: Path, running_browser: subprocess.Popen[bytes]
) -> None:
    pid = int(os.readlink(base_copy / "SingletonLock").rsplit("-", 1)[1])
    args = chromium_args(base_copy, chromium, tmp_path / "clones")
    done = cli("doctor", *args)
    assert done.returncode == 1  # refused by default: the base in use is the one FAIL
    assert (
        "ok  snapshot: --base-in-use snapshot would work: the running browser's cookie database reads "
        "consistently; databases it keeps locked (history, autofill, saved passwords) are left out of the "
        "copy"
    ) in done.stdout.splitlines()

    done = cli("doctor", *args, "--base-in-use", "snapshot")
    assert (done.returncode, done.stderr) == (0, ""), done.stdout
    lines = done.stdout.splitlines()
    assert [
        line
        for line in lines
        if line.startswith(f"ok  base in use: pid {pid} (")
        and line.endswith(
            f") holds {base_copy}; base-in-use is 'snapshot' (from --base-in-use), so a run copies it as a consistent "
            "snapshot while it runs"
        )
    ], lines
    assert running_browser.poll() is None, "doctor must not disturb the user's browser"
    assert not list(Path(tempfile.gettempdir()).glob("edgeprofile-probe-*")), "the probe's copy was kept"


@pytest.mark.browser
def test_doctor_says_where_a_snapshot_cannot_work(
    base_copy: Path,
    chromium: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["doctor", *chromium_args(base_copy, chromium, tmp_path / "clones")]
    assert main(args) == 0
    assert (
        "ok  snapshot: --base-in-use snapshot would work here: a run could copy this base while a browser runs on it"
    ) in capsys.readouterr().out.splitlines()

    monkeypatch.setattr(snapshot, "sys", type("WindowsSys", (), {"platform": "win32"}))
    assert main(args) == 0  # not in use: a warning only
    assert (
        "warn  snapshot: --base-in-use snapshot would not work: on Windows the running browser opens the cookie "
        "database exclusively, so no other program can read it until that browser is closed; close the browser "
        "before each run, or sign in once into a dedicated base with `edgeprofile login URL` and use "
        "that."
    ) in capsys.readouterr().out.splitlines()


@pytest.mark.skipif(os.name == "nt", reason="on Windows: the stand-in browser is a POSIX shell script")
@pytest.mark.parametrize("configured", [False, True])
def test_doctor_reports_a_missing_driver_and_never_asks_selenium_manager(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], configured: bool
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    browser = bin_dir / "chromium"
    browser.write_text("#!/bin/sh\necho Chromium 1.2.3\n")
    browser.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))  # no chromedriver on PATH, nor beside the browser
    args = ["doctor", "--browser", "chromium", "--binary", str(browser), "--clone-root", str(tmp_path / "c")]
    if configured:
        args += ["--driver", str(tmp_path / "nope")]
    assert main(args) == 1
    lines = capsys.readouterr().out.splitlines()
    assert f"ok  browser: {browser} (Chromium 1.2.3)" in lines
    if configured:
        expected = (
            f"FAIL  driver: the driver {tmp_path / 'nope'} (from --driver) does not exist; fix the path or unset it."
        )
    else:
        expected = (
            f"FAIL  driver: no chromedriver on PATH or next to {browser}; a run would ask Selenium Manager "
            "to download one, which doctor never does: install the chromedriver matching the browser's "
            "version and put it on PATH, or set --driver."
        )
    assert expected in lines


@pytest.mark.skipif(os.name == "nt", reason="on Windows: the stand-in browser is a POSIX shell script")
def test_doctor_names_a_browser_of_the_wrong_kind_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    browser = tmp_path / "bin" / "chromium"
    browser.parent.mkdir()
    browser.write_text("#!/bin/sh\necho Chromium 1.2.3\n")
    browser.chmod(0o755)
    monkeypatch.setenv("PATH", str(browser.parent))
    assert main(["doctor", "--browser", "edge", "--binary", str(browser), "--clone-root", str(tmp_path / "c")]) == 1
    out, err = capsys.readouterr()
    expected = (
        f"FAIL  browser: the browser executable {browser} (from --binary) is Chromium, but the browser "
        "setting is 'edge', which drives Microsoft Edge; set --browser chromium to run it, or point --binary "
        "at Microsoft Edge."
    )
    assert expected in out.splitlines()
    assert out.count(str(browser) + " (from --binary)") == 1 and str(browser) + " (from" not in err


def test_app_bound_cookies_of_a_default_windows_profile_are_named(tmp_path: Path) -> None:
    env = {"LOCALAPPDATA": r"C:\Users\me\AppData\Local"}
    default = Path(r"C:\Users\me\AppData\Local\Microsoft\Edge\User Data")
    state = {"os_crypt": {"encrypted_key": "x", "app_bound_encrypted_key": "y"}}
    warn = check_app_bound(state, default, "edge", "stable", system="Windows", env=env)
    assert warn is not None and warn.status == "warn"
    assert warn.line() == (
        f"warn  app-bound cookies: {default} is edge's default user data dir and its cookies are app-bound (v20), "
        "which no copy can read, so clones would start signed out; sign in once into a dedicated base with "
        "`edgeprofile login URL --browser edge` and use the --user-data-dir it prints."
    )
    dedicated = check_app_bound(state, Path(r"C:\edge-tests"), "edge", "stable", system="Windows", env=env)
    assert dedicated is not None and dedicated.status == "ok"
    no_key = check_app_bound({"os_crypt": {}}, default, "edge", "stable", system="Windows", env=env)
    assert no_key is not None and no_key.status == "ok"
    assert check_app_bound(state, default, "edge", "stable", system="Linux", env=env) is None


# --- list ---------------------------------------------------------------------------------------------------


@pytest.mark.browser
def test_list_shows_the_profile_and_how_little_a_clone_copies(base_copy: Path, tmp_path: Path) -> None:
    cache = base_copy / "Default" / "Cache" / "Cache_Data" / "f_000001"
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(os.urandom(5 * 1024 * 1024))
    golden = build_golden(check_base(base_copy, "Default"), tmp_path / "golden")  # what a run really copies

    done = cli("list", "--browser", "chromium", "--user-data-dir", str(base_copy))

    assert (done.returncode, done.stderr) == (0, ""), done.stdout
    lines = done.stdout.splitlines()
    assert lines[0] == f"profiles in {base_copy} (from --user-data-dir):"
    assert lines[1].split() == ["folder", "name", "size", "MB", "clone", "MB", "in", "use"]
    name = display_name(base_copy)
    row = next(line for line in lines[2:] if line.startswith("Default "))
    assert row.startswith(f"Default  {name}")
    total, clone, in_use = row[len(f"Default  {name}") :].split()
    assert in_use == "no"
    assert float(clone) == round(golden.bytes / 1e6, 1)
    assert float(total) >= float(clone) + 5.2, row
    assert float(clone) < float(total) / 4, row


def test_list_of_a_missing_user_data_dir_is_one_line(tmp_path: Path) -> None:
    done = cli("list", "--browser", "chromium", "--user-data-dir", str(tmp_path / "nope"))
    assert (done.returncode, done.stdout) == (1, ""), "the same answer as doctor's for a missing folder"
    assert done.stderr == (
        f"edgeprofile: the user data dir {tmp_path / 'nope'} (from --user-data-dir) does not "
        "exist; set --user-data-dir to the browser's 'User Data' folder (chrome://version shows it "
        "as the parent of 'Profile path').\n"
    )
    doctor = cli(
        "doctor",
        "--browser",
        "chromium",
        "--user-data-dir",
        str(tmp_path / "nope"),
        "--clone-root",
        str(tmp_path / "clones"),
    )
    assert doctor.returncode == 1


def test_list_of_a_folder_without_local_state_says_where_to_look(tmp_path: Path) -> None:
    done = cli("list", "--browser", "edge", "--user-data-dir", str(tmp_path))
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        f"edgeprofile: {tmp_path} (from --user-data-dir) is not a browser user data dir: it has no "
        "'Local State' file; set --user-data-dir to the folder that holds it (edge://version shows "
        "it as the parent of 'Profile path').\n"
    )


def test_a_bad_value_exits_2_and_a_profile_that_is_not_ready_exits_1(tmp_path: Path) -> None:
    assert cli("list", "--browser", "firefox").returncode == 2
    assert cli("list", "--user-data-dir", str(tmp_path / "nope")).returncode == 1


# --- clean --------------------------------------------------------------------------------------------------


def test_clean_removes_dead_runs_only(tmp_path: Path, spawn: list[subprocess.Popen[bytes]]) -> None:
    clone_root = tmp_path / "clones"
    dead, live = RunFolder(clone_root, new_run_id()), RunFolder(clone_root, new_run_id())
    for run in (dead, live):
        run.ensure()
        run.worker("gw0").mkdir()
        (run.worker("gw0") / "Local State").write_text("{}")
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    marker = json.loads((dead.path / MARKER).read_text())
    marker["pid"] = int(finished.stdout)
    (dead.path / MARKER).write_text(json.dumps(marker))
    assert json.loads((live.path / MARKER).read_text())["pid"] == os.getpid()
    unmarked = clone_root / f"run-{new_run_id()}"
    unmarked.mkdir()
    (unmarked / "precious").write_text("not ours")
    left_browser = subprocess.Popen([sys.executable, "-c", IDLE, f"--user-data-dir={dead.worker('gw0')}"])
    spawn.append(left_browser)
    bystander = subprocess.Popen([sys.executable, "-c", IDLE, f"--user-data-dir={live.worker('gw0')}"])
    spawn.append(bystander)

    done = cli("clean", "--clone-root", str(clone_root))

    assert (done.returncode, done.stderr) == (0, ""), done.stdout
    lines = done.stdout.splitlines()
    assert f"removed {dead.path} (dead run; 1 process ended)" in lines
    assert not dead.path.exists()
    assert left_browser.wait(10) is not None
    program = psutil.Process(os.getpid()).name()
    assert f"kept {live.path}: its run is live: controller pid {os.getpid()} ({program}) is still running" in lines
    assert live.path.is_dir() and bystander.poll() is None
    assert f"left alone {unmarked}: it has no pytest-edgeprofile marker, so it is not ours to remove" in lines
    assert (unmarked / "precious").read_text() == "not ours"
    assert lines[-1] == f"1 run folder removed, 1 live run kept, 1 process ended under {clone_root}"


def test_clean_keeps_another_machines_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = RunFolder(tmp_path / "clones", new_run_id())
    run.ensure()
    marker = json.loads((run.path / MARKER).read_text())
    marker.update(host="another-host", pid=1)
    (run.path / MARKER).write_text(json.dumps(marker))
    assert socket.gethostname() != "another-host"
    assert main(["clean", "--clone-root", str(tmp_path / "clones")]) == 0
    assert (
        f"kept {run.path}: it belongs to a run on another machine (another-host), which only that machine can judge"
    ) in capsys.readouterr().out
    assert run.path.is_dir()


def test_clean_without_a_clone_root(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["clean", "--clone-root", str(tmp_path / "none")]) == 0
    assert capsys.readouterr().out == (
        f"nothing to clean: the clone root {tmp_path / 'none'} (from --clone-root) does not exist\n"
    )
    assert not (tmp_path / "none").exists()


# --- login --------------------------------------------------------------------------------------------------


class Pipe:
    """A stdin the test writes to and ends."""

    def __init__(self) -> None:
        read_fd, self.write_fd = os.pipe()
        self.reader = os.fdopen(read_fd, "r")
        self.open = True

    def write(self, data: bytes) -> None:
        os.write(self.write_fd, data)

    def end(self) -> None:
        if self.open:
            os.close(self.write_fd)
            self.open = False


@pytest.fixture
def pipe() -> Iterator[Pipe]:
    stdin = Pipe()
    yield stdin
    stdin.end()  # first: a reader thread still waiting sees the end and stops
    stdin.reader.close()


def countdown(looks: int) -> tuple[list[int], Callable[[], bool]]:
    """A browser that is open for ``looks - 1`` looks, then closed; ``seen`` counts the looks."""
    seen: list[int] = []

    def browser_open() -> bool:
        seen.append(1)
        return len(seen) < looks

    return seen, browser_open


@pytest.mark.parametrize("use_select", [True, False], ids=["select", "thread"])
def test_waiting_ends_at_enter(pipe: Pipe, use_select: bool) -> None:
    pipe.write(b"\n")
    assert login.wait_for_user(pipe.reader, lambda: True, interval=0.01, use_select=use_select) == "enter"


@pytest.mark.parametrize("use_select", [True, False], ids=["select", "thread"])
def test_waiting_ends_when_the_browser_is_closed(pipe: Pipe, use_select: bool) -> None:
    seen, browser_open = countdown(3)
    assert login.wait_for_user(pipe.reader, browser_open, interval=0.01, use_select=use_select) == "closed"
    assert len(seen) == 3


@pytest.mark.parametrize("use_select", [True, False], ids=["select", "thread"])
def test_at_the_end_of_input_only_the_browser_ends_the_wait(pipe: Pipe, use_select: bool) -> None:
    pipe.end()
    seen, browser_open = countdown(4)
    assert login.wait_for_user(pipe.reader, browser_open, interval=0.01, use_select=use_select) == "closed"
    assert len(seen) == 4
    headless = login.wait_for_user(pipe.reader, lambda: True, interval=0.01, eof_ends=True, use_select=use_select)
    assert headless == "eof", "no one can close a headless browser: the end of input ends the wait"


def test_the_printed_settings_name_the_new_base_in_three_spellings(tmp_path: Path) -> None:
    base = tmp_path / "my base"
    text = login.settings_text({"browser": "chromium", "user-data-dir": str(base)})
    assert f'--edgeprofile-browser chromium --edgeprofile-user-data-dir "{base}"' in text
    assert f"    edgeprofile_browser = chromium\n    edgeprofile_user_data_dir = {base}\n" in text
    if os.name != "nt":
        assert (
            f'export PYTEST_EDGEPROFILE_BROWSER=chromium\n    export PYTEST_EDGEPROFILE_USER_DATA_DIR="{base}"'
        ) in text


def test_the_default_new_base_is_under_the_home_folder(tmp_path: Path) -> None:
    settings = load_settings({"browser": "chrome"}, env={})
    assert login.login_target(settings, tmp_path) == tmp_path / ".edgeprofile" / "chrome-base"


@pytest.mark.parametrize("case", ["not empty", "a file", "platform default"])
def test_login_refuses_a_folder_it_must_not_use(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))  # Windows: the home folder and the local app data below it
    monkeypatch.setenv("LOCALAPPDATA", str(home / "AppData" / "Local"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    if case == "not empty":
        target = tmp_path / "used"
        target.mkdir()
        (target / "Local State").write_text("{}")
        expected = (
            f"{target} (from --user-data-dir) already exists and is not empty, and login makes a new base "
            "profile, so give --user-data-dir a new or empty folder."
        )
    elif case == "a file":
        target = tmp_path / "file"
        target.write_text("x")
        expected = f"{target} (from --user-data-dir) is a file, so give --user-data-dir a new or empty folder."
    else:
        target = Path(str(platforms.default_user_data_dir("chromium", env=os.environ, home=Path.home())))
        expected = (
            f"{target} (from --user-data-dir) is chromium's own default user data dir, and login makes a "
            "new, dedicated base profile, so give --user-data-dir a new folder such as "
            f"{home / '.edgeprofile' / 'chromium-base'}."
        )
    before = sorted(tmp_path.rglob("*"))

    code = main(["login", "http://127.0.0.1:9/", "--browser", "chromium", "--user-data-dir", str(target)])

    assert code == 2
    assert capsys.readouterr() == ("", f"edgeprofile: {expected}\n")
    assert sorted(tmp_path.rglob("*")) == before, "a refused login touches nothing"


@pytest.mark.parametrize("system", ["Linux", "Windows", "Darwin"])
def test_login_without_a_display_says_headless_or_display(tmp_path: Path, system: str) -> None:
    env = {"PATH": os.environ.get("PATH", "")}
    if system != "Linux":  # Windows and macOS always have their desktop
        login.check_display(headless=False, env=env, system=system)
        return
    login.check_display(headless=True, env=env, system=system)
    login.check_display(headless=False, env={**env, "WAYLAND_DISPLAY": "wayland-0"}, system=system)
    with pytest.raises(ProfileError) as info:
        login.check_display(headless=False, env=env, system=system)
    assert str(info.value) == (
        "login opens a visible browser to sign in, but there is no display here (DISPLAY and WAYLAND_DISPLAY are "
        "unset); run it in a desktop session (or with ssh -X), or add --headless when no one needs to sign in by "
        "hand (tests, CI)."
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="only Linux runs a browser without a desktop")
def test_login_without_a_display_is_one_line_before_anything_starts(tmp_path: Path) -> None:
    env = {k: v for k, v in clean_env().items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    done = cli(
        "login", "http://127.0.0.1:9/", "--browser", "chromium", "--user-data-dir", str(tmp_path / "new"), env=env
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith("edgeprofile: login opens a visible browser to sign in, but there is no display")
    assert len(done.stderr.splitlines()) == 1 and not (tmp_path / "new").exists()


def assert_a_closed_new_base(base: Path) -> None:
    assert (base / "Local State").is_file() and (base / "Default" / "Preferences").is_file()
    assert not os.path.lexists(base / "SingletonLock")
    assert processes_using(base) == [], "no browser may be left on the new base"
    check_base(base, "Default")  # a run accepts it: closed, readable, its profile listed


def headless_login(
    url: str, base: Path, chromium: tuple[Path, Path], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """``edgeprofile login URL`` on the browser under test, headless, into the new base ``base``."""
    return cli(
        "login",
        url,
        "--browser",
        TEST_BROWSER,
        "--user-data-dir",
        str(base),
        "--binary",
        str(chromium[0]),
        "--driver",
        str(chromium[1]),
        "--headless",
        env=clean_env(PYTEST_EDGEPROFILE_ARG=QUIET_ARGS),
        stdin=stdin,
    )


@pytest.mark.browser
def test_login_end_to_end(login_site: LoginSite, chromium: tuple[Path, Path], tmp_path: Path) -> None:
    base = tmp_path / "new base"
    done = headless_login(f"{login_site.url}/login", base, chromium, stdin="\n")
    assert (done.returncode, done.stderr) == (0, ""), done.stdout
    assert done.stdout.startswith(f"{login.PROMPT}\nEnter pressed: the new base profile is ready in {base}.\n")
    assert f'--edgeprofile-browser {TEST_BROWSER} --edgeprofile-user-data-dir "{base}"' in done.stdout
    assert f"edgeprofile_user_data_dir = {base}\n" in done.stdout
    assert f'export PYTEST_EDGEPROFILE_USER_DATA_DIR="{base}"' in done.stdout
    assert_a_closed_new_base(base)


@pytest.mark.browser
def test_a_login_page_that_cannot_be_opened_is_one_line_and_leaves_nothing(
    chromium: tuple[Path, Path], tmp_path: Path
) -> None:
    base = tmp_path / "never made"
    done = headless_login("not a url", base, chromium)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith(f"edgeprofile: the browser on {base} could not open not a url: ")
    assert len(done.stderr.splitlines()) == 1
    assert not base.exists() and processes_using(base) == []


@pytest.mark.browser
def test_login_keeps_what_the_user_signed_in_to(
    login_site: LoginSite, chromium: tuple[Path, Path], tmp_path: Path
) -> None:
    base = tmp_path / "signed in"
    settings = load_settings(
        {"browser": TEST_BROWSER, "user_data_dir": str(base), "binary": str(chromium[0]), "driver": str(chromium[1])},
        env={"PYTEST_EDGEPROFILE_ARG": QUIET_ARGS},
    )

    def sign_in(browser: WebDriver) -> str:  # what the user does in the window
        browser.find_element(By.ID, "username").send_keys(USERNAME)
        browser.find_element(By.ID, "password").send_keys(PASSWORD)
        browser.find_element(By.ID, "sign-in").click()
        WebDriverWait(browser, 30).until(expected_conditions.presence_of_element_located((By.ID, "account")))
        return "enter"

    out = io.StringIO()
    code = login.run(
        settings,
        f"{login_site.url}/login",
        headless=True,
        out=out,
        stdin=io.StringIO(),
        env=os.environ,
        home=tmp_path,
        wait=sign_in,
    )

    assert code == 0, out.getvalue()
    assert_a_closed_new_base(base)
    with sqlite3.connect(f"file:{base / 'Default' / 'Cookies'}?mode=ro", uri=True) as db:
        names = {row[0] for row in db.execute("SELECT name FROM cookies WHERE host_key = '127.0.0.1'")}
    assert SESSION_COOKIE in names


@pytest.mark.browser
def test_a_browser_closed_by_the_user_ends_the_wait(pipe: Pipe, chromium: tuple[Path, Path], tmp_path: Path) -> None:
    base = tmp_path / "closed"
    options = build_options(
        TEST_BROWSER, chromium[0], base, "Default", extra_args=QUIET_LIST, restore_last_session=False
    )
    session = start_browser(TEST_BROWSER, options, chromium[1], tmp_path)
    try:
        session.close()  # the user closes the only window
        assert login.wait_for_user(pipe.reader, lambda: is_usable(session), interval=0.05) == "closed"
    finally:
        login.close_browser(session, base)
    assert not os.path.lexists(base / "SingletonLock") and processes_using(base) == []
