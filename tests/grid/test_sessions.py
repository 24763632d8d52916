"""Remote sessions on the real Grid: path mode on a real clone, the run's sessions found by their marker on both
nodes and deleted through the Grid, and a request that waits in the Grid's queue beyond its timeout."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By

from demo.site import USERNAME, LoginSite
from pytest_edgeprofile.browser.options import build_options
from pytest_edgeprofile.errors import BrowserStartError, VerificationError
from pytest_edgeprofile.grid import (
    RUN_MARKER,
    GridTarget,
    check_clone_visible,
    delete_run_sessions,
    grid_sessions,
    node_of,
    open_grid_browser,
    remote_options,
    run_sessions,
    start_remote,
)
from pytest_edgeprofile.profile.cleanup import remove_run
from pytest_edgeprofile.profile.clone import forget_open_tabs, make_clone
from pytest_edgeprofile.profile.golden import ensure_golden
from pytest_edgeprofile.profile.run import RunFolder, new_run_id, write_private
from tests.support.browsers import QUIET_LIST
from tests.support.checks import wait_for
from tests.support.grid import LocalGrid, RemoteStarter, can_hide_folders, hiding

pytestmark = pytest.mark.browser


@pytest.fixture
def run(tmp_path: Path, base_profile: Path, run_id: str) -> Iterator[RunFolder]:
    """This run's folder with its golden copy of the signed-in base, removed at the end."""
    folder = RunFolder(tmp_path / "clones", run_id)
    ensure_golden(base_profile, "Default", folder)
    yield folder
    remove_run(folder.path)


def test_path_mode_runs_the_remote_browser_on_the_workers_clone_signed_in(
    run: RunFolder, remote: RemoteStarter, login_site: LoginSite, grid: LocalGrid
) -> None:
    """``run`` first: its folder is removed after the remote session has ended."""
    clone, _stats = make_clone(run, "gw0")
    forget_open_tabs(clone / "Default")
    token = secrets.token_hex(16)
    write_private(clone / "edgeprofile-token.txt", token.encode())
    logins_before = login_site.logins

    driver = remote("gw0", user_data_dir=clone)

    assert driver.capabilities["chrome"]["userDataDir"] == str(clone)
    driver.get((clone / "edgeprofile-token.txt").as_uri())
    assert driver.find_element(By.TAG_NAME, "body").text == token, "the node's browser reads the clone's own file"
    driver.get(f"{login_site.url}/account")
    assert driver.find_element(By.ID, "account").text == f"Signed in as {USERNAME}"
    assert login_site.logins == logins_before, "signed in by the clone's cookies, not by a login"
    node = node_of(grid.url, driver.session_id or "")
    assert node in grid.node_uris
    check_clone_visible(driver, clone, run.clone_root, node)
    assert driver.current_url == "about:blank"
    assert not [p for p in clone.iterdir() if p.name.startswith(".edgeprofile-visible-")], "the probe file is removed"


def test_path_mode_on_a_node_that_cannot_see_the_clone_is_caught_in_one_sentence(
    run: RunFolder, tmp_path: Path, chromium: tuple[Path, Path], browser_under_test: Any, run_id: str
) -> None:
    if not can_hide_folders():
        pytest.skip("hiding the clone root from a node needs root and unshare")
    clone, _stats = make_clone(run, "gw0")
    blind = LocalGrid(
        tmp_path / "blind-grid",
        chromium[0],
        chromium[1],
        browser_under_test.kind,
        nodes=1,
        node_wrapper=hiding(run.clone_root),
    ).start()
    try:
        local = build_options(browser_under_test.kind, chromium[0], clone, "Default", extra_args=QUIET_LIST)
        options = remote_options(local, browser_under_test.kind, {}, run_id, "gw0", mode="path")
        driver = start_remote(blind.url, options, 60)
        try:
            assert driver.capabilities["chrome"]["userDataDir"] == str(clone), "the node echoes the path it got"
        finally:
            driver.quit()
        target = GridTarget(blind.url, "path", queue_timeout=60)
        with pytest.raises(VerificationError) as caught:
            open_grid_browser(
                target, local, browser_under_test.kind, run_id, "gw0", clone=clone, clone_root=run.clone_root
            )
        assert wait_for(lambda: blind.sessions() == [], 10), "the session that failed its check is ended"
    finally:
        blind.stop()

    assert str(caught.value) == (
        f"the Grid node {blind.node_uris[0]} cannot see the clone {clone} (grid-profile path): its browser did not "
        "find a file written there just now, so it would run on an empty profile, signed out; mount the clone root "
        f"{run.clone_root} on every node at the same path, readable and writable by the node's user, or use "
        "grid-profile inject."
    )
    assert caught.value.check == "grid-path" and caught.value.critical and caught.value.path == clone
    assert not [p for p in clone.iterdir() if p.name.startswith(".edgeprofile-visible-")], "the probe file is removed"


def test_the_runs_sessions_are_found_on_both_nodes_and_deleted_and_no_other(
    remote: RemoteStarter, grid: LocalGrid, run_id: str
) -> None:
    other_run = new_run_id()
    with ThreadPoolExecutor(4) as pool:
        ours = list(pool.map(remote, ["gw0", "gw1", "gw2"]))
        foreign = remote("gw0", run=other_run)
    ids = {driver.session_id for driver in ours}

    listed = run_sessions(grid.url, run_id)

    assert {s.session_id for s in listed} == ids
    assert {s.worker_id for s in listed} == {"gw0", "gw1", "gw2"} and {s.run_id for s in listed} == {run_id}
    assert {s.node_uri for s in listed} == set(grid.node_uris), "3 sessions on 2-slot nodes use both nodes"
    for driver in ours:
        assert node_of(grid.url, driver.session_id or "") == next(
            s.node_uri for s in listed if s.session_id == driver.session_id
        )
    everything = grid_sessions(grid.url)
    assert {s.session_id for s in everything} == ids | {foreign.session_id}
    in_status = {s["sessionId"]: s["capabilities"][RUN_MARKER] for s in grid.sessions()}
    assert in_status[foreign.session_id or ""] == {"run": other_run, "worker": "gw0"}, "/status shows it too"

    started = time.monotonic()
    assert delete_run_sessions(grid.url, run_id) == 3
    deleting = time.monotonic() - started

    assert run_sessions(grid.url, run_id) == ()
    assert [s.session_id for s in grid_sessions(grid.url)] == [foreign.session_id], "another run's session stays"
    assert foreign.title is not None, "and still works"
    with pytest.raises(WebDriverException):
        ours[0].title  # noqa: B018 - the browser is gone: any command fails
    assert node_of(grid.url, ours[0].session_id or "") is None
    assert delete_run_sessions(grid.url, run_id) == 0
    assert deleting < 10, f"deleting 3 sessions took {deleting:.1f} s"
    print(f"measured: delete_run_sessions of 3 sessions {deleting:.2f} s")


def test_a_request_that_waits_in_the_queue_past_its_timeout_gets_one_sentence(
    remote: RemoteStarter, grid: LocalGrid, chromium: tuple[Path, Path], browser_under_test: object, run_id: str
) -> None:
    with ThreadPoolExecutor(4) as pool:
        holding = list(pool.map(remote, ["gw0", "gw1", "gw2", "gw3"]))
    assert len(grid.sessions()) == 4, "every slot is taken"
    local = build_options("chromium", chromium[0], Path("/nonexistent"), "Default", extra_args=QUIET_LIST)
    options = remote_options(local, "chromium", {}, run_id, "gw4")
    queued: list[object] = []
    seen_in_queue = threading.Thread(
        target=lambda: queued.append(
            wait_for(
                lambda: bool(
                    grid.graphql("{ sessionsInfo { sessionQueueRequests } }")["sessionsInfo"]["sessionQueueRequests"]
                ),
                5,
            )
        )
    )
    seen_in_queue.start()
    started = time.monotonic()

    with pytest.raises(BrowserStartError) as caught:
        start_remote(grid.url, options, 2.0)

    waited = time.monotonic() - started
    seen_in_queue.join()
    assert queued == [True], "the request really waited in the Grid's queue"
    assert str(caught.value) == (
        f"the chrome session request waited in the session queue of the Selenium Grid at {grid.url} for 2 s and no "
        "slot took it (every slot busy, or no node matching its capabilities); free or add slots (fewer workers, "
        "more nodes or max-sessions), check the capability setting, or raise grid-queue-timeout (and the Grid's "
        "--session-request-timeout)."
    )
    assert not caught.value.retryable
    assert 2.0 <= waited < 5.0
    holding[0].quit()
    assert wait_for(lambda: len(grid.sessions()) == 3, 10)
    queue = grid.graphql("{ sessionsInfo { sessionQueueRequests } }")["sessionsInfo"]["sessionQueueRequests"]
    assert queue == [], "the Grid dropped the request its client gave up on"
    assert not wait_for(lambda: any(s.worker_id == "gw4" for s in run_sessions(grid.url, run_id)), 3), (
        "no session appears later for the abandoned request"
    )
    print(f"measured: queue timeout 2 s -> BrowserStartError after {waited:.2f} s; {json.dumps(queue)} queued after")
