"""A test's own browser context (``isolation context``): a WebDriver BiDi user context seeded with the login state.

One browser serves every test of a worker. Each test gets a new user context (its own cookie jar and storage,
like a Playwright browser context), seeded with the captured login state before its first navigation, and one tab
in it that the WebDriver session is switched to, so ``driver.get``, screenshots and window handles work as usual.
Nothing a test did reaches the next one: each context is seeded afresh from the captured state, never from
another context or the browser's own (default) one, and is removed with its tabs and storage.

The browser's default context keeps no tab while a test runs (a test sees only its own context's windows). A
browser whose last tab closes exits, so a finished test's context keeps one blank tab until the next test's tab
exists; then it is removed (``close_context(remove=True)`` removes it at once, behind a new default-context tab).

BiDi commands go over a websocket of our own to the session's ``webSocketUrl`` (Selenium's client polls every
0.1 s per answer); the seeding goes over CDP to the browser endpoint, where a BiDi user context is a browser
context under the same id (``Storage.setCookies`` takes every flag at once, HttpOnly and session cookies too).
A browser that serves many tests keeps both websockets (``Connections``) instead of opening two per test.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..browser.launch import BLANK_IN_PLACE, is_usable
from ..errors import BrowserContextError, LoginStateError, first_line
from ..log import get_logger
from .cdp import DEFAULT_TIMEOUT, CdpConnection, bidi_endpoint
from .inject import inject_state
from .model import LoginState

# The first Chrome/Edge whose driver knows browser.createUserContext: chromium-bidi 0.5.5 (2024-01-25) brought
# user contexts; ChromeDriver bundles chromium-bidi and took that release after the M122 branch (2024-01-22).
MIN_VERSION = 123
DEFAULT_USER_CONTEXT = "default"
CHROMIUM_BROWSERS = ("chrome", "chromium", "msedge", "microsoftedge", "chrome-headless-shell")
DRIVER_VERSIONS = (("chrome", "chromedriverVersion", "chromedriver"), ("msedge", "msedgedriverVersion", "msedgedriver"))


@dataclass
class Connections:
    """The two websockets a browser's contexts are made over: its WebDriver BiDi endpoint and its browser-level
    DevTools endpoint. Kept by whoever opens many contexts on one browser; closed with ``close``."""

    bidi: CdpConnection = field(repr=False)
    cdp: CdpConnection = field(repr=False)

    @classmethod
    def open(cls, driver: Any, timeout: float = DEFAULT_TIMEOUT) -> Connections:
        """Both websockets of ``driver``'s browser; raises ``BrowserContextError`` when either is refused."""
        bidi: CdpConnection | None = None
        try:
            bidi = CdpConnection.bidi_for_driver(driver, timeout)
            return cls(bidi, CdpConnection.for_driver(driver, timeout))
        except LoginStateError as exc:
            if bidi is not None:
                bidi.close()
            raise _failure("opened", exc, driver) from None

    def close(self) -> None:
        for connection in (self.bidi, self.cdp):
            with contextlib.suppress(Exception):
                connection.close()


@dataclass
class TestContext:
    """One test's browser context: its BiDi user context id (also its CDP browser context id), the window handle
    of its first tab, and the connections that made it (closed by ``close_context`` when ``owned``)."""

    __test__ = False  # not a pytest test class, whatever its name

    user_context: str
    handle: str
    connections: Connections = field(repr=False)
    owned: bool = True  # opened for this context alone (no ``connections`` were given)
    seconds: float = 0.0  # how long opening it took


def _major(version: object) -> int | None:
    match = re.match(r"\s*(\d+)\.", str(version or ""))
    return int(match.group(1)) if match else None


def _driver_version(capabilities: Mapping[str, Any]) -> tuple[str, str | None]:
    for key, field_name, name in DRIVER_VERSIONS:
        block = capabilities.get(key)
        if isinstance(block, Mapping) and block.get(field_name):
            return name, str(block[field_name]).split(" ")[0]
    return "driver", None


def context_support(driver: Any, probe: bool = True) -> str | None:
    """None when ``driver``'s browser and driver can give each test its own BiDi user context; otherwise one
    sentence saying what is missing and what is needed. ``probe``: also ask the browser (``browser.getUserContexts``)
    when the versions say yes."""
    capabilities: Mapping[str, Any] = driver.capabilities
    browser = str(capabilities.get("browserName") or "the browser")
    version = str(capabilities.get("browserVersion") or "of unknown version")
    driver_name, driver_version = _driver_version(capabilities)
    if browser.lower() not in CHROMIUM_BROWSERS:
        return (
            f"isolation 'context' needs a Chromium-based browser (Chrome, Chromium or Edge {MIN_VERSION}+), but the "
            f"session runs {browser} {version}; use driver-scope or isolation 'worker' / 'test' with it."
        )
    old = [
        f"{name} {found}"
        for name, found in ((browser, version), (driver_name, driver_version))
        if found is not None and (_major(found) or 0) < MIN_VERSION
    ]
    if old:
        return (
            f"isolation 'context' needs WebDriver BiDi user contexts, which {' with '.join(old)} lack; use Chrome, "
            f"Chromium or Edge {MIN_VERSION} or newer with its matching driver (chromedriver / msedgedriver "
            f"{MIN_VERSION}+)."
        )
    if bidi_endpoint(capabilities) is None:
        return (
            f"isolation 'context' needs WebDriver BiDi, but the {browser} session was started without it (no "
            "webSocketUrl capability); start it with webSocketUrl: true (Selenium: options.enable_bidi = True), "
            "and on a Selenium Grid keep its BiDi proxy on."
        )
    if probe:
        try:
            with CdpConnection.bidi_for_driver(driver) as bidi:
                bidi.send("browser.getUserContexts")
        except LoginStateError as exc:
            return (
                f"isolation 'context' needs WebDriver BiDi user contexts, and {browser} {version} with "
                f"{driver_name} {driver_version or ''} did not list them ({exc}); use Chrome, Chromium or Edge "
                f"{MIN_VERSION} or newer with its matching driver."
            ).replace("  ", " ")
    return None


def open_context(
    driver: Any, state: LoginState | None, timeout: float = DEFAULT_TIMEOUT, connections: Connections | None = None
) -> TestContext:
    """A new user context seeded with ``state`` (None: empty), one blank tab in it, and the driver switched to
    that tab; the default context's tabs are closed, so the test's window handles are its own. ``connections``:
    the browser's kept websockets (None: opened here, and closed with the context).

    Raises ``BrowserContextError`` (``browser_gone`` True when the browser no longer answers: replace it).
    """
    started = time.perf_counter()
    owned = connections is None
    used = Connections.open(driver, timeout) if connections is None else connections
    bidi, cdp = used.bidi, used.cdp
    user_context: str | None = None
    try:
        user_context = str(bidi.send("browser.createUserContext")["userContext"])
        if state is not None and state.cookies:
            # Cookies first: the tab below must not load anything before the context holds the login.
            inject_state(driver, LoginState(state.cookies), user_context, cdp, timeout)
        handle = str(bidi.send("browsingContext.create", {"type": "tab", "userContext": user_context})["context"])
        if state is not None and state.item_count:
            # localStorage through the test's own fresh tab (answered locally, then blank again without history).
            inject_state(driver, LoginState((), state.origins), user_context, cdp, timeout, tab=handle)
        driver.switch_to.window(handle)
        # Now that the browser has this tab, every other one can go: the default context's, and the previous
        # test's context with its tab (kept by close_context until here, so the browser always had a tab).
        for tab, owner in _tabs(bidi):
            if owner == DEFAULT_USER_CONTEXT:
                bidi.send("browsingContext.close", {"context": tab})
        _remove_contexts(bidi, keep=user_context)
    except Exception as exc:
        _abandon(driver, used, user_context, owned)
        raise _failure("opened", exc, driver) from None
    context = TestContext(user_context, handle, used, owned, round(time.perf_counter() - started, 4))
    get_logger(worker="context").info(
        "context_opened", seconds=context.seconds, **(state.log_fields() if state is not None else {})
    )
    return context


def open_tab(driver: Any, context: TestContext, switch: bool = True) -> str:
    """Another tab in the test's context (``driver.switch_to.new_window`` opens one in the browser's default
    context instead, outside the test's cookies and storage); returns its window handle, switched to."""
    try:
        handle = str(
            context.connections.bidi.send(
                "browsingContext.create", {"type": "tab", "userContext": context.user_context}
            )["context"]
        )
        if switch:
            driver.switch_to.window(handle)
    except Exception as exc:
        raise _failure("given a new tab", exc, driver) from None
    return handle


def close_context(driver: Any, context: TestContext, remove: bool = False) -> str:
    """End the test in its context; returns the window handle the driver is left on.

    By default one tab of the test's context stays, sent to about:blank (every other tab, the default context's
    included, is closed), and the next ``open_context`` removes the context with it once its own tab exists: the
    browser always keeps a tab (it exits when its last one closes) without opening and closing a default-context
    tab per test (measured: that pair cost ~150 ms of a ~600 ms context). Nothing of the test reaches the next one
    either way: each context is seeded from the captured state, never from another. ``remove`` True: remove the
    context now and leave the driver on a new blank tab of the default context.

    Raises ``BrowserContextError`` when the browser no longer answers (replace it).
    """
    started = time.perf_counter()
    bidi = context.connections.bidi
    try:
        tabs = _tabs(bidi)
        if remove:
            kept = str(bidi.send("browsingContext.create", {"type": "tab"})["context"])
        else:
            own = [tab for tab, owner in tabs if owner == context.user_context]
            kept = context.handle if context.handle in own else (own or [tab for tab, _ in tabs])[0]
            # Blank, so the finished test's page stops (its timers, late requests) until its context goes: loaded by
            # the page itself, in its own renderer (a browser-initiated load started two renderer processes per
            # test, measured). Not waited for: the context goes anyway.
            bidi.notify(
                "script.evaluate",
                {"expression": BLANK_IN_PLACE, "target": {"context": kept}, "awaitPromise": False},
            )
        driver.switch_to.window(kept)
        for tab, _owner in tabs:
            if tab != kept:
                bidi.send("browsingContext.close", {"context": tab})
        if remove:
            bidi.send("browser.removeUserContext", {"userContext": context.user_context})
    except Exception as exc:
        raise _failure("closed", exc, driver) from None
    finally:
        if context.owned:
            context.connections.close()
    get_logger(worker="context").info("context_closed", seconds=round(time.perf_counter() - started, 4), removed=remove)
    return kept


def _tabs(bidi: CdpConnection) -> list[tuple[str, str]]:
    """Every tab (top-level browsing context) of the browser and its user context."""
    tree = bidi.send("browsingContext.getTree", {"maxDepth": 0}).get("contexts") or []
    return [(str(item["context"]), str(item.get("userContext"))) for item in tree]


def _remove_contexts(bidi: CdpConnection, keep: str) -> None:
    """Every user context but ``keep`` (and the default one): the previous test's, and any a failed close left."""
    for item in bidi.send("browser.getUserContexts").get("userContexts") or []:
        if item.get("userContext") not in (DEFAULT_USER_CONTEXT, keep):
            bidi.send("browser.removeUserContext", {"userContext": item["userContext"]})


def _abandon(driver: Any, connections: Connections, user_context: str | None, owned: bool) -> None:
    """After a failed open: back to a tab outside the half-made context (there is one: others close last), and
    that context gone."""
    with contextlib.suppress(Exception):
        if user_context is not None:
            bidi = connections.bidi
            others = [tab for tab, owner in _tabs(bidi) if owner != user_context]
            if others:
                driver.switch_to.window(others[0])
            bidi.send("browser.removeUserContext", {"userContext": user_context})
    if owned:
        connections.close()


def _failure(action: str, exc: BaseException, driver: Any) -> BrowserContextError:
    """One sentence about ``exc`` (never a cookie value: the errors come from commands, not from the state)."""
    reason = str(exc) if isinstance(exc, LoginStateError) else first_line(exc)
    reason = reason.rstrip(".")
    if is_usable(driver):
        return BrowserContextError(
            f"the test's browser context could not be {action} ({reason}); the browser still answers, so a new "
            "context can be tried.",
            browser_gone=False,
        )
    return BrowserContextError(
        f"the test's browser context could not be {action} ({reason}): the browser no longer answers and must be "
        "replaced by a new one."
    )
