"""``edgeprofile doctor``: is everything a run needs here? One line per check; exit 1 when something needed is not.

Nothing is downloaded (Selenium Manager is never asked for a driver) and the base is only read.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path, PureWindowsPath
from typing import Any, TextIO

from .. import platforms
from ..browser.locate import find_binary, find_local_driver
from ..errors import ProfileError
from ..profile.base import check_base, check_clone_root
from ..profile.copying import copy_tree
from ..profile.layout import LOCAL_STATE, list_profiles, read_json, resolve_profile
from ..profile.run import ensure_private_dir
from ..profile.snapshot import probe_snapshot, snapshot_obstacle
from ..settings import Settings
from .common import FAIL, OK, WARN, Check, holder_text, in_cli_words, origin

VERSION_TIMEOUT = 20.0
SHARED_EXTENTS = ("reflink", "clonefile")


def version_of(executable: Path) -> str:
    """The first line ``<executable> --version`` prints; raises ``OSError`` when it cannot be run or fails."""
    try:
        done = subprocess.run(
            [str(executable), "--version"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=VERSION_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise OSError(f"`{executable} --version` did not answer within {VERSION_TIMEOUT:.0f} s") from None
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0:
        raise OSError(f"`{executable} --version` exited with {done.returncode}")
    return lines[0].strip() if lines else "its --version printed nothing"


def local_driver(resolved: Settings, binary: Path | None) -> Path | None:
    """The driver a run would use, but only if it is on this machine: None where locate would ask Selenium Manager."""
    return find_local_driver(resolved.browser, binary or Path(), resolved.driver_path, resolved.source("driver"))


def _with_version(kind: str, path: Path) -> Check:
    try:
        return Check(OK, kind, f"{path} ({version_of(path)})")
    except OSError as exc:
        return Check(WARN, kind, f"{path} was found but its version is unknown: {exc}")


def check_browser(resolved: Settings) -> tuple[Check, Path | None]:
    try:
        binary = find_binary(resolved.browser, resolved.channel, resolved.binary, resolved.source("binary"))
    except ProfileError as exc:
        return Check(FAIL, "browser", str(exc)), None
    return _with_version("browser", binary), binary


def check_driver(resolved: Settings, binary: Path | None) -> Check:
    try:
        driver = local_driver(resolved, binary)
    except ProfileError as exc:
        return Check(FAIL, "driver", str(exc))
    if driver is None:
        name = platforms.driver_name(resolved.browser)
        beside = f" or next to {binary}" if binary is not None else ""
        return Check(
            FAIL,
            "driver",
            f"no {name} on PATH{beside}; a run would ask Selenium Manager to download one, "
            f"which doctor never does: install the {name} matching the browser's version and put it on PATH, "
            "or set --driver.",
        )
    return _with_version("driver", driver)


def check_profile(resolved: Settings) -> tuple[list[Check], dict[str, Any] | None]:
    """The user data dir, its profiles, and the chosen profile (readable key files); Local State when readable."""
    root = resolved.user_data_dir
    try:
        base = check_base(
            root, resolved.profile, check_in_use=False, sources=resolved.sources, browser=resolved.browser
        )
    except ProfileError as exc:
        if not (root / LOCAL_STATE).is_file() or (root / LOCAL_STATE).is_symlink():
            return [Check(FAIL, "user data dir", str(exc))], None
        checks = [Check(OK, "user data dir", f"{root} {origin(resolved, 'user-data-dir')} exists")]
        try:
            state = read_json(root / LOCAL_STATE)
            checks.append(_profiles_check(root, state))
        except ProfileError as listing_error:
            return [*checks, Check(FAIL, "profiles", str(listing_error))], None
        return [*checks, Check(FAIL, "profile", str(exc))], state
    return [
        Check(OK, "user data dir", f"{root} {origin(resolved, 'user-data-dir')} exists"),
        _profiles_check(root, base.local_state),
        Check(
            OK,
            "profile",
            f"'{base.profile.folder}' ({base.profile.display_name}) "
            f"{origin(resolved, 'profile')}: Local State, Preferences and cookie database readable",
        ),
    ], base.local_state


def _profiles_check(root: Path, state: dict[str, Any]) -> Check:
    found = list_profiles(root, state)
    if not found:
        return Check(FAIL, "profiles", f"{root} holds no profile; sign in once in the browser on it.")
    return Check(OK, "profiles", ", ".join(f"'{p.folder}' ({p.display_name})" for p in found))


def check_in_use(user_data_dir: Path, resolved: Settings | None = None) -> Check:
    holder = holder_text(user_data_dir)
    if holder is None:
        return Check(OK, "base in use", f"no running browser holds {user_data_dir}")
    if resolved is not None and resolved.base_in_use == "snapshot":
        return Check(
            OK,
            "base in use",
            f"{holder} holds {user_data_dir}; base-in-use is 'snapshot' "
            f"{origin(resolved, 'base-in-use')}, so a run copies it as a consistent snapshot while it runs",
        )
    return Check(
        FAIL,
        "base in use",
        f"{holder} holds {user_data_dir}; close that browser (all its windows, "
        "including background apps): a run never copies a profile while it is open.",
    )


def check_snapshot(profile_dir: Path, in_use: bool, base_in_use: str = "refuse") -> Check:
    """Whether ``--base-in-use snapshot`` would work for this base: tried for real on the cookie database of a base
    in use (read-only), judged from the platform and the cookies' encryption otherwise."""
    problem = probe_snapshot(profile_dir) if in_use else snapshot_obstacle(profile_dir)
    if problem is not None:
        status = FAIL if in_use and base_in_use == "snapshot" else WARN
        return Check(
            status,
            "snapshot",
            f"--base-in-use snapshot would not work: {problem}; close the browser "
            "before each run, or sign in once into a dedicated base with `edgeprofile login URL` and use "
            "that.",
        )
    if in_use:
        return Check(
            OK,
            "snapshot",
            "--base-in-use snapshot would work: the running browser's cookie database reads "
            "consistently; databases it keeps locked (history, autofill, saved passwords) are left out of "
            "the copy",
        )
    return Check(
        OK, "snapshot", "--base-in-use snapshot would work here: a run could copy this base while a browser runs on it"
    )


def check_app_bound(
    local_state: Mapping[str, Any],
    user_data_dir: Path,
    browser: str,
    channel: str,
    *,
    system: str | None = None,
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> Check | None:
    """Windows: a default profile's app-bound (v20) cookies cannot be read from any copy. None elsewhere."""
    if (system or platforms.current_system()) != platforms.WINDOWS:
        return None
    default = platforms.default_user_data_dir(browser, channel, system=platforms.WINDOWS, env=env, home=home)
    os_crypt = local_state.get("os_crypt")
    app_bound = isinstance(os_crypt, dict) and bool(os_crypt.get("app_bound_encrypted_key"))
    if app_bound and PureWindowsPath(str(user_data_dir)) == PureWindowsPath(str(default)):
        return Check(
            WARN,
            "app-bound cookies",
            f"{user_data_dir} is {browser}'s default user data dir and its cookies "
            "are app-bound (v20), which no copy can read, so clones would start signed out; sign in once "
            f"into a dedicated base with `edgeprofile login URL --browser {browser}` and use the "
            "--user-data-dir it prints.",
        )
    where = "a dedicated user data dir" if app_bound else "no app-bound cookie key"
    return Check(OK, "app-bound cookies", f"{where}: copies can read the cookies")


def probe_copy_on_write(clone_root: Path) -> str:
    """Copy one small file inside ``clone_root`` the way clones are made; the method the filesystem allowed."""
    ensure_private_dir(clone_root)
    probe = Path(tempfile.mkdtemp(prefix=".doctor-", dir=clone_root))
    try:
        (probe / "source").mkdir()
        (probe / "source" / "probe").write_bytes(b"edgeprofile copy-on-write probe\n" * 128)
        return copy_tree(probe / "source", probe / "copy").method
    finally:
        shutil.rmtree(probe, ignore_errors=True)


def check_clones(resolved: Settings) -> list[Check]:
    root = resolved.clone_root
    try:
        check_clone_root(root, resolved.user_data_dir, resolved.sources)
        method = probe_copy_on_write(root)
    except (ProfileError, OSError) as exc:
        return [Check(FAIL, "clone root", str(exc))]
    checks = [Check(OK, "clone root", f"{root} {origin(resolved, 'clone-root')} is private and writable")]
    if method in SHARED_EXTENTS:
        checks.append(
            Check(OK, "copy-on-write", f"yes: files in {root} are cloned with {method}, so clones are nearly free")
        )
    elif method == "CopyFileW":
        checks.append(
            Check(WARN, "copy-on-write", f"unknown: Windows block-clones files in {root} only on ReFS or a Dev Drive")
        )
    else:
        checks.append(
            Check(
                WARN,
                "copy-on-write",
                f"no: {root} cannot share file extents (files are copied with "
                f"{method}), so each clone is a full copy; a clone root on btrfs or XFS (reflink), APFS, "
                "or ReFS makes clones nearly free",
            )
        )
    return checks


def diagnose(resolved: Settings) -> list[Check]:
    """Every check, in the order a run meets them."""
    browser, binary = check_browser(resolved)
    checks = [browser, check_driver(resolved, binary)]
    profile_checks, local_state = check_profile(resolved)
    checks += profile_checks
    if resolved.user_data_dir.is_dir():
        checks.append(check_in_use(resolved.user_data_dir, resolved))
        if local_state is not None:
            try:
                folder = resolve_profile(resolved.user_data_dir, resolved.profile, local_state).folder
            except ProfileError:
                folder = None  # the profile check above has said why
            if folder is not None:
                in_use = holder_text(resolved.user_data_dir) is not None
                checks.append(check_snapshot(resolved.user_data_dir / folder, in_use, resolved.base_in_use))
    if local_state is not None:
        app_bound = check_app_bound(local_state, resolved.user_data_dir, resolved.browser, resolved.channel)
        if app_bound is not None:
            checks.append(app_bound)
    return checks + check_clones(resolved)


def run(resolved: Settings, out: TextIO, err: TextIO) -> int:
    """Each check once, on stdout; when any failed, one line on stderr that counts and names them, and exit 1."""
    checks = [Check(c.status, c.name, in_cli_words(c.detail)) for c in diagnose(resolved)]
    for check in checks:
        print(check.line(), file=out)
    failed = [c.name for c in checks if c.status == FAIL]
    if failed:
        count = "1 check" if len(failed) == 1 else f"{len(failed)} checks"
        print(f"edgeprofile: doctor: {count} failed ({', '.join(failed)}); their FAIL lines say what to do.", file=err)
    return 1 if failed else 0
