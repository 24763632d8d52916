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
from .capture import _first_line
from .cdp import DEFAULT_TIMEOUT, CdpConnection
from .model import LoginState, OriginStorage
from .tabs import answered_tab, storage_id


def inject_cookies(driver: Any, state: LoginState, browser_context_id: str | None = None) -> None:
    """Every cookie of ``state`` into the browser's default context (or ``browser_context_id``'s)."""
    if not state.cookies:
        return
    cookies = [cookie.to_cdp_param() for cookie in state.cookies]
    params: dict[str, Any] = {"cookies": cookies}
    method = "Network.setCookies"
    if browser_context_id is not None:
        method = "Storage.setCookies"  # Network.* acts on the default context only
        params["browserContextId"] = browser_context_id
    try:
        driver.execute_cdp_cmd(method, params)
    except Exception as exc:  # the text names a bad cookie by its fields, never by its value
        raise LoginStateError(f"the browser refused the login state's cookies ({method}: {_first_line(exc)}); "
                              "only Chromium-based browsers (Edge, Chrome, Chromium) take them.") from None


def inject_local_storage(connection: CdpConnection, origins: tuple[OriginStorage, ...],
                         browser_context_id: str | None = None, timeout: float | None = None) -> None:
    """Each origin's items, written through a locally answered tab of that origin (closed afterwards)."""
    for storage in origins:
        if not storage.items:
            continue
        with answered_tab(connection, storage.origin, browser_context_id, timeout) as session:
            target = storage_id(connection, session, storage.origin)
            for name, value in storage.items:
                connection.send("DOMStorage.setDOMStorageItem",
                                {"storageId": target, "key": name, "value": value}, session)
            # Read back through the page before the tab closes: the page's writes have then reached the
            # browser's storage, which every later tab of the origin reads.
            connection.send("Runtime.evaluate", {"expression": "localStorage.length", "returnByValue": True}, session)


def inject_state(driver: Any, state: LoginState, browser_context_id: str | None = None,
                 connection: CdpConnection | None = None, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Write ``state`` into the browser of ``driver`` (a WebDriver session on Chromium, Chrome or Edge, local or on
    a Grid) before it opens the site. ``browser_context_id``: into that browser context instead of the default
    one. ``connection``: an open DevTools connection to reuse (made and closed here when None and needed)."""
    started = time.perf_counter()
    inject_cookies(driver, state, browser_context_id)
    if state.item_count:
        if connection is not None:
            inject_local_storage(connection, state.origins, browser_context_id, timeout)
        else:
            with CdpConnection.for_driver(driver, timeout) as own:
                inject_local_storage(own, state.origins, browser_context_id, timeout)
    get_logger(worker="login-state").info("state_injected", seconds=round(time.perf_counter() - started, 4),
                                          context=browser_context_id is not None, **state.log_fields())
