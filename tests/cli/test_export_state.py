"""``edgeprofile export-state`` on a real base and a real Chromium, and the file it writes in real Playwright."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from demo.site import SESSION_COOKIE, STORAGE_KEY, USERNAME, LoginSite, api_token_for, token_for
from pytest_edgeprofile.profile.base import version_page
from tests.support.browsers import QUIET_ARGS, QUIET_LIST, TEST_BROWSER
from tests.support.checks import driver_pids, leftover_processes, new_drivers_left, tree_digest
from tests.support.cli import chromium_args, clean_env, cli

pytestmark = pytest.mark.browser


def export(
    base: Path, chromium: tuple[Path, Path], tmp_path: Path, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    return cli(
        "export-state",
        *chromium_args(base, chromium, tmp_path / "clones"),
        *args,
        env=clean_env(PYTEST_EDGEPROFILE_ARG=QUIET_ARGS, **env),
    )


def secrets_of(site: LoginSite) -> list[str]:
    device = token_for("device", site.secret)[:16]
    return [token_for(USERNAME, site.secret), api_token_for(USERNAME, site.secret), device]


def test_export_writes_a_private_playwright_file_and_says_it_holds_credentials(
    base_profile: Path, chromium: tuple[Path, Path], tmp_path: Path, login_site: LoginSite
) -> None:
    target = tmp_path / "state.json"
    digest, drivers = tree_digest(base_profile), driver_pids()

    done = export(
        base_profile, chromium, tmp_path, "-o", str(target), PYTEST_EDGEPROFILE_AUTH_URL=f"{login_site.url}/account"
    )

    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    data = json.loads(target.read_text())
    cookies = {c["name"]: c for c in data["cookies"]}
    assert cookies[SESSION_COOKIE] == {
        "name": SESSION_COOKIE,
        "value": token_for(USERNAME, login_site.secret),
        "domain": "127.0.0.1",
        "path": "/",
        "expires": -1,
        "httpOnly": True,
        "secure": False,
        "sameSite": "Lax",
    }
    assert data["origins"] == [
        {
            "origin": login_site.url,
            "localStorage": [{"name": STORAGE_KEY, "value": api_token_for(USERNAME, login_site.secret)}],
        }
    ], "auth-url's origin"
    lines = done.stdout.splitlines()
    assert lines[0] == (
        f"Read the login state of {base_profile} (profile 'Default') on a throwaway clone: 3 cookie(s) "
        f"(1 HttpOnly, 2 session) of 1 site(s); localStorage of {login_site.url}: 1 item(s)."
    )
    assert lines[1] == f"Wrote {target} (playwright format, readable by you only)."
    assert lines[2].startswith("It holds credentials (your signed-in sessions): keep it private")
    assert not [s for s in secrets_of(login_site) if s in done.stdout + done.stderr], "no value is printed"
    assert tree_digest(base_profile) == digest, "the base is only read"
    assert list((tmp_path / "clones").iterdir()) == [], "the throwaway copies are removed"
    assert leftover_processes(tmp_path / "clones") == [] and new_drivers_left(drivers) == []


def test_the_cdp_format_and_origins_given_on_the_command_line(
    base_profile: Path, chromium: tuple[Path, Path], tmp_path: Path, login_site: LoginSite
) -> None:
    target = tmp_path / "state.cdp.json"
    done = export(
        base_profile,
        chromium,
        tmp_path,
        "--format",
        "cdp",
        "-o",
        str(target),
        "--origin",
        login_site.url.upper(),
        "--origin",
        "http://localhost:9",
    )
    assert done.returncode == 0, done.stderr
    assert f"localStorage of {login_site.url}: 1 item(s); localStorage of http://localhost:9: 0 item(s)." in done.stdout
    data = json.loads(target.read_text())
    assert data["format"] == "cdp" and stat.S_IMODE(target.stat().st_mode) == 0o600
    session = next(c for c in data["cookies"] if c["name"] == SESSION_COOKIE)
    assert session["url"] == f"{login_site.url}/" and session["httpOnly"] and "expires" not in session
    assert data["localStorage"] == {login_site.url: {STORAGE_KEY: api_token_for(USERNAME, login_site.secret)}}


def test_playwright_given_the_exported_file_is_signed_in_and_sees_the_local_storage(
    base_profile: Path, chromium: tuple[Path, Path], tmp_path: Path, login_site: LoginSite
) -> None:
    from playwright.sync_api import sync_playwright

    target = tmp_path / "state.json"
    done = export(base_profile, chromium, tmp_path, "-o", str(target), "--auth-url", f"{login_site.url}/account")
    assert done.returncode == 0, done.stderr
    requests_before, logins_before = len(login_site.requests), login_site.logins

    with sync_playwright() as playwright:
        # Browser downloads are impossible here: Playwright drives the system Chromium.
        browser = playwright.chromium.launch(
            executable_path=str(chromium[0]), headless=True, args=["--no-sandbox", *QUIET_LIST]
        )
        try:
            signed_in = browser.new_context(storage_state=str(target))
            page = signed_in.new_page()
            page.goto(f"{login_site.url}/account")
            heading = page.locator("#account").text_content()
            item = page.evaluate(f"localStorage.getItem('{STORAGE_KEY}')")
            plain = browser.new_context().new_page()  # the control: without the file, the site asks to sign in
            plain.goto(f"{login_site.url}/account")
            plain_url = plain.url
        finally:
            browser.close()

    assert heading == f"Signed in as {USERNAME}"
    assert item == api_token_for(USERNAME, login_site.secret)
    assert plain_url == f"{login_site.url}/login?next=/account"
    assert login_site.logins == logins_before and "POST /login" not in login_site.requests[requests_before:]


# --- one sentence, exit 2: a bad value on the command line -----------------------------------------------------


def test_a_bad_origin(base_profile: Path, chromium: tuple[Path, Path], tmp_path: Path) -> None:
    done = export(base_profile, chromium, tmp_path, "-o", str(tmp_path / "s.json"), "--origin", "127.0.0.1:8000")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "edgeprofile: origin '127.0.0.1:8000' (from --origin) is not an origin; give "
        "scheme://host[:port] with http or https and no path.\n"
    )
    assert not (tmp_path / "s.json").exists() and not (tmp_path / "clones").exists()


@pytest.mark.parametrize("where", ["missing folder", "a folder", "inside the base"])
def test_a_file_that_cannot_or_must_not_be_written(
    base_copy: Path, chromium: tuple[Path, Path], tmp_path: Path, where: str
) -> None:
    target = {
        "missing folder": tmp_path / "no" / "s.json",
        "a folder": tmp_path,
        "inside the base": base_copy / "Default" / "s.json",
    }[where]
    digest = tree_digest(base_copy)
    done = export(base_copy, chromium, tmp_path, "-o", str(target))
    assert (done.returncode, done.stdout) == (2, "")
    expected = {
        "missing folder": f"the folder of -o {target} does not exist; create it or give a file in an existing folder.",
        "a folder": f"-o {target} is a folder; give the name of the file to write.",
        "inside the base": f"-o {target} is inside the base user data dir {base_copy}, which is only ever read; "
        "write the file elsewhere.",
    }[where]
    assert done.stderr == f"edgeprofile: {expected}\n"
    assert tree_digest(base_copy) == digest


# --- one sentence, exit 1: the profile is not ready ---------------------------------------------------------


def test_a_missing_base(chromium: tuple[Path, Path], tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "User Data"
    done = export(missing, chromium, tmp_path, "-o", str(tmp_path / "s.json"))
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        f"edgeprofile: the base user data dir {missing} (from --user-data-dir) does not exist; set "
        f"--user-data-dir to the browser's 'User Data' folder ({version_page(TEST_BROWSER)} shows it as the parent "
        "of 'Profile path').\n"
    )
    assert not (tmp_path / "s.json").exists()


def test_a_base_in_use(
    base_copy: Path, chromium: tuple[Path, Path], tmp_path: Path, running_browser: subprocess.Popen[bytes]
) -> None:
    pid = int(os.readlink(base_copy / "SingletonLock").rsplit("-", 1)[1])
    done = export(base_copy, chromium, tmp_path, "-o", str(tmp_path / "s.json"))
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith(f"edgeprofile: the base profile {base_copy} is in use by pid {pid} (")
    assert done.stderr.endswith("The plugin never copies a profile while it is open.\n")
    assert done.stderr.count("\n") == 1
    assert not (tmp_path / "s.json").exists() and running_browser.poll() is None

    # With base-in-use snapshot the same base is read as a consistent snapshot, and its browser keeps running.
    done = export(base_copy, chromium, tmp_path, "-o", str(tmp_path / "s.json"), "--base-in-use", "snapshot")
    assert (done.returncode, done.stderr) == (0, ""), done.stdout
    assert json.loads((tmp_path / "s.json").read_text())["cookies"], "the snapshot's cookies were read"
    assert running_browser.poll() is None
