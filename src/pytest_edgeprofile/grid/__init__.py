"""Running the browsers on a Selenium Grid 4: the Grid's preflight, the remote session's options and start, and
the janitor that finds and deletes the run's sessions. Imports no pytest."""

from __future__ import annotations

from .browser import GridTarget, open_grid_browser
from .capabilities import RUN_MARKER, parse_capabilities, parse_capability, remote_options, run_marker
from .path import check_clone_visible
from .remote import GridDriver, start_remote
from .sessions import GridSession, delete_run_sessions, delete_session, grid_sessions, node_of, run_sessions
from .status import GridNode, GridStatus, check_grid, grid_browser_name, read_status

__all__ = [
    "RUN_MARKER",
    "GridDriver",
    "GridNode",
    "GridSession",
    "GridStatus",
    "GridTarget",
    "check_clone_visible",
    "check_grid",
    "delete_run_sessions",
    "delete_session",
    "grid_browser_name",
    "grid_sessions",
    "node_of",
    "open_grid_browser",
    "parse_capabilities",
    "parse_capability",
    "read_status",
    "remote_options",
    "run_marker",
    "run_sessions",
    "start_remote",
]
