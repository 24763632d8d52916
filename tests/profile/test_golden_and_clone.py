"""What the golden copy and the worker clones hold, on a real Chromium profile with daily-profile clutter."""

from __future__ import annotations

import errno
import json
import os
import stat
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from pytest_edgeprofile.errors import CloneError
from pytest_edgeprofile.profile import copying
from pytest_edgeprofile.profile.base import check_base
from pytest_edgeprofile.profile.golden import build_golden, ensure_golden
from pytest_edgeprofile.profile.manager import ProfileManager, ProfileType
from pytest_edgeprofile.profile.run import RunFolder, new_run_id
from tests.support.checks import tree_digest
from tests.support.profiles import CACHES, KEPT, NEVER
from tests.support.systems import not_on_windows


def files_below(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() or p.is_symlink()}


@pytest.fixture
def golden(daily_base: Path, tmp_path: Path) -> tuple[Path, copying.CopyStats]:
    target = tmp_path / "golden"
    return target, build_golden(check_base(daily_base, "Default"), target)


def test_golden_keeps_login_data_and_drops_caches_locks_and_other_profiles(
    daily_base: Path, golden: tuple[Path, copying.CopyStats]
) -> None:
    target, stats = golden
    copied = files_below(target)
    assert set(KEPT) <= copied
    assert not copied & set(CACHES), "a cache or another profile was copied"
    assert not copied & set(NEVER), "a lock or singleton file was copied"
    assert not (target / "Profile 1").exists() and not (target / "Crashpad").exists()
    assert {"Default/Cache", "Default/Code Cache", "Default/Sessions", "Profile 1", "Crashpad"} <= set(stats.skipped)
    assert not [rel for rel in stats.skipped if rel.startswith("Default/Cache/")], "a skipped cache was walked"
    assert "Default/stray link" in stats.links_skipped
    assert not any(p.is_symlink() for p in target.rglob("*")), "a link was copied"
    for rel in KEPT:
        if rel not in ("Local State", "Default/Preferences"):
            assert (target / rel).read_bytes() == (daily_base / rel).read_bytes(), rel


def test_golden_local_state_offers_only_the_chosen_profile_and_keeps_the_key(
    daily_base: Path, golden: tuple[Path, copying.CopyStats]
) -> None:
    state = json.loads((golden[0] / "Local State").read_text())
    assert list(state["profile"]["info_cache"]) == ["Default"]
    assert state["profile"]["last_used"] == "Default"
    assert state["os_crypt"]["encrypted_key"] == "RFBBUEkBAAAA-test-key"


def test_golden_says_the_last_exit_was_clean_without_touching_the_base(daily_base: Path, tmp_path: Path) -> None:
    prefs_path = daily_base / "Default" / "Preferences"
    prefs = json.loads(prefs_path.read_text())
    prefs["profile"]["exit_type"] = "Crashed"
    prefs_path.write_text(json.dumps(prefs))
    before = tree_digest(daily_base)

    build_golden(check_base(daily_base, "Default"), tmp_path / "golden")

    copied = json.loads((tmp_path / "golden" / "Default" / "Preferences").read_text())
    assert copied["profile"]["exit_type"] == "Normal" and copied["profile"]["exited_cleanly"] is True
    assert json.loads(prefs_path.read_text())["profile"]["exit_type"] == "Crashed"
    assert tree_digest(daily_base) == before


def test_profile_chosen_by_display_name(daily_base: Path, tmp_path: Path) -> None:
    base = check_base(daily_base, "work")
    assert base.profile.folder == "Profile 1"
    build_golden(base, tmp_path / "golden")
    assert (tmp_path / "golden" / "Profile 1" / "Preferences").is_file()
    assert not (tmp_path / "golden" / "Default").exists()


def test_everything_copied_is_private(golden: tuple[Path, copying.CopyStats]) -> None:
    for path in [golden[0], *golden[0].rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path} is readable by others ({mode:o})"


def test_worker_clones_are_distinct_complete_copies_and_the_base_never_changes(
    daily_base: Path, tmp_path: Path
) -> None:
    before = tree_digest(daily_base)
    manager = ProfileManager(daily_base, "Default", tmp_path / "clones", new_run_id())
    manager.ensure_golden()
    first, second = manager.clone("gw0"), manager.clone("gw1")

    assert first.user_data_dir == manager.path(ProfileType.WORKER, "gw0") != second.user_data_dir
    assert first.profile_directory == "Default"
    golden = manager.path(ProfileType.GOLDEN)
    assert tree_digest(first.user_data_dir) == tree_digest(golden) == tree_digest(second.user_data_dir)
    assert tree_digest(daily_base) == before

    (first.profile_path / "Cookies").write_bytes(b"changed by a test")
    again = manager.clone("gw0")
    assert tree_digest(again.user_data_dir) == tree_digest(golden), "a re-clone must start from the golden copy"

    removal = manager.remove()
    assert removal.removed and not manager.run.path.exists()
    assert tree_digest(daily_base) == before


def _build(args: tuple[str, str, str]) -> bool:
    base, clone_root, run_id = args
    return ensure_golden(Path(base), "Default", RunFolder(Path(clone_root), run_id)) is not None


def test_golden_copy_is_made_once_when_workers_race(daily_base: Path, tmp_path: Path) -> None:
    run_id = new_run_id()
    with ProcessPoolExecutor(max_workers=3) as pool:
        built = list(pool.map(_build, [(str(daily_base), str(tmp_path / "clones"), run_id)] * 3))
    assert built.count(True) == 1
    golden = RunFolder(tmp_path / "clones", run_id).golden
    assert (golden / "Default" / "Cookies").is_file()
    assert [p.name for p in golden.parent.iterdir() if p.name.startswith(".golden-")] == []


def test_a_copy_that_runs_out_of_space_leaves_nothing_and_says_how_much_was_needed(
    daily_base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"n": 0}
    real_copy_range = copying._copy_file_range

    def copy_until_full(src_fd: int, dst_fd: int, size: int) -> bool:
        calls["n"] += 1
        if calls["n"] > 5:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_copy_range(src_fd, dst_fd, size)

    monkeypatch.setattr(copying, "_copy_file_range", copy_until_full)
    monkeypatch.setattr(copying, "_reflink", lambda _s, _d: False)
    target = tmp_path / "golden"
    with pytest.raises(CloneError) as caught:
        build_golden(check_base(daily_base, "Default"), target)
    assert "not enough disk space" in str(caught.value)
    assert " MB and " in str(caught.value) and "--edgeprofile-clone-root" in str(caught.value)
    assert not target.exists()


@not_on_windows("a symbolic link needs a privilege on Windows, and Chromium makes none there")
def test_copy_never_follows_links_even_to_folders(tmp_path: Path) -> None:
    source = tmp_path / "src"
    (source / "real").mkdir(parents=True)
    (source / "real" / "file").write_text("x")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("outside")
    os.symlink(outside, source / "linked dir")
    os.symlink(source, source / "real" / "loop")
    stats = copying.copy_tree(source, tmp_path / "dst")
    assert files_below(tmp_path / "dst") == {"real/file"}
    assert sorted(stats.links_skipped) == ["linked dir", "real/loop"]


def test_the_password_store_follows_how_the_profiles_secrets_are_encrypted(base_copy: Path) -> None:
    import sqlite3

    from pytest_edgeprofile.profile.layout import encryption_versions, needs_keyring

    profile_dir = base_copy / "Default"
    assert encryption_versions(profile_dir) == {"v10"}  # a Linux Chromium without a desktop keyring
    assert needs_keyring(profile_dir, "Linux") is False
    assert needs_keyring(profile_dir, "Darwin") is True and needs_keyring(profile_dir, "Windows") is True
    with sqlite3.connect(profile_dir / "Cookies") as db:
        db.execute("UPDATE cookies SET encrypted_value = x'7631310102030405'")
    assert encryption_versions(profile_dir) == {"v11"}
    assert needs_keyring(profile_dir, "Linux") is True


def test_a_damaged_autofill_database_degrades_but_a_damaged_cookie_jar_stops_naming_the_base(
    daily_base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_edgeprofile.errors import VerificationError
    from pytest_edgeprofile.profile import golden as golden_module

    (daily_base / "Default" / "Web Data").write_bytes(b"not sqlite" * 100)
    assert ensure_golden(daily_base, "Default", RunFolder(tmp_path / "clones", new_run_id())) is not None

    # The cookie jar damaged after the base was checked: the golden copy's own check catches it.
    cookies = daily_base / "Default" / "Cookies"
    real_check = golden_module.check_base

    def check_then_damage(*args: Any, **kwargs: Any) -> Any:
        checked = real_check(*args, **kwargs)
        cookies.write_bytes(b"junk" * 1000)
        return checked

    monkeypatch.setattr(golden_module, "check_base", check_then_damage)
    with pytest.raises(VerificationError) as caught:
        ensure_golden(daily_base, "Default", RunFolder(tmp_path / "clones", new_run_id()))
    assert str(caught.value).startswith(f"the golden copy of {daily_base} failed the files check")
    assert f"{cookies} is not a readable SQLite database" in str(caught.value)
    assert ".golden-" not in str(caught.value) and caught.value.retryable is False
