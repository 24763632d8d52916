"""Writing a login state into a browser before its first navigation: a fresh local browser, a Grid node's
browser (``grid-profile inject``) or a WebDriver BiDi user context (``isolation context``).

Cookies go in through CDP over WebDriver's own HTTP channel (``execute_cdp_cmd``), which works on a Grid even
with its CDP and BiDi proxies off and takes HttpOnly and session cookies, unlike ``add_cookie`` (which also needs
a page of the site first). localStorage needs a page of its origin: a locally answered tab, so no request
reaches the site. Not carried: IndexedDB, sessionStorage, service workers, extensions.
"""

from __future__ import annotations

import time
from typing import Any

from ..errors import LoginStateError
from ..log import get_logger
from .cdp import DEFAULT_TIMEOUT, CdpConnection, first_line
from .model import LoginState, OriginStorage
from .tabs import answered_in_tab, answered_tab, storage_id


def inject_cookies(
    driver: Any, state: LoginState, browser_context_id: str | None = None, connection: CdpConnection | None = None
) -> None:
    """Every cookie of ``state`` into the browser's default context, through WebDriver's own channel; or into
    ``browser_context_id``'s, through ``connection`` (a browser-level DevTools connection: only the browser
    target may name a context)."""
    if not state.cookies:
        return
    if browser_context_id is not None and connection is None:
        raise ValueError("a browser context's cookies need a browser-level DevTools connection")
    cookies = [cookie.to_cdp_param() for cookie in state.cookies]
    try:
        if browser_context_id is None or connection is None:
            driver.execute_cdp_cmd("Network.setCookies", {"cookies": cookies})
        else:
            connection.send("Storage.setCookies", {"cookies": cookies, "browserContextId": browser_context_id})
    except LoginStateError as exc:
        raise LoginStateError(f"the browser refused the login state's cookies: {exc}") from None
    except Exception as exc:  # the driver's text names a bad cookie by its fields, never by its value
        raise LoginStateError(
            f"the browser refused the login state's cookies ({first_line(exc)}); only "
            "Chromium-based browsers (Edge, Chrome, Chromium) take them."
        ) from None


def inject_local_storage(
    connection: CdpConnection,
    origins: tuple[OriginStorage, ...],
    browser_context_id: str | None = None,
    timeout: float | None = None,
    tab: str | None = None,
) -> None:
    """Each origin's items, written through a locally answered tab of that origin (closed afterwards); or through
    ``tab``, an existing fresh tab (its CDP target id) of the same browser context, left blank with no history."""
    for storage in origins:
        if not storage.items:
            continue
        page = (
            answered_tab(connection, storage.origin, browser_context_id, timeout)
            if tab is None
            else answered_in_tab(connection, tab, storage.origin, timeout)
        )
        with page as tab:
            target = storage_id(connection, tab, storage.origin)
            for name, value in storage.items:
                connection.send("DOMStorage.setDOMStorageItem", {"storageId": target, "key": name, "value": value}, tab)


def inject_state(
    driver: Any,
    state: LoginState,
    browser_context_id: str | None = None,
    connection: CdpConnection | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    tab: str | None = None,
) -> None:
    """Write ``state`` into the browser of ``driver`` (a WebDriver session on Chromium, Chrome or Edge, local or on
    a Grid) before it opens the site. ``browser_context_id``: into that browser context instead of the default
    one. ``connection``: an open DevTools connection to reuse (made and closed here when None and needed).
    ``tab``: a fresh tab of that context (CDP target id) to reach localStorage through, instead of a new tab."""
    started = time.perf_counter()
    if connection is None and (state.item_count or (browser_context_id is not None and state.cookies)):
        with CdpConnection.for_driver(driver, timeout) as own:
            _inject(driver, state, browser_context_id, own, timeout, tab)
    else:
        _inject(driver, state, browser_context_id, connection, timeout, tab)
    get_logger(worker="login-state").info(
        "state_injected",
        seconds=round(time.perf_counter() - started, 4),
        context=browser_context_id is not None,
        **state.log_fields(),
    )


def _inject(
    driver: Any,
    state: LoginState,
    browser_context_id: str | None,
    connection: CdpConnection | None,
    timeout: float,
    tab: str | None,
) -> None:
    inject_cookies(driver, state, browser_context_id, connection)
    if state.item_count and connection is not None:
        inject_local_storage(connection, state.origins, browser_context_id, timeout, tab)
