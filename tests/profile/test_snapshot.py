"""base-in-use snapshot on real Chromium: a golden copy of a signed-in base while the user's browser runs on it."""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from selenium.webdriver.common.by import By

from demo.site import LoginSite
from pytest_edgeprofile.browser.launch import start_browser
from pytest_edgeprofile.browser.options import build_options
from pytest_edgeprofile.errors import CloneError, ProfileCorruptError, ProfileInUseError
from pytest_edgeprofile.profile import snapshot as snapshot_module
from pytest_edgeprofile.profile.base import check_base
from pytest_edgeprofile.profile.clone import make_clone
from pytest_edgeprofile.profile.golden import build_golden, ensure_golden, golden_filter
from pytest_edgeprofile.profile.layout import NEVER_COPY, needs_keyring
from pytest_edgeprofile.profile.leveldb import CURRENT, read_manifest
from pytest_edgeprofile.profile.run import RunFolder, new_run_id
from pytest_edgeprofile.profile.snapshot import COMPANIONS, SQLITE_MAGIC, Limits, snapshot_tree
from tests.support.browsers import QUIET_LIST
from tests.support.checks import wait_for
from tests.support.live import WRITE_SCRIPT, LiveBrowser, read_only_view, unmount

pytestmark = pytest.mark.browser

ITEM_KEY, ITEM_VALUE = "snapshot-item", "kept-by-the-snapshot-7f3a"
RECORD_VALUE = "an-indexeddb-record-kept-by-the-snapshot-51c9"
PUT_RECORD = """
const [value, done] = arguments;
const opening = indexedDB.open('snapshot-db', 1);
opening.onupgradeneeded = () => opening.result.createObjectStore('items');
opening.onerror = () => done('open failed');
opening.onsuccess = () => {
  const tx = opening.result.transaction('items', 'readwrite');
  tx.objectStore('items').put(value, 'k');
  tx.oncomplete = () => { opening.result.close(); done('stored'); };
  tx.onerror = () => done('put failed');
};
"""
GET_RECORD = """
const done = arguments[0];
const opening = indexedDB.open('snapshot-db', 1);
opening.onupgradeneeded = () => done('the database is not in this profile');
opening.onerror = () => done('open failed');
opening.onsuccess = () => {
  const got = opening.result.transaction('items').objectStore('items').get('k');
  got.onsuccess = () => done(got.result === undefined ? 'no record' : got.result);
  got.onerror = () => done('get failed');
};
"""


def integrity(path: Path) -> str:
    """SQLite's full integrity check of a copy (never of the base)."""
    connection = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
    try:
        return "; ".join(row[0] for row in connection.execute("PRAGMA integrity_check"))
    finally:
        connection.close()


def databases_below(root: Path) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and path.stat().st_size >= 100:
            with path.open("rb") as handle:
                if handle.read(16) == SQLITE_MAGIC:
                    found.append(path)
    return found


def leveldbs_complete(root: Path) -> list[str]:
    """Each LevelDB folder below ``root``: its MANIFEST's tables are there with their sizes; the folders checked."""
    checked = []
    for current in root.rglob(CURRENT):
        folder = current.parent
        manifest = read_manifest((folder / current.read_text().strip()).read_bytes())
        for number, size in manifest.tables.items():
            tables = [folder / f"{number:06d}.{ext}" for ext in ("ldb", "sst")]
            tables = [table for table in tables if table.is_file()]
            assert tables and tables[0].stat().st_size == size, f"{folder}: table {number} missing or cut short"
        assert not (folder / "LOCK").exists(), f"{folder}: LevelDB's LOCK was copied"
        checked.append(folder.relative_to(root).as_posix())
    return checked


def assert_consistent(golden: Path) -> None:
    """What the snapshot promises about a copy: sound databases and LevelDB folders, no lock, journal or socket."""
    for database in databases_below(golden):
        assert integrity(database) == "ok", database
    assert "Default/Local Storage/leveldb" in leveldbs_complete(golden)
    names = [p.relative_to(golden).as_posix() for p in golden.rglob("*")]
    assert not [n for n in names if n.rsplit("/", 1)[-1] in NEVER_COPY], "a lock or singleton file was copied"
    assert not [n for n in names if n.endswith(COMPANIONS)], "a journal or write-ahead log was copied"
    cookies = sqlite3.connect(f"file:{quote(str(golden / 'Default' / 'Cookies'))}?mode=ro", uri=True)
    try:
        signed_in = cookies.execute("SELECT count(*) FROM cookies WHERE name = 'demo_session'").fetchone()[0]
    finally:
        cookies.close()
    assert signed_in == 1, "the snapshot lost the session cookie"


def open_clone(run: RunFolder, chromium: tuple[Path, Path], worker: str) -> object:
    clone, _stats = make_clone(run, worker)
    options = build_options(
        "chromium",
        chromium[0],
        clone,
        "Default",
        extra_args=QUIET_LIST,
        keyring=needs_keyring(clone / "Default", "Linux"),
    )
    return start_browser("chromium", options, chromium[1], run.path)


@pytest.fixture
def view(base_copy: Path, tmp_path: Path) -> Iterator[Path]:
    """The base as the snapshot reads it: a read-only bind mount of it where mounting is allowed (root), so any
    write or new file the snapshot tried there would fail it; the base itself elsewhere."""
    mount = tmp_path / "read-only view"
    if not read_only_view(base_copy, mount):
        yield base_copy
        return
    try:
        yield mount
    finally:
        unmount(mount)


def test_a_snapshot_of_a_base_in_use_signs_in_and_keeps_local_storage(
    driven_browser: LiveBrowser,
    view: Path,
    base_copy: Path,
    login_site: LoginSite,
    chromium: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    live, site = driven_browser, login_site.url
    assert live.account(site) == "Signed in as alice", "the user's browser is not signed in before the snapshot"
    live.session.execute_script("localStorage.setItem(arguments[0], arguments[1])", ITEM_KEY, ITEM_VALUE)
    assert wait_for(lambda: live.local_storage_on_disk(ITEM_VALUE.encode()), 30), "the browser never stored the item"
    live.session.set_script_timeout(20)
    assert live.session.execute_async_script(PUT_RECORD, RECORD_VALUE) == "stored"
    assert wait_for(lambda: live.indexeddb_on_disk(RECORD_VALUE.encode()), 30), "the browser never stored the record"
    during: list[bool] = []

    def drive_the_browser_during_the_copy(_done: int, _total: int) -> None:
        if not during:  # after the first file is copied, before the last
            during.append(live.answers())

    run = RunFolder(tmp_path / "clones", new_run_id())
    stats = ensure_golden(view, "Default", run, progress=drive_the_browser_during_the_copy, base_in_use="snapshot")

    assert stats is not None and during == [True], "the user's browser did not answer during the snapshot"
    assert live.answers() and live.account(site) == "Signed in as alice", "the user's browser was disturbed"
    if view != base_copy:
        assert os.statvfs(view).f_flag & os.ST_RDONLY, "the snapshot did not read through the read-only view"
    assert integrity(run.golden / "Default" / "Cookies") == "ok"
    assert_consistent(run.golden)
    assert stats.methods.get("sqlite backup") and stats.methods.get("leveldb")
    assert not [
        entry
        for entry in stats.left_out
        if entry.startswith(("Default/Cookies", "Default/Local Storage", "Default/IndexedDB"))
    ], stats.left_out
    # Through the read-only view a write would have failed: no database may be missing for any other reason.
    assert not [entry for entry in stats.left_out if "not readable" in entry], stats.left_out
    assert [name for name in leveldbs_complete(run.golden) if name.startswith("Default/IndexedDB/")]
    # The browser's own databases in exclusive locking mode (Web Data, ...) stay locked: named, not copied.
    assert [entry for entry in stats.left_out if entry.endswith(": locked by the running browser for 0.25 s")]

    clone_browser = open_clone(run, chromium, "gw0")
    try:
        clone_browser.get(f"{site}/account")  # type: ignore[attr-defined]
        assert clone_browser.find_element(By.ID, "account").text == "Signed in as alice"  # type: ignore[attr-defined]
        stored = clone_browser.execute_script("return localStorage.getItem(arguments[0])", ITEM_KEY)  # type: ignore[attr-defined]
        assert stored == ITEM_VALUE
        clone_browser.set_script_timeout(20)  # type: ignore[attr-defined]
        assert clone_browser.execute_async_script(GET_RECORD) == RECORD_VALUE  # type: ignore[attr-defined]
    finally:
        clone_browser.quit()  # type: ignore[attr-defined]
    assert live.answers() and live.account(site) == "Signed in as alice", "the user's browser was disturbed"


def test_snapshots_while_the_browser_writes_cookies_and_storage_are_each_consistent(
    driven_browser: LiveBrowser,
    base_copy: Path,
    login_site: LoginSite,
    chromium: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    live, site = driven_browser, login_site.url
    assert live.account(site) == "Signed in as alice"
    stop, loads, failures = threading.Event(), [0], []

    def write_in_a_loop() -> None:
        try:
            while not stop.is_set():
                loads[0] += 1
                live.session.get(f"{site}/?load={loads[0]}")
                live.session.execute_script(WRITE_SCRIPT, loads[0])
        except Exception as exc:  # reported by the test below, not lost in the thread
            failures.append(repr(exc))

    cookies = base_copy / "Default" / "Cookies"
    stored_item = f"_{site}\x00\x01w0".encode()  # how Chromium keys localStorage item 'w0' of the site's origin
    writer = threading.Thread(target=write_in_a_loop, name="user-browser")
    writer.start()
    runs: list[RunFolder] = []
    cookie_states: set[int] = set()
    try:
        assert wait_for(lambda: loads[0] >= 3 or bool(failures), 30), "the user's browser does not load pages"
        loads_before = loads[0]
        deadline = time.monotonic() + 120
        # Snapshots one after another until the browser has committed its cookie database between them twice, and
        # the last one began after the browser had stored its localStorage items on disk (it waits a few seconds).
        stored = False
        while time.monotonic() < deadline and not failures:
            stored = live.local_storage_on_disk(stored_item)
            run = RunFolder(tmp_path / "clones", new_run_id())
            ensure_golden(base_copy, "Default", run, base_in_use="snapshot")
            assert_consistent(run.golden)
            runs.append(run)
            cookie_states.add(cookies.stat().st_mtime_ns)
            if stored and len(cookie_states) >= 3 and len(runs) >= 4:
                break
        loads_after = loads[0]
    finally:
        stop.set()
        writer.join(60)
    assert not failures, failures
    assert stored, "the browser never stored its localStorage items on disk"
    assert len(cookie_states) >= 3, "the browser did not write its cookie database while the snapshots were taken"
    assert loads_after > loads_before, "the user's browser stopped loading pages during the snapshots"
    assert live.answers() and live.account(site) == "Signed in as alice"

    last = runs[-1]
    clone_browser = open_clone(last, chromium, "gw0")
    try:
        clone_browser.get(f"{site}/account")  # type: ignore[attr-defined]
        assert clone_browser.find_element(By.ID, "account").text == "Signed in as alice"  # type: ignore[attr-defined]
        written = clone_browser.execute_script("return localStorage.getItem('w0')")  # type: ignore[attr-defined]
        assert written and set(written) <= set("0123456789"), "the clone lost what the browser stored"
    finally:
        clone_browser.quit()  # type: ignore[attr-defined]


def test_the_default_still_refuses_a_base_in_use_with_todays_sentence(
    base_copy: Path, running_browser: object, tmp_path: Path
) -> None:
    pid = int(os.readlink(base_copy / "SingletonLock").rsplit("-", 1)[1])
    run = RunFolder(tmp_path / "clones", new_run_id())
    with pytest.raises(ProfileInUseError) as caught:
        ensure_golden(base_copy, "Default", run)
    assert str(caught.value).startswith(f"the base profile {base_copy} is in use by pid {pid} (")
    assert str(caught.value).endswith(
        "; close that browser (all its windows, including background apps) and run again. The plugin never copies a "
        "profile while it is open."
    )
    assert not run.golden.exists() and not list(run.path.glob(".golden-*"))


# -- where no snapshot can be made: one sentence -----------------------------------------------------------------


@pytest.fixture
def held_base(base_copy: Path) -> Path:
    """The base as held by a live process of this host (this one): what a running browser's lock says."""
    os.symlink(f"{socket.gethostname()}-{os.getpid()}", base_copy / "SingletonLock")
    return base_copy


def test_on_windows_a_snapshot_is_refused_with_what_to_do(held_base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot_module, "sys", SimpleNamespace(platform="win32"))
    with pytest.raises(ProfileInUseError) as caught:
        check_base(held_base, "Default", base_in_use="snapshot", sources={"base-in-use": "--edgeprofile-base-in-use"})
    program = caught.value.program
    assert caught.value.pid == os.getpid()
    assert str(caught.value) == (
        f"the base profile {held_base} is in use by pid {os.getpid()} ({program}), and base-in-use 'snapshot' (from "
        "--edgeprofile-base-in-use) cannot copy it: on Windows the running browser opens the cookie database "
        "exclusively, so no other program can read it until that browser is closed. Close that browser and run "
        "again, or sign in once into a dedicated base with `edgeprofile login URL` and use that."
    )


def test_app_bound_cookies_make_a_snapshot_useless_and_say_so(held_base: Path) -> None:
    with sqlite3.connect(held_base / "Default" / "Cookies") as db:
        db.execute("UPDATE cookies SET encrypted_value = CAST('v20' || substr(encrypted_value, 4) AS BLOB)")
    with pytest.raises(ProfileInUseError) as caught:
        check_base(held_base, "Default", base_in_use="snapshot")
    assert (
        "cannot copy it: its cookies are app-bound (v20), which only that browser on its own default user data "
        "dir can decrypt, so no copy of it is signed in. Close that browser"
    ) in str(caught.value)


def test_snapshot_passes_a_base_in_use_that_refuse_stops(held_base: Path) -> None:
    assert check_base(held_base, "Default", base_in_use="snapshot").profile.folder == "Default"
    with pytest.raises(ProfileInUseError, match="The plugin never copies a profile while it is open"):
        check_base(held_base, "Default")


# -- each kind of file, on the closed base (locks held by this process stand in for the browser's) ---------------


def hold_exclusively(path: Path) -> sqlite3.Connection:
    """What Chromium's own databases do: exclusive locking mode, locked for as long as the connection lives."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA locking_mode=EXCLUSIVE")
    connection.execute("BEGIN EXCLUSIVE")
    return connection


FAST = Limits(required_database=0.3, optional_database=0.2, leveldb=1.0, json=0.2)


def test_a_locked_optional_database_is_left_out_and_named(base_copy: Path, tmp_path: Path) -> None:
    held = hold_exclusively(base_copy / "Default" / "History")
    try:
        stats = snapshot_tree(
            base_copy, tmp_path / "copy", golden_filter("Default"), required=["Default/Cookies"], limits=FAST
        )
    finally:
        held.close()
    assert stats.left_out == ["Default/History: locked by the running browser for 0.2 s"]
    assert not (tmp_path / "copy" / "Default" / "History").exists()
    assert not list((tmp_path / "copy" / "Default").glob("History-*"))
    assert integrity(tmp_path / "copy" / "Default" / "Cookies") == "ok"


def test_a_locked_cookie_database_fails_the_snapshot_in_one_sentence(base_copy: Path, tmp_path: Path) -> None:
    cookies = base_copy / "Default" / "Cookies"
    held = hold_exclusively(cookies)
    try:
        with pytest.raises(CloneError) as caught:
            snapshot_tree(
                base_copy, tmp_path / "copy", golden_filter("Default"), required=["Default/Cookies"], limits=FAST
            )
    finally:
        held.close()
    assert str(caught.value) == (
        f"the cookie database {cookies} stayed locked by the running browser for 0.3 s while the golden copy was "
        "made, so no snapshot of the base was taken; run again in a moment, or close that browser and run again."
    )
    assert not (tmp_path / "copy").exists(), "a failed snapshot left a partial copy"


def test_a_database_in_write_ahead_log_mode_is_read_only_while_closed(base_copy: Path, tmp_path: Path) -> None:
    wal = base_copy / "Default" / "Walled"
    with sqlite3.connect(wal) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE t (x)")
        db.execute("INSERT INTO t VALUES (1)")
    db.close()
    assert not os.path.lexists(f"{wal}-wal") and not os.path.lexists(f"{wal}-shm")
    stats = snapshot_tree(base_copy, tmp_path / "closed", golden_filter("Default"), limits=FAST)
    assert integrity(tmp_path / "closed" / "Default" / "Walled") == "ok" and "Default/Walled" not in str(stats.left_out)
    assert not os.path.lexists(f"{wal}-wal") and not os.path.lexists(f"{wal}-shm"), "the read wrote beside the base"

    reader = sqlite3.connect(wal)  # open again: -wal and -shm appear, as under a running browser
    try:
        reader.execute("SELECT * FROM t").fetchall()
        stats = snapshot_tree(base_copy, tmp_path / "open", golden_filter("Default"), limits=FAST)
    finally:
        reader.close()
    assert "Default/Walled: in write-ahead-log mode and open in the browser" in " ".join(stats.left_out)


def test_json_that_never_parses_is_one_sentence(base_copy: Path, tmp_path: Path) -> None:
    prefs = base_copy / "Default" / "Preferences"
    prefs.write_text('{"profile": ')
    with pytest.raises(ProfileCorruptError) as caught:
        snapshot_tree(base_copy, tmp_path / "copy", golden_filter("Default"), limits=FAST)
    assert str(caught.value).startswith(
        f"{prefs} did not read as one JSON object in 0.2 s of trying while its browser ran (JSONDecodeError: "
    )
    assert str(caught.value).endswith(
        "; open the profile once in the browser so it rewrites the file, or use another profile."
    )


def test_a_snapshot_of_a_closed_base_holds_what_a_plain_golden_copy_holds(base_copy: Path, tmp_path: Path) -> None:
    base = check_base(base_copy, "Default")
    plain = tmp_path / "plain"
    build_golden(base, plain)
    snap = tmp_path / "snap"
    stats = build_golden(base, snap, base_in_use="snapshot")

    def kept(root: Path) -> set[str]:
        return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}

    journals = {n for n in kept(plain) if n.endswith(COMPANIONS)}
    leveldb_text = {
        n
        for n in kept(plain)
        if n.rsplit("/", 1)[-1] in ("LOG", "LOG.old") and (plain / n).parent.joinpath(CURRENT).is_file()
    }
    assert kept(snap) == kept(plain) - journals - leveldb_text
    assert stats.left_out == []
    assert_consistent(snap)
