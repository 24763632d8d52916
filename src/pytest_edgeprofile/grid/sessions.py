"""The run's sessions on a Grid, found by their run marker and deleted through the Grid's own API.

Sessions are a Grid's scarce resource: a crashed worker, Ctrl-C or SIGTERM leaves its browser holding a slot until
the node's session timeout (300 s by default). The controller lists the sessions whose ``se:edgeprofile`` marker
names its run (GraphQL ``sessionsInfo``, which lists every node's sessions with their capabilities) and deletes
each with ``DELETE /session/<id>`` on the Grid, which routes it to the node and ends the browser.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import GridError
from .capabilities import RUN_MARKER
from .http import DEFAULT_TIMEOUT, base_url, request_json

SESSIONS_QUERY = "{ sessionsInfo { sessions { id, capabilities, nodeUri } } }"
LIST_INTERVAL = 0.1


@dataclass(frozen=True)
class GridSession:
    """A session the Grid holds: its id, the node running its browser, and its run marker (None: not ours)."""

    session_id: str
    node_uri: str
    run_id: str | None
    worker_id: str | None


def grid_sessions(url: str, timeout: float = DEFAULT_TIMEOUT) -> tuple[GridSession, ...]:
    """Every session on the Grid now, with the run marker each carries."""
    answer = request_json(url, "/graphql", method="POST", body={"query": SESSIONS_QUERY}, timeout=timeout)
    try:
        sessions = answer["data"]["sessionsInfo"]["sessions"]
    except (KeyError, TypeError):
        errors = answer.get("errors") if isinstance(answer, Mapping) else None
        said = f" ({_first_error(errors)})" if errors else ""
        raise GridError(
            f"the Selenium Grid at {base_url(url)} did not list its sessions over GraphQL{said}; "
            "its sessions of this run could not be found (a Selenium Grid 4 serves /graphql).",
            url,
        ) from None
    return tuple(_session(item) for item in sessions or () if isinstance(item, Mapping))


def _session(item: Mapping[str, Any]) -> GridSession:
    try:
        capabilities = json.loads(item.get("capabilities") or "{}")
    except ValueError:
        capabilities = {}
    marker = capabilities.get(RUN_MARKER) if isinstance(capabilities, Mapping) else None
    run_id = worker_id = None
    if isinstance(marker, Mapping):
        run_id = str(marker["run"]) if marker.get("run") else None
        worker_id = str(marker["worker"]) if marker.get("worker") else None
    return GridSession(str(item.get("id", "")), str(item.get("nodeUri", "")), run_id, worker_id)


def _first_error(errors: Any) -> str:
    first = errors[0] if isinstance(errors, list) and errors else errors
    text = first.get("message", "") if isinstance(first, Mapping) else str(first)
    return str(text).splitlines()[0][:160] if text else "an error"


def run_sessions(url: str, run_id: str, timeout: float = DEFAULT_TIMEOUT) -> tuple[GridSession, ...]:
    """The Grid's sessions that carry this run's marker, with their node."""
    return tuple(session for session in grid_sessions(url, timeout) if session.run_id == run_id)


def node_of(url: str, session_id: str, timeout: float = DEFAULT_TIMEOUT) -> str | None:
    """The URI of the node running ``session_id``, for artifacts and the summary; None when the Grid has no such
    session (it ended)."""
    for session in grid_sessions(url, timeout):
        if session.session_id == session_id:
            return session.node_uri
    return None


def delete_session(url: str, session_id: str, timeout: float = DEFAULT_TIMEOUT) -> bool:
    """End one session through the Grid; True when the Grid ended it, False when it had no such session."""
    answer = request_json(url, f"/session/{session_id}", method="DELETE", timeout=timeout)
    value = answer.get("value") if isinstance(answer, Mapping) else None
    return not (isinstance(value, Mapping) and value.get("error"))


def delete_run_sessions(url: str, run_id: str, timeout: float = DEFAULT_TIMEOUT) -> int:
    """Delete every session of this run on the Grid and wait until the Grid lists none; how many it ended.

    The Grid's lists show a deleted session a moment longer (measured: up to about a second), and a request that
    was in the queue when its worker died could become a session meanwhile: so this lists until a listing shows no
    session of the run, deleting any new one, or until ``timeout`` passes. GridError when the Grid cannot be asked.
    """
    deadline = time.monotonic() + timeout
    handled: set[str] = set()  # deleted, or already gone
    deleted = 0
    while True:
        listed = run_sessions(url, run_id, timeout)
        fresh = [session for session in listed if session.session_id not in handled]
        for session in fresh:
            deleted += delete_session(url, session.session_id, timeout)
            handled.add(session.session_id)
        if not listed or time.monotonic() > deadline:
            return deleted
        if not fresh:
            time.sleep(LIST_INTERVAL)  # the Grid has yet to forget what was deleted; bounded by the deadline
