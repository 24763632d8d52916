"""One worker's browser on a Grid, ready for its first test: the remote counterpart of a local start on a clone.

``inject``: the node's browser starts on a fresh profile of its own and gets the run's login state before anything
navigates. ``path``: it starts on the worker's clone (the node mounts the clone root) and must prove it sees it.
Either way a session that cannot be made ready is ended here, so no slot stays taken by a browser nobody uses.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from selenium.webdriver.chromium.options import ChromiumOptions

from ..state import LoginState, inject_state
from .capabilities import remote_options
from .path import check_clone_visible
from .remote import GridDriver, start_remote
from .sessions import node_of


@dataclass(frozen=True)
class GridTarget:
    """Where and how this run's browsers go: the settings ``grid-url``, ``grid-profile``, ``capability``,
    ``grid-queue-timeout``, and ``binary`` when the user set it (else None: the node's own browser)."""

    url: str
    mode: str = "inject"
    capabilities: Mapping[str, Any] | None = None
    queue_timeout: float = 300.0
    binary: Path | None = None


def open_grid_browser(
    target: GridTarget,
    options: ChromiumOptions,
    browser: str,
    run_id: str,
    worker_id: str,
    *,
    state: LoginState | None = None,
    clone: Path | None = None,
    clone_root: Path | None = None,
) -> tuple[GridDriver, str | None]:
    """A session on the Grid for ``worker_id`` with the local ``options`` (the ``edge_options`` fixture's), and
    the URI of the node it runs on. inject mode writes ``state`` into it (None: nothing to inject); path mode
    checks that the node sees ``clone`` (under ``clone_root``). Raises what ``start_remote``, ``inject_state``
    (LoginStateError) or ``check_clone_visible`` (VerificationError) raise, after ending the session."""
    remote = remote_options(
        options, browser, target.capabilities or {}, run_id, worker_id, mode=target.mode, binary=target.binary
    )
    driver = start_remote(target.url, remote, target.queue_timeout)
    try:
        node = node_of(target.url, driver.session_id or "")
        if target.mode == "path":
            if clone is None or clone_root is None:
                raise ValueError("path mode needs the worker's clone and the clone root")
            check_clone_visible(driver, clone, clone_root, node)
        elif state is not None:
            inject_state(driver, state)
    except BaseException:
        with contextlib.suppress(Exception):  # the session may be gone already; the janitor sweeps what is left
            driver.quit()
        raise
    return driver, node
