"""A tab showing a page of an origin that no server sent: the browser answers its request itself.

localStorage can only be read or written through a page of its origin (``DOMStorage`` finds the storage through
the tab's frame). The tab intercepts every request it makes (``Fetch.enable``): the one for the origin's page is
answered with an empty page (``Fetch.fulfillRequest``), any other fails, so no request leaves the browser.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..browser.launch import BLANK_IN_PLACE
from ..errors import LoginStateError
from .cdp import CdpConnection

EMPTY_PAGE = base64.b64encode(b"<!doctype html><html><head><title></title></head><body></body></html>").decode()
PAGE_HEADERS = [
    {"name": "Content-Type", "value": "text/html; charset=utf-8"},
    {"name": "Cache-Control", "value": "no-store"},
]


@contextmanager
def answered_tab(
    connection: CdpConnection, origin: str, browser_context_id: str | None = None, timeout: float | None = None
) -> Iterator[str]:
    """A new background tab on ``origin``'s page, answered locally; yields the attached tab's id, closed after.

    ``browser_context_id``: open it in that browser context (a WebDriver BiDi user context's id is one),
    so it reaches that context's storage; None for the browser's default one (the profile's).
    """
    params: dict[str, Any] = {"url": "about:blank", "background": True}
    if browser_context_id is not None:
        params["browserContextId"] = browser_context_id
    target_id = str(connection.send("Target.createTarget", params)["targetId"])
    try:
        tab = str(connection.send("Target.attachToTarget", {"targetId": target_id, "flatten": True})["sessionId"])
        with _answered_origin(connection, tab, origin, timeout, restore=False):
            yield tab
    finally:
        close_tab(connection, target_id, timeout)


def close_tab(connection: CdpConnection, target_id: str, timeout: float | None = None) -> None:
    """Close the tab and return once the browser has destroyed it.

    ``Target.closeTarget`` answers before the tab is gone: a driver asked for its windows right after
    would still list it (measured: for about a quarter of a second). ``Target.targetDestroyed`` is sent only to a
    connection that discovers targets, so discovery is on while the tab closes, its other events ignored.
    """
    gone = False

    def destroyed(event: dict[str, Any], _tab: str | None) -> None:
        nonlocal gone
        gone = gone or event.get("targetId") == target_id

    def ignore(_event: dict[str, Any], _tab: str | None) -> None:
        """Discovery first reports every existing target, then their changes: nobody waits for those."""

    watched = {"Target.targetDestroyed": destroyed, "Target.targetCreated": ignore, "Target.targetInfoChanged": ignore}
    for method, handler in watched.items():
        connection.on(method, None, handler)
    try:
        connection.send("Target.setDiscoverTargets", {"discover": True})
        connection.send("Target.closeTarget", {"targetId": target_id})
        connection.wait_until(lambda: gone, "Target.targetDestroyed", timeout)
        connection.send("Target.setDiscoverTargets", {"discover": False})
    finally:
        for method in watched:
            connection.on(method, None, None)


@contextmanager
def answered_in_tab(
    connection: CdpConnection, target_id: str, origin: str, timeout: float | None = None
) -> Iterator[str]:
    """``origin``'s page, answered locally, in the existing tab ``target_id`` (a new, unused one); yields its CDP
    tab id. Afterwards the tab is blank again with no history, as if it had just opened: a per-test context's
    own tab reaches the context's storage this way without the cost of a second tab."""
    tab = str(connection.send("Target.attachToTarget", {"targetId": target_id, "flatten": True})["sessionId"])
    try:
        with _answered_origin(connection, tab, origin, timeout, restore=True):
            yield tab
            # Blank again while every request is still blocked: a request the origin's page would still make (its
            # favicon, fetched after the load) must not reach the site once the tab's requests go through. Loaded
            # by the page itself, so the tab keeps its renderer process for the test (a browser-initiated load
            # started another one, measured: two renderer processes per context instead of one).
            connection.send("Runtime.evaluate", {"expression": BLANK_IN_PLACE}, tab, timeout)
            connection.wait_for("Page.loadEventFired", tab, timeout)
        connection.send("Page.resetNavigationHistory", {}, tab)
        connection.send("Page.disable", {}, tab)
    finally:
        connection.send("Target.detachFromTarget", {"sessionId": tab})


@contextmanager
def _answered_origin(
    connection: CdpConnection, tab: str, origin: str, timeout: float | None, *, restore: bool
) -> Iterator[None]:
    """Navigate the attached tab to ``origin``'s page, which the browser answers itself; requests stay blocked
    until the block ends. ``restore``: then let the tab's requests through again (a tab that is kept)."""
    page_url = origin + "/"

    def answer(event: dict[str, Any], _tab: str | None) -> None:
        request_id = event["requestId"]
        if event.get("request", {}).get("url") == page_url:
            connection.notify(
                "Fetch.fulfillRequest",
                {"requestId": request_id, "responseCode": 200, "responseHeaders": PAGE_HEADERS, "body": EMPTY_PAGE},
                tab,
            )
        else:  # favicon, prefetch, anything else: never reaches the network either
            connection.notify("Fetch.failRequest", {"requestId": request_id, "errorReason": "BlockedByClient"}, tab)

    connection.on("Fetch.requestPaused", tab, answer)
    try:
        connection.send("Page.enable", {}, tab)
        # A service worker the profile registered for the origin would answer the page itself, and may fetch
        # from the network: the tab bypasses it, so its requests meet the interception below.
        connection.send("Network.enable", {}, tab)
        connection.send("Network.setBypassServiceWorker", {"bypass": True}, tab)
        connection.send("Fetch.enable", {"patterns": [{"urlPattern": "*", "requestStage": "Request"}]}, tab)
        navigated = connection.send("Page.navigate", {"url": page_url}, tab, timeout)
        if navigated.get("errorText"):
            raise LoginStateError(
                f"a local page of {origin} could not be opened ({navigated['errorText']}), so "
                "its localStorage cannot be reached."
            )
        connection.wait_for("Page.loadEventFired", tab, timeout)
        yield
    finally:
        connection.on("Fetch.requestPaused", tab, None)
    if restore:
        connection.send("Fetch.disable", {}, tab)
        connection.send("Network.setBypassServiceWorker", {"bypass": False}, tab)
        connection.send("Network.disable", {}, tab)


def storage_id(connection: CdpConnection, tab: str, origin: str) -> dict[str, Any]:
    """The ``DOMStorage.StorageId`` of the tab's localStorage: by storage key where the browser has them
    (Chromium 108+), else by security origin."""
    try:
        frame = connection.send("Page.getFrameTree", {}, tab)["frameTree"]["frame"]["id"]
        key = connection.send("Storage.getStorageKeyForFrame", {"frameId": frame}, tab)["storageKey"]
    except (LoginStateError, KeyError, TypeError):
        return {"securityOrigin": origin, "isLocalStorage": True}
    return {"storageKey": key, "isLocalStorage": True}
