"""Per-test browser contexts on a real Chromium: seeded with a real profile's login, isolated, closed cleanly."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.chromium.webdriver import ChromiumDriver
from selenium.webdriver.common.by import By

from demo.site import SESSION_COOKIE, STORAGE_KEY, USERNAME, LoginSite, api_token_for, token_for
from pytest_edgeprofile.browser.launch import is_usable, start_browser
from pytest_edgeprofile.browser.options import build_options
from pytest_edgeprofile.errors import BrowserContextError
from pytest_edgeprofile.log import close_event_log, open_event_log
from pytest_edgeprofile.profile.cleanup import remove_run
from pytest_edgeprofile.profile.golden import ensure_golden
from pytest_edgeprofile.profile.run import RunFolder, new_run_id
from pytest_edgeprofile.state import Cookie, Launch, LoginState, OriginStorage, capture_for_run, capture_from_base
from pytest_edgeprofile.state.capture import RUN_STATE_FILE, quit_browser
from pytest_edgeprofile.state.cdp import CdpConnection
from pytest_edgeprofile.state.contexts import MIN_VERSION, close_context, context_support, open_context, open_tab
from tests.support.browsers import QUIET_LIST, BrowserUnderTest
from tests.support.checks import leftover_processes, wait_for

pytestmark = pytest.mark.browser
SIGNED_IN = f"Signed in as {USERNAME}"


def start_bidi_browser(browser: BrowserUnderTest, user_data_dir: Path, run_path: Path) -> ChromiumDriver:
    """The browser under test on an empty profile (never signed in), its WebDriver BiDi endpoint on."""
    run_path.mkdir(parents=True, exist_ok=True)
    options = build_options(
        browser.kind, browser.binary, user_data_dir, "Default", extra_args=tuple(QUIET_LIST), bidi=True
    )
    return start_browser(browser.kind, options, browser.driver_path, run_path)


@pytest.fixture(scope="module")
def captured(
    base_profile: Path,
    tmp_path_factory: pytest.TempPathFactory,
    browser_under_test: BrowserUnderTest,
    login_site: LoginSite,
) -> LoginState:
    """The login state of the signed-in base, read once for the module like a worker reads it once."""
    launch = Launch(
        browser_under_test.kind, browser_under_test.binary, browser_under_test.driver_path, tuple(QUIET_LIST)
    )
    return capture_from_base(base_profile, "Default", tmp_path_factory.mktemp("clones"), launch, [login_site.url])


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory, browser_under_test: BrowserUnderTest) -> Iterator[ChromiumDriver]:
    """One browser for every test of the module, as one worker's browser serves all its tests."""
    root = tmp_path_factory.mktemp("contexts")
    driver = start_bidi_browser(browser_under_test, root / "empty", root / "run")
    yield driver
    quit_browser(driver, root / "empty")
    assert leftover_processes(root) == []


def signed_in(driver: ChromiumDriver, site: LoginSite) -> bool:
    driver.get(f"{site.url}/account")
    return [e.text for e in driver.find_elements(By.ID, "account")] == [SIGNED_IN]


def local_item(driver: ChromiumDriver, key: str) -> object:
    return driver.execute_script("return localStorage.getItem(arguments[0])", key)


@pytest.fixture
def own_site(login_site: LoginSite) -> Iterator[LoginSite]:
    """The login site again on a port of its own: only this test's browser talks to it (the shared site may still
    get a late request of an earlier test's page). Same secret, so the profile's cookies (bound to the host, not
    the port) sign in here too."""
    site = LoginSite(secret=login_site.secret).start()
    yield site
    site.stop()


def test_a_context_seeded_with_the_state_is_signed_in_before_its_first_page(
    browser: ChromiumDriver, captured: LoginState, login_site: LoginSite, own_site: LoginSite, tmp_path: Path
) -> None:
    storage = captured.storage(login_site.url)
    assert storage is not None
    # The captured state, its localStorage moved to this test's own origin (localStorage is bound to the port).
    state = LoginState(captured.cookies, (OriginStorage(own_site.url, storage.items),))
    event_log = open_event_log(tmp_path / "events.jsonl")

    context = open_context(browser, state)
    try:
        assert own_site.requests == [], "seeding sent no request to the site"
        assert browser.current_window_handle == context.handle
        assert browser.current_url == "about:blank"
        assert browser.execute_script("return history.length") == 1, "the seeding page left no history"
        with CdpConnection.for_driver(browser) as cdp:
            jar = cdp.send("Storage.getCookies", {"browserContextId": context.user_context})["cookies"]
        session = next(c for c in jar if c["name"] == SESSION_COOKIE)
        assert session["httpOnly"] and session["session"] and session["sameSite"] == "Lax"
        assert {c["name"] for c in jar} == {c.name for c in captured.cookies}

        assert signed_in(browser, own_site)
        assert local_item(browser, STORAGE_KEY) == api_token_for(USERNAME, login_site.secret)
        assert own_site.logins == 0, "signed in without signing in"
        assert [r for r in own_site.requests if r != "GET /favicon.ico"] == ["GET /account"]
    finally:
        close_context(browser, context)
        close_event_log(event_log)
    events = (tmp_path / "events.jsonl").read_text(encoding="utf-8").splitlines()
    assert any('"event": "context_opened"' in event and '"http_only": ' in event for event in events), events
    secrets = (token_for(USERNAME, login_site.secret), api_token_for(USERNAME, login_site.secret))
    assert not [event for event in [*events, repr(context)] for secret in secrets if secret in event]


def test_what_a_test_does_in_its_context_never_reaches_the_next_one(
    browser: ChromiumDriver, captured: LoginState, login_site: LoginSite
) -> None:
    first = open_context(browser, captured)
    try:
        assert signed_in(browser, login_site)
        browser.get(f"{login_site.url}/logout")
        browser.execute_script(
            "document.cookie = 'left_behind=1; path=/; max-age=3600';"
            "localStorage.setItem('left_behind', '1'); localStorage.removeItem(arguments[0]);",
            STORAGE_KEY,
        )
        assert not signed_in(browser, login_site), "the first test really signed out"
        assert browser.get_cookie("left_behind") is not None and local_item(browser, "left_behind") == "1"
    finally:
        close_context(browser, first)

    second = open_context(browser, captured)
    try:
        assert user_contexts(browser) == ["default", second.user_context], "the first test's context is gone"
        assert signed_in(browser, login_site), "the next test is signed in again"
        assert browser.get_cookie("left_behind") is None
        assert local_item(browser, "left_behind") is None
        assert local_item(browser, STORAGE_KEY) == api_token_for(USERNAME, login_site.secret)
    finally:
        close_context(browser, second)


def test_window_handles_are_the_contexts_own_and_closing_leaves_the_browser_usable(
    browser: ChromiumDriver, captured: LoginState, login_site: LoginSite
) -> None:
    before = browser.window_handles
    context = open_context(browser, captured)
    try:
        assert browser.window_handles == [context.handle], "no tab of the browser's default context is shown"
        assert signed_in(browser, login_site)
        browser.execute_script("window.open('/account', '_blank')")
        assert wait_for(lambda: len(browser.window_handles) == 2)
        popup = next(h for h in browser.window_handles if h != context.handle)
        second = open_tab(browser, context)
        assert browser.current_window_handle == second
        assert set(browser.window_handles) == {context.handle, popup, second}
        for handle in (popup, second):
            browser.switch_to.window(handle)
            assert signed_in(browser, login_site), "every tab of the test shares its context's login"
        browser.switch_to.new_window("tab")  # the driver opens this one in the default context
        assert browser.get_screenshot_as_png().startswith(b"\x89PNG")
    finally:
        kept = close_context(browser, context)

    assert browser.window_handles == [kept] == [context.handle], "the test's first tab stays, every other closes"
    assert browser.current_window_handle == kept
    assert wait_for(lambda: browser.current_url == "about:blank"), "the finished test's page is left"
    assert is_usable(browser)
    assert user_contexts(browser) == ["default", context.user_context], "removed when the next test's tab exists"

    following = open_context(browser, None)
    assert user_contexts(browser) == ["default", following.user_context]
    assert browser.window_handles == [following.handle]
    kept = close_context(browser, following, remove=True)

    assert user_contexts(browser) == ["default"], "remove=True removes the context at once"
    assert browser.window_handles == [kept] and kept not in [*before, following.handle]
    assert browser.current_window_handle == kept and browser.current_url == "about:blank"
    browser.get(f"{login_site.url}/")
    assert browser.find_element(By.ID, "state").text == "Not signed in", "the default context never had the login"


def user_contexts(driver: ChromiumDriver) -> list[str]:
    with CdpConnection.bidi_for_driver(driver) as bidi:
        return sorted(
            (c["userContext"] for c in bidi.send("browser.getUserContexts")["userContexts"]),
            key=lambda name: (name != "default", name),
        )


def test_an_empty_context_has_no_login(browser: ChromiumDriver, login_site: LoginSite) -> None:
    context = open_context(browser, None)
    try:
        assert not signed_in(browser, login_site)
    finally:
        close_context(browser, context)


def test_context_support_on_this_browser_is_none(browser: ChromiumDriver) -> None:
    assert context_support(browser) is None


class FakeDriver:
    """Only the capabilities a session reports: what ``context_support`` reads before it asks the browser."""

    def __init__(self, capabilities: dict[str, Any]) -> None:
        self.capabilities = capabilities


OLD_CHROME = {
    "browserName": "chrome",
    "browserVersion": "120.0.6099.109",
    "chrome": {"chromedriverVersion": "120.0.6099.109 (3419140ab665596f21b385ce136419fde0924272)"},
    "webSocketUrl": "ws://127.0.0.1:9/session/x",
}


@pytest.mark.parametrize(
    ("capabilities", "expected"),
    [
        pytest.param(
            OLD_CHROME,
            "isolation 'context' needs WebDriver BiDi user contexts, which chrome 120.0.6099.109 with chromedriver "
            f"120.0.6099.109 lack; use Chrome, Chromium or Edge {MIN_VERSION} or newer with its matching driver "
            f"(chromedriver / msedgedriver {MIN_VERSION}+).",
            id="old-chrome",
        ),
        pytest.param(
            {**OLD_CHROME, "browserVersion": "126.0.6478.55"},
            "isolation 'context' needs WebDriver BiDi user contexts, which chromedriver 120.0.6099.109 lack; use "
            f"Chrome, Chromium or Edge {MIN_VERSION} or newer with its matching driver (chromedriver / msedgedriver "
            f"{MIN_VERSION}+).",
            id="old-driver",
        ),
        pytest.param(
            {
                "browserName": "msedge",
                "browserVersion": "118.0.2088.46",
                "msedge": {"msedgedriverVersion": "118.0.2088.46 (abc)"},
            },
            "isolation 'context' needs WebDriver BiDi user contexts, which msedge 118.0.2088.46 with msedgedriver "
            f"118.0.2088.46 lack; use Chrome, Chromium or Edge {MIN_VERSION} or newer with its matching driver "
            f"(chromedriver / msedgedriver {MIN_VERSION}+).",
            id="old-edge",
        ),
        pytest.param(
            {
                **OLD_CHROME,
                "browserVersion": "156.0.1.2",
                "chrome": {"chromedriverVersion": "156.0.1.2"},
                "webSocketUrl": None,
            },
            "isolation 'context' needs WebDriver BiDi, but the chrome session was started without it (no webSocketUrl "
            "capability); start it with webSocketUrl: true (Selenium: options.enable_bidi = True), and on a Selenium "
            "Grid keep its BiDi proxy on.",
            id="bidi-off",
        ),
        pytest.param(
            {"browserName": "firefox", "browserVersion": "140.0"},
            f"isolation 'context' needs a Chromium-based browser (Chrome, Chromium or Edge {MIN_VERSION}+), but the "
            "session runs firefox 140.0; use driver-scope or isolation 'worker' / 'test' with it.",
            id="not-chromium",
        ),
    ],
)
def test_a_browser_without_user_contexts_gets_one_sentence(capabilities: dict[str, Any], expected: str) -> None:
    assert context_support(FakeDriver(capabilities)) == expected


def test_a_dead_browser_raises_a_clear_error(browser_under_test: BrowserUnderTest, tmp_path: Path) -> None:
    driver = start_bidi_browser(browser_under_test, tmp_path / "doomed", tmp_path / "run")
    try:
        context = open_context(driver, None)
        with CdpConnection.for_driver(driver) as cdp:
            cdp.notify("Browser.crash")  # the browser dies, its driver stays: what a crash looks like
        assert wait_for(lambda: not is_usable(driver), 20)
        with pytest.raises(BrowserContextError, match="no longer answers and must be replaced") as closing:
            close_context(driver, context)
        assert closing.value.browser_gone
        with pytest.raises(BrowserContextError, match=r"^the test's browser context could not be opened \(") as opening:
            open_context(driver, None)
        assert opening.value.browser_gone
    finally:
        quit_browser(driver, tmp_path / "doomed")
    assert leftover_processes(tmp_path) == []


def test_a_state_the_browser_refuses_leaves_no_half_made_context(browser: ChromiumDriver) -> None:
    refused = LoginState((Cookie("bad;name", "secret-value", "127.0.0.1"),))  # "Invalid cookie fields"
    before = user_contexts(browser)

    with pytest.raises(BrowserContextError, match=r"^the test's browser context could not be opened \(") as caught:
        open_context(browser, refused)

    assert not caught.value.browser_gone and "the browser still answers" in str(caught.value)
    assert "secret-value" not in str(caught.value)
    assert user_contexts(browser) == before, "the half-made context is removed"
    assert is_usable(browser) and browser.current_window_handle in browser.window_handles


def test_a_run_reads_the_state_once_for_all_its_workers(
    base_profile: Path, tmp_path: Path, browser_under_test: BrowserUnderTest, login_site: LoginSite
) -> None:
    run = RunFolder(tmp_path / "clones", new_run_id())
    ensure_golden(base_profile, "Default", run)
    launch = Launch(
        browser_under_test.kind, browser_under_test.binary, browser_under_test.driver_path, tuple(QUIET_LIST)
    )
    try:
        first = capture_for_run(run, "Default", launch, [login_site.url])
        kept = run.path / RUN_STATE_FILE
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600
        # A second worker: given a driver that cannot start, it would fail if it started a browser.
        broken = Launch(launch.browser, launch.binary, tmp_path / "no-driver", launch.extra_args)
        second = capture_for_run(run, "Default", broken, [login_site.url])
    finally:
        remove_run(run.path)
    assert second == first and first.cookie(SESSION_COOKIE) is not None and first.item_count == 1
    assert not run.path.exists()
