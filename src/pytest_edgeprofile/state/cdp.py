"""A small synchronous client for the Chrome DevTools Protocol over a browser's websocket.

WebDriver's ``execute_cdp_cmd`` sends one command over HTTP and cannot receive events; answering a tab's
request locally (``Fetch.requestPaused`` -> ``Fetch.fulfillRequest``) needs them. This client speaks to the
browser-level endpoint and drives tabs through flat sessions (``Target.attachToTarget`` with ``flatten``): the same
endpoint a local browser gives (its ``debuggerAddress``) and a Selenium Grid gives (capability ``se:cdp``).
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

import websocket

from ..errors import LoginStateError

DEFAULT_TIMEOUT = 20.0
MAX_QUEUED_EVENTS = 1000  # events nobody waits for are dropped beyond this
Handler = Callable[[dict[str, Any], "str | None"], None]


def first_line(exc: BaseException) -> str:
    """The first line of an error's text (a WebDriver error's message, without its stack trace)."""
    text = (getattr(exc, "msg", None) or str(exc)).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


def endpoint_for(capabilities: Mapping[str, Any]) -> str:
    """The browser-level DevTools websocket URL of a WebDriver session: the Grid's ``se:cdp`` when the session
    runs on a Grid, else the local browser's, found from its ``debuggerAddress``."""
    remote = capabilities.get("se:cdp")
    if isinstance(remote, str) and remote:
        return remote
    for key in ("goog:chromeOptions", "ms:edgeOptions"):
        address = (capabilities.get(key) or {}).get("debuggerAddress")
        if address:
            break
    else:
        raise LoginStateError(
            "the browser session reports no DevTools address (no debuggerAddress, no se:cdp), so "
            "its login state cannot be read or written; use Chrome, Chromium or Edge through their "
            "drivers."
        )
    try:
        with urllib.request.urlopen(f"http://{address}/json/version", timeout=DEFAULT_TIMEOUT) as answer:
            return str(json.load(answer)["webSocketDebuggerUrl"])
    except (OSError, ValueError, KeyError) as exc:
        raise LoginStateError(
            f"the browser's DevTools address {address} did not answer ({exc.__class__.__name__}); "
            "the browser may have exited."
        ) from None


def bidi_endpoint(capabilities: Mapping[str, Any]) -> str | None:
    """The WebDriver BiDi websocket URL of a session (capability ``webSocketUrl``), None when it was started
    without BiDi (the capability asked for as ``webSocketUrl: true`` comes back as the URL)."""
    url = capabilities.get("webSocketUrl")
    return url if isinstance(url, str) and url.startswith(("ws://", "wss://")) else None


class CdpConnection:
    """One websocket to a browser: ``send`` waits for a command's answer, events go to handlers or a queue."""

    def __init__(self, url: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout
        try:
            self._socket = websocket.create_connection(url, timeout=timeout, suppress_origin=True)
        except (OSError, websocket.WebSocketException) as exc:
            raise LoginStateError(
                f"the browser's DevTools websocket did not accept a connection "
                f"({exc.__class__.__name__}); the browser may have exited."
            ) from None
        self._next_id = 0
        self._answers: dict[int, dict[str, Any]] = {}
        self._unawaited: set[int] = set()
        self._events: deque[dict[str, Any]] = deque(maxlen=MAX_QUEUED_EVENTS)
        self._handlers: dict[tuple[str, str | None], Handler] = {}

    @classmethod
    def for_driver(cls, driver: Any, timeout: float = DEFAULT_TIMEOUT) -> CdpConnection:
        """A connection to the browser of a Selenium WebDriver session (local or on a Grid)."""
        return cls(endpoint_for(driver.capabilities), timeout)

    @classmethod
    def bidi_for_driver(cls, driver: Any, timeout: float = DEFAULT_TIMEOUT) -> CdpConnection:
        """A connection to the WebDriver BiDi endpoint of a session (its own websocket, beside Selenium's): BiDi
        frames are CDP's shape (id, method, params). Selenium's own BiDi client polls for each answer every 0.1 s;
        this one blocks on the socket, so a command costs what the browser takes."""
        url = bidi_endpoint(driver.capabilities)
        if url is None:
            raise LoginStateError(
                "the browser session was started without WebDriver BiDi (it reports no webSocketUrl); start it "
                "with the capability webSocketUrl: true (Selenium: options.enable_bidi = True)."
            )
        return cls(url, timeout)

    def __enter__(self) -> CdpConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._socket.close()

    def on(self, method: str, session_id: str | None, handler: Handler | None) -> None:
        """Call ``handler(params, session_id)`` for each ``method`` event of that session (None: remove it)."""
        if handler is None:
            self._handlers.pop((method, session_id), None)
        else:
            self._handlers[(method, session_id)] = handler

    def post(self, method: str, params: Mapping[str, Any] | None = None, session_id: str | None = None) -> int:
        """Send a command without waiting; ``answer(id)`` collects its result."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": dict(params or {})}
        if session_id is not None:
            message["sessionId"] = session_id
        try:
            self._socket.send(json.dumps(message))
        except (OSError, websocket.WebSocketException) as exc:
            raise LoginStateError(
                f"the browser's DevTools connection closed while sending {method} "
                f"({exc.__class__.__name__}); the browser may have exited."
            ) from None
        return self._next_id

    def notify(self, method: str, params: Mapping[str, Any] | None = None, session_id: str | None = None) -> None:
        """Send a command whose answer nobody waits for (from an event handler, which must not block)."""
        self._unawaited.add(self.post(method, params, session_id))

    def answer(self, command_id: int, method: str, timeout: float | None = None) -> dict[str, Any]:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while command_id not in self._answers:
            self._read_one(deadline, method)
        message = self._answers.pop(command_id)
        if "error" in message:
            error = message["error"]
            text = error.get("message", error) if isinstance(error, dict) else error
            if isinstance(error, str) and message.get("message"):  # WebDriver BiDi: an error code and a message
                text = f"{error} ({message['message']})"
            raise LoginStateError(f"the browser refused {method}: {text}.")
        result = message.get("result")
        return result if isinstance(result, dict) else {}

    def send(
        self,
        method: str,
        params: Mapping[str, Any] | None = None,
        session_id: str | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Send a command and wait for its result; raises ``LoginStateError`` on an error answer or at the deadline."""
        return self.answer(self.post(method, params, session_id), method, timeout)

    def wait_for(self, method: str, session_id: str | None, timeout: float | None = None) -> dict[str, Any]:
        """The params of the next ``method`` event of the session (queued or still to come)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            for event in self._events:
                if event.get("method") == method and event.get("sessionId") == session_id:
                    self._events.remove(event)
                    params = event.get("params")
                    return params if isinstance(params, dict) else {}
            self._read_one(deadline, method)

    def wait_until(self, condition: Callable[[], bool], waiting_for: str, timeout: float | None = None) -> None:
        """Read the browser's messages (events go to their handlers, which may change what ``condition`` sees)
        until ``condition()`` holds; raises ``LoginStateError`` at the deadline."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while not condition():
            self._read_one(deadline, waiting_for)

    def _read_one(self, deadline: float, waiting_for: str) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise LoginStateError(f"the browser did not answer {waiting_for} within {self.timeout:.0f} s.")
        self._socket.settimeout(remaining)
        try:
            raw = self._socket.recv()
        except websocket.WebSocketTimeoutException:
            raise LoginStateError(f"the browser did not answer {waiting_for} within {self.timeout:.0f} s.") from None
        except (OSError, websocket.WebSocketException) as exc:
            raise LoginStateError(
                f"the browser's DevTools connection closed while waiting for {waiting_for} "
                f"({exc.__class__.__name__}); the browser may have exited."
            ) from None
        message = json.loads(raw)
        if "id" in message:
            command_id = int(message["id"])
            if command_id in self._unawaited:
                self._unawaited.discard(command_id)
            else:
                self._answers[command_id] = message
            return
        handler = self._handlers.get((str(message.get("method")), message.get("sessionId")))
        if handler is not None:
            handler(message.get("params") or {}, message.get("sessionId"))
        else:
            self._events.append(message)
