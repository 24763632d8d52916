"""Inject mode on the real Grid: the node's browser runs on a fresh profile of its own, and the login state read
once from the signed-in base goes into it before its first navigation (cookies through ``execute_cdp_cmd`` over
the Grid's HTTP route, localStorage through the Grid's ``se:cdp`` websocket)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from demo.site import DEVICE_COOKIE, SESSION_COOKIE, STORAGE_KEY, USERNAME, LoginSite, api_token_for
from pytest_edgeprofile.browser.options import build_options
from pytest_edgeprofile.grid import GridTarget, open_grid_browser, run_sessions
from pytest_edgeprofile.state import Launch, LoginState, capture_from_base, inject_state
from tests.support.browsers import QUIET_LIST
from tests.support.checks import wait_for
from tests.support.grid import NOT_USED, LocalGrid, RemoteStarter

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def state(
    base_profile: Path, tmp_path_factory: pytest.TempPathFactory, chromium: tuple[Path, Path], login_site: LoginSite
) -> LoginState:
    """The signed-in base's login state, read once as the controller reads it."""
    launch = Launch("chromium", chromium[0], chromium[1], tuple(QUIET_LIST))
    return capture_from_base(base_profile, "Default", tmp_path_factory.mktemp("capture"), launch, [login_site.url])


def test_a_node_browser_given_the_state_is_signed_in_and_sees_the_local_storage(
    remote: RemoteStarter, grid: LocalGrid, state: LoginState, login_site: LoginSite, tmp_path: Path
) -> None:
    driver = remote("gw0")
    user_data_dir = driver.capabilities["chrome"]["userDataDir"]
    assert user_data_dir != str(NOT_USED) and not user_data_dir.startswith(str(tmp_path)), "none of our folders"
    assert driver.capabilities["se:cdp"].startswith(f"ws://127.0.0.1:{grid.port}/session/"), "CDP through the hub"
    requests_before, logins_before = len(login_site.requests), login_site.logins
    started = time.monotonic()

    inject_state(driver, state)

    injecting = time.monotonic() - started
    sent = login_site.requests[requests_before:]
    assert sent == [], f"injection sent no request to the site, but: {sent}"
    # Target.closeTarget answers before the tab is gone: through a loaded Grid the handle can linger a moment.
    assert wait_for(lambda: len(driver.window_handles) == 1, 5), f"the answered tab is closed: {driver.window_handles}"
    driver.get(f"{login_site.url}/account")
    assert driver.find_element(By.ID, "account").text == f"Signed in as {USERNAME}"
    assert driver.execute_script(f"return localStorage.getItem('{STORAGE_KEY}')") == (
        api_token_for(USERNAME, login_site.secret)
    )
    assert login_site.logins == logins_before, "signed in without signing in"
    cookies = {c["name"]: c for c in driver.execute_cdp_cmd("Network.getAllCookies", {})["cookies"]}
    assert cookies[SESSION_COOKIE]["httpOnly"] and cookies[SESSION_COOKIE]["session"], "HttpOnly session cookie"
    assert cookies[DEVICE_COOKIE]["secure"] and cookies[DEVICE_COOKIE]["sameSite"] == "None"
    assert set(cookies) == {cookie.name for cookie in state.cookies}
    print(f"measured: inject_state into a node's browser through the hub {injecting:.2f} s")


def test_open_grid_browser_gives_a_worker_a_signed_in_node_browser_and_names_its_node(
    grid: LocalGrid, state: LoginState, login_site: LoginSite, chromium: tuple[Path, Path], run_id: str
) -> None:
    target = GridTarget(grid.url, "inject", {"se:name": "edgeprofile gw1"}, queue_timeout=60)
    local = build_options("chromium", chromium[0], NOT_USED, "Default", extra_args=QUIET_LIST)

    driver, node = open_grid_browser(target, local, "chromium", run_id, "gw1", state=state)
    try:
        assert node in grid.node_uris
        assert [(s.worker_id, s.node_uri) for s in run_sessions(grid.url, run_id)] == [("gw1", node)]
        assert driver.capabilities["se:name"] == "edgeprofile gw1"
        driver.get(f"{login_site.url}/account")
        assert driver.find_element(By.ID, "account").text == f"Signed in as {USERNAME}"
    finally:
        driver.quit()
    assert wait_for(lambda: run_sessions(grid.url, run_id) == (), 10)
