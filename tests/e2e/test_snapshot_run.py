"""End to end on real Chromium: ``pytest -n 4 --edgeprofile-base-in-use snapshot`` while the user's browser stays
open on the signed-in base, and the default that still refuses it."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from demo.site import LoginSite
from tests.support.checks import leftover_processes, wait_for
from tests.support.inner import run_files
from tests.support.live import WRITE_SCRIPT, LiveBrowser

pytestmark = pytest.mark.browser

ITEM_KEY, ITEM_VALUE = "snapshot-item", "kept-by-the-snapshot-7f3a"
TESTS = 8
SIGNED_IN_WITH_STORAGE = f'''
@pytest.mark.parametrize("n", range({TESTS}))
def test_signed_in_with_local_storage(edge_driver, edge_profile, worker_id, n):
    assert signed_in(edge_driver)
    item = edge_driver.execute_script("return localStorage.getItem('{ITEM_KEY}')")
    record(f"t{{n}}", edge_profile, worker_id, item=item)
    assert item == "{ITEM_VALUE}"
'''


@pytest.mark.parametrize("browser_writes", [False, True], ids=["browser-idle", "browser-writing"])
def test_a_run_on_four_workers_while_the_users_browser_stays_open(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    driven_browser: LiveBrowser,
    base_copy: Path,
    clone_root: Path,
    login_site: LoginSite,
    plugin_env: dict[str, str],
    browser_writes: bool,
) -> None:
    live, site = driven_browser, login_site.url
    assert live.account(site) == "Signed in as alice"
    live.session.execute_script("localStorage.setItem(arguments[0], arguments[1])", ITEM_KEY, ITEM_VALUE)
    assert wait_for(lambda: live.local_storage_on_disk(ITEM_VALUE.encode()), 30), "the browser never stored the item"
    stop, loads, failures = threading.Event(), [0], []

    def write_in_a_loop() -> None:  # the user's browser at work while the run snapshots its profile
        try:
            while not stop.is_set():
                loads[0] += 1
                live.session.get(f"{site}/?load={loads[0]}")
                live.session.execute_script(WRITE_SCRIPT, loads[0])
        except Exception as exc:  # reported below, not lost in the thread
            failures.append(repr(exc))

    writer = threading.Thread(target=write_in_a_loop, name="user-browser")
    if browser_writes:
        writer.start()
        assert wait_for(lambda: loads[0] >= 3 or bool(failures), 30), "the user's browser does not load pages"
    try:
        result, records = run_files(
            pytester,
            monkeypatch,
            base_copy,
            clone_root,
            {"test_inner": SIGNED_IN_WITH_STORAGE},
            "-n",
            "4",
            "--edgeprofile-base-in-use",
            "snapshot",
        )
    finally:
        stop.set()
        if browser_writes:
            writer.join(60)
    assert not failures, failures

    assert live.answers() and live.account(site) == "Signed in as alice", "the user's browser was disturbed"
    result.assert_outcomes(passed=TESTS)
    assert {record["item"] for record in records.values()} == {ITEM_VALUE}
    assert len({record["worker"] for record in records.values()}) >= 2
    assert not clone_root.exists() or list(clone_root.iterdir()) == [], "a run folder was left behind"
    assert leftover_processes(clone_root) == []
    assert live.process.poll() is None


def test_by_default_a_run_still_refuses_the_base_in_use(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    driven_browser: LiveBrowser,
    base_copy: Path,
    clone_root: Path,
    plugin_env: dict[str, str],
) -> None:
    pid = int(os.readlink(base_copy / "SingletonLock").rsplit("-", 1)[1])
    result, records = run_files(
        pytester, monkeypatch, base_copy, clone_root, {"test_inner": SIGNED_IN_WITH_STORAGE}, "-n", "2"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR and records == {}
    result.stderr.fnmatch_lines(
        [
            f"ERROR: pytest-edgeprofile: the base profile {base_copy} is in use by pid {pid} (*); close "
            "that browser (all its windows, including background apps) and run again. The plugin never copies a "
            "profile while it is open."
        ]
    )
    assert driven_browser.answers(), "the user's browser was disturbed"
