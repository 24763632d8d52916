"""The login state on a real profile: read by a real Chromium on a throwaway clone, written into an empty one."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By

from demo.site import (
    DEVICE_COOKIE,
    SESSION_COOKIE,
    STORAGE_KEY,
    THEME_COOKIE,
    USERNAME,
    LoginSite,
    api_token_for,
    token_for,
)
from pytest_edgeprofile.browser.launch import start_browser
from pytest_edgeprofile.browser.options import build_options
from pytest_edgeprofile.log import close_event_log, open_event_log
from pytest_edgeprofile.profile.manager import ProfileManager
from pytest_edgeprofile.profile.run import new_run_id
from pytest_edgeprofile.state import Launch, LoginState, capture_from_base, capture_from_golden, inject_state
from pytest_edgeprofile.state.capture import quit_browser
from pytest_edgeprofile.state.cdp import CdpConnection
from pytest_edgeprofile.state.tabs import answered_tab
from tests.support.browsers import QUIET_LIST
from tests.support.checks import driver_pids, leftover_processes, new_drivers_left, tree_digest, wait_for

pytestmark = pytest.mark.browser


def secrets_of(site: LoginSite) -> list[str]:
    """Every value the login left in the profile: none may appear in a log, repr or message."""
    device = f"device-{token_for('device', site.secret)[:16]}"
    return [token_for(USERNAME, site.secret), api_token_for(USERNAME, site.secret), device]


def flags(cookie: dict[str, Any]) -> tuple[object, ...]:
    """A CDP cookie's identity and flags, as the browser reports them."""
    return (
        cookie["name"],
        cookie["domain"],
        cookie["path"],
        cookie["httpOnly"],
        cookie["secure"],
        cookie.get("sameSite"),
        cookie["session"],
        None if cookie["session"] else cookie["expires"],
    )


def state_flags(state: LoginState) -> set[tuple[object, ...]]:
    return {(c.name, c.domain, c.path, c.http_only, c.secure, c.same_site, c.session, c.expires) for c in state.cookies}


@pytest.fixture
def launch(chromium: tuple[Path, Path]) -> Launch:
    return Launch("chromium", chromium[0], chromium[1], tuple(QUIET_LIST))


@pytest.fixture
def manager(base_profile: Path, tmp_path: Path) -> Iterator[ProfileManager]:
    manager = ProfileManager(base_profile, "Default", tmp_path / "clones", new_run_id())
    try:
        manager.ensure_golden()
        yield manager
    finally:
        manager.remove()
    assert leftover_processes(tmp_path / "clones") == []


def test_every_cookie_and_flag_matches_what_the_browser_reports_on_a_clone(
    manager: ProfileManager, launch: Launch, login_site: LoginSite, base_profile: Path
) -> None:
    clone = manager.clone("gw0")
    options = build_options(
        "chromium", launch.binary, clone.user_data_dir, clone.profile_directory, extra_args=launch.extra_args
    )
    browser = start_browser("chromium", options, launch.driver_path, manager.run.path)
    try:
        reported = browser.execute_cdp_cmd("Network.getAllCookies", {})["cookies"]
    finally:
        quit_browser(browser, clone.user_data_dir)
    requests_before = len(login_site.requests)

    state = capture_from_golden(manager.run, "Default", launch, [login_site.url])

    assert len(state.cookies) == len(reported) >= 3
    assert state_flags(state) == {flags(cookie) for cookie in reported}
    with sqlite3.connect(f"file:{base_profile / 'Default' / 'Cookies'}?mode=ro&immutable=1", uri=True) as db:
        in_base = sorted(row[0] for row in db.execute("SELECT name FROM cookies"))
    db.close()
    assert sorted(c.name for c in state.cookies) == in_base, "every cookie of the base, and no other"
    session, theme, device = (state.cookie(name) for name in (SESSION_COOKIE, THEME_COOKIE, DEVICE_COOKIE))
    assert session is not None and session.http_only and session.session and session.same_site == "Lax"
    assert session.value == token_for(USERNAME, login_site.secret)
    assert theme is not None and theme.same_site == "Strict" and not theme.session and not theme.http_only
    assert device is not None and device.secure and device.same_site == "None" and device.session
    storage = state.storage(login_site.url)
    assert storage is not None and storage.as_dict() == {STORAGE_KEY: api_token_for(USERNAME, login_site.secret)}
    # A favicon fetch that an earlier browser sent before it quit can be logged by the site's server thread late.
    pages = [r for r in login_site.requests[requests_before:] if r != "GET /favicon.ico"]
    assert pages == [], "reading localStorage sent no request to the site"
    assert not manager.run.worker("login-state").exists(), "the throwaway clone is removed"


def test_from_the_base_nothing_is_left_and_nothing_is_logged(
    base_profile: Path, tmp_path: Path, launch: Launch, login_site: LoginSite
) -> None:
    before, drivers = tree_digest(base_profile), driver_pids()
    clone_root = tmp_path / "clones"
    # The events go only to the process's event log file (never to the logging tree): read them there.
    event_log = tmp_path / "logs" / "events.jsonl"
    handler = open_event_log(event_log)
    try:
        state = capture_from_base(base_profile, "Default", clone_root, launch, [login_site.url])
    finally:
        close_event_log(handler)

    assert state.cookie(SESSION_COOKIE) is not None and state.item_count == 1
    assert tree_digest(base_profile) == before, "the base is only read"
    assert list(clone_root.iterdir()) == [], "the private run folder is removed"
    assert leftover_processes(clone_root) == [] and new_drivers_left(drivers) == []
    events = event_log.read_text(encoding="utf-8").splitlines()
    captured = [json.loads(line) for line in events if json.loads(line)["event"] == "state_captured"]
    assert [(event["worker"], event["storage_items"]) for event in captured] == [("login-state", 1)], events
    shown = [*events, repr(state), str(state), *map(repr, state.cookies)]
    assert not [text for text in shown for secret in secrets_of(login_site) if secret in text]


def test_a_base_in_use_is_refused_before_any_copy(
    base_copy: Path, tmp_path: Path, launch: Launch, running_browser: object
) -> None:
    from pytest_edgeprofile.errors import ProfileInUseError

    with pytest.raises(ProfileInUseError, match="is in use by pid"):
        capture_from_base(base_copy, "Default", tmp_path / "clones", launch)
    assert list((tmp_path / "clones").iterdir()) == []


@pytest.fixture
def empty_browser(chromium: tuple[Path, Path], tmp_path: Path) -> Iterator[webdriver.Chrome]:
    """A Chromium on a new, empty profile: never signed in anywhere."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium[0])
    for arg in ("--headless=new", "--no-sandbox", f"--user-data-dir={tmp_path / 'empty'}", *QUIET_LIST):
        options.add_argument(arg)
    browser = webdriver.Chrome(options=options, service=webdriver.ChromeService(str(chromium[1])))
    try:
        yield browser
    finally:
        quit_browser(browser, tmp_path / "empty")


@pytest.fixture
def captured(base_profile: Path, tmp_path: Path, launch: Launch, login_site: LoginSite) -> LoginState:
    return capture_from_base(base_profile, "Default", tmp_path / "clones", launch, [login_site.url])


def test_an_empty_browser_given_the_state_is_signed_in_and_sees_the_local_storage(
    empty_browser: webdriver.Chrome, captured: LoginState, login_site: LoginSite
) -> None:
    requests_before, logins_before = len(login_site.requests), login_site.logins

    inject_state(empty_browser, captured)

    assert login_site.requests[requests_before:] == [], "injection sent no request to the site"
    assert len(empty_browser.window_handles) == 1, "the locally answered tab is closed"
    empty_browser.get(f"{login_site.url}/account")
    assert empty_browser.find_element(By.ID, "account").text == f"Signed in as {USERNAME}"
    assert empty_browser.execute_script(f"return localStorage.getItem('{STORAGE_KEY}')") == (
        api_token_for(USERNAME, login_site.secret)
    )
    pages = [r for r in login_site.requests[requests_before:] if r != "GET /favicon.ico"]
    assert pages == ["GET /account"] and login_site.logins == logins_before, "signed in without signing in"
    names = {c["name"]: c for c in empty_browser.execute_cdp_cmd("Network.getAllCookies", {})["cookies"]}
    assert names[SESSION_COOKIE]["httpOnly"] and names[SESSION_COOKIE]["session"]
    assert names[DEVICE_COOKIE]["secure"] and names[DEVICE_COOKIE]["sameSite"] == "None"


def test_the_state_goes_into_one_browser_context_and_no_other(
    empty_browser: webdriver.Chrome, captured: LoginState, login_site: LoginSite
) -> None:
    """What per-test contexts will do: a BiDi user context is a CDP browser context under the same id."""
    with CdpConnection.for_driver(empty_browser) as connection:
        context = connection.send("Target.createBrowserContext")["browserContextId"]
        inject_state(empty_browser, captured, browser_context_id=context, connection=connection)
        in_context = connection.send("Storage.getCookies", {"browserContextId": context})["cookies"]
        with answered_tab(connection, login_site.url, context) as session:
            item = connection.send(
                "Runtime.evaluate",
                {"expression": f"localStorage.getItem('{STORAGE_KEY}')", "returnByValue": True},
                session,
            )["result"]["value"]
        connection.send("Target.disposeBrowserContext", {"browserContextId": context})
    assert {c["name"] for c in in_context} == {c.name for c in captured.cookies}
    assert item == api_token_for(USERNAME, login_site.secret)
    assert empty_browser.execute_cdp_cmd("Network.getAllCookies", {})["cookies"] == [], "default context untouched"
    empty_browser.get(f"{login_site.url}/account")
    assert empty_browser.find_elements(By.ID, "login"), "the default context is not signed in"


class _ServiceWorkerSite(BaseHTTPRequestHandler):
    """A page that registers a service worker which answers every request of its pages from the network."""

    seen: list[str]
    SW = (
        b"self.addEventListener('install', e => self.skipWaiting());"
        b"self.addEventListener('activate', e => e.waitUntil(clients.claim()));"
        b"self.addEventListener('fetch', e => e.respondWith(fetch('/from-worker')));"
    )

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.seen.append(self.path)
        body = self.SW if self.path == "/sw.js" else b"<script>navigator.serviceWorker.register('/sw.js')</script>"
        self.send_response(200)
        self.send_header("Content-Type", "text/javascript" if self.path == "/sw.js" else "text/html")
        self.end_headers()
        self.wfile.write(body)


def test_a_service_worker_of_the_origin_cannot_reach_the_network_from_the_answered_tab(
    empty_browser: webdriver.Chrome,
) -> None:
    seen: list[str] = []
    handler = type("Handler", (_ServiceWorkerSite,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    controlled = "return !!navigator.serviceWorker.controller"
    try:
        empty_browser.get(f"{url}/page")
        # clients.claim() can make the page controlled after its own load came from the network: reload until the
        # worker has answered a load.
        answered = wait_for(lambda: empty_browser.refresh() or "/from-worker" in seen, 20)
        assert answered and empty_browser.execute_script(controlled), "the worker answers the origin's pages"
        seen.clear()
        with CdpConnection.for_driver(empty_browser) as connection, answered_tab(connection, url) as session:
            in_tab = connection.send(
                "Runtime.evaluate",
                {"expression": "!!navigator.serviceWorker.controller", "returnByValue": True},
                session,
            )["result"]["value"]
        # The favicon of the page loaded above can reach the server's log after the clear (its fetch is the
        # browser's own, sent late); what the answered tab would request is anything else.
        assert in_tab is False and [path for path in seen if path != "/favicon.ico"] == []
    finally:
        server.shutdown()
        server.server_close()


def test_a_browser_that_cannot_start_leaves_no_copy_behind(base_profile: Path, tmp_path: Path, launch: Launch) -> None:
    from pytest_edgeprofile.errors import BrowserStartError

    broken = Launch(launch.browser, launch.binary, tmp_path / "no-driver", launch.extra_args)
    with pytest.raises(BrowserStartError, match=r"^chromium did not start on the clone .* with driver .*no-driver: "):
        capture_from_base(base_profile, "Default", tmp_path / "clones", broken)
    assert list((tmp_path / "clones").iterdir()) == [], "the golden copy and the clone are removed"
