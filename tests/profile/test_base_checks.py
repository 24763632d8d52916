"""The base profile's checks: each mistake is one sentence naming the path and what to do."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from pytest_edgeprofile.errors import CloneError, ProfileCorruptError, ProfileInUseError, ProfileNotFoundError
from pytest_edgeprofile.profile.base import check_base, check_clone_root
from tests.support.systems import not_on_windows

pytestmark = pytest.mark.browser


def test_missing_base(tmp_path: Path) -> None:
    with pytest.raises(ProfileNotFoundError) as caught:
        check_base(tmp_path / "nope", "Default")
    assert str(caught.value) == (
        f"the base user data dir {tmp_path / 'nope'} does not exist; set --edgeprofile-user-data-dir to the "
        "browser's 'User Data' folder (edge://version in Edge, chrome://version in Chrome and Chromium, shows it as "
        "the parent of 'Profile path')."
    )
    assert caught.value.path == tmp_path / "nope"


@pytest.mark.parametrize(
    ("browser", "page"), [("edge", "edge://version"), ("chrome", "chrome://version"), ("chromium", "chrome://version")]
)
def test_the_advice_names_the_version_page_of_the_browser_in_use(tmp_path: Path, browser: str, page: str) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ProfileNotFoundError) as caught:
        check_base(tmp_path / "empty", "Default", browser=browser)
    assert str(caught.value) == (
        f"{tmp_path / 'empty'} is not a browser user data dir: it has no 'Local State' file. Point "
        f"--edgeprofile-user-data-dir at the folder that holds it ({page} shows it as the parent of 'Profile path')."
    )


def test_a_profile_folder_given_as_the_base_gets_a_hint(base_copy: Path) -> None:
    with pytest.raises(ProfileNotFoundError) as caught:
        check_base(base_copy / "Default", "Default")
    message = str(caught.value)
    assert "is not a browser user data dir: it has no 'Local State' file" in message
    assert f"use its parent {base_copy} and --edgeprofile-profile Default" in message


def test_unknown_profile_lists_the_available_ones_with_display_names(base_copy: Path) -> None:
    display = json.loads((base_copy / "Local State").read_text())["profile"]["info_cache"]["Default"]["name"]
    with pytest.raises(ProfileNotFoundError) as caught:
        check_base(base_copy, "Profile 9")
    assert str(caught.value) == (
        f"profile 'Profile 9' is not in {base_copy}; available profiles: 'Default' ({display}). "
        "Set --edgeprofile-profile to one of these folder or display names."
    )
    assert caught.value.profile == "Profile 9"


@pytest.mark.parametrize("name", ["Local State", "Default/Preferences"])
def test_corrupt_json_files(base_copy: Path, name: str) -> None:
    (base_copy / name).write_text('{"profile": ')
    with pytest.raises(ProfileCorruptError) as caught:
        check_base(base_copy, "Default")
    assert str(caught.value).startswith(f"{base_copy / name} is not valid JSON (JSONDecodeError:")
    assert "the profile is damaged: " in str(caught.value)
    if name == "Local State":  # a browser rewriting Local State would make a new cookie key: never advised
        assert "restore it from a backup" in str(caught.value) and "rewrites" not in str(caught.value)


def test_a_damaged_cookie_database_is_named_and_left_untouched(base_copy: Path) -> None:
    cookies = base_copy / "Default" / "Cookies"
    cookies.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ProfileCorruptError) as caught:
        check_base(base_copy, "Default")
    assert str(caught.value) == (
        f"the base profile's cookie database is damaged: {cookies} is not a readable SQLite database (file is not "
        "a database). Open the profile in the browser once (it repairs or recreates the file) or choose another "
        "profile."
    )
    assert cookies.read_bytes() == b"this is not a database" * 100
    assert sorted(p.name for p in cookies.parent.glob("Cookies*")) == ["Cookies", "Cookies-journal"]


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads unreadable files")
def test_unreadable_cookies(base_copy: Path) -> None:
    (base_copy / "Default" / "Cookies").chmod(0)
    with pytest.raises(ProfileCorruptError, match="cannot be read \\(permission denied\\)"):
        check_base(base_copy, "Default")


@not_on_windows("Chromium's SingletonLock link (host-pid) is POSIX; Windows holds a lockfile instead")
def test_a_base_open_in_a_running_browser_is_refused_and_left_running(
    base_copy: Path, running_browser: subprocess.Popen[bytes]
) -> None:
    with pytest.raises(ProfileInUseError) as caught:
        check_base(base_copy, "Default")
    error = caught.value
    host_pid = int(os.readlink(base_copy / "SingletonLock").rsplit("-", 1)[1])
    assert error.pid == host_pid and error.program and any(n in error.program.lower() for n in ("chrom", "msedge"))
    assert str(error).startswith(f"the base profile {base_copy} is in use by pid {host_pid} (")
    assert "close that browser" in str(error)
    assert running_browser.poll() is None, "the user's browser must not be disturbed"


@pytest.mark.parametrize("where", ["same", "inside", "parent"])
def test_a_clone_root_overlapping_the_base_is_refused(base_copy: Path, where: str) -> None:
    root = {"same": base_copy, "inside": base_copy / "clones", "parent": base_copy.parent}[where]
    with pytest.raises(CloneError) as caught:
        check_clone_root(root, base_copy)
    assert str(caught.value) == (
        f"the clone root {root} overlaps the base user data dir {base_copy}; choose a clone root outside it "
        "(and not one of its parents)."
    )


def test_a_clone_root_under_a_file_is_refused(tmp_path: Path, base_copy: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(CloneError, match="is not a folder"):
        check_clone_root(tmp_path / "file" / "clones", base_copy)
