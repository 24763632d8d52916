"""A profile's login state: read once from a throwaway clone, exported for Playwright, written into fresh
browsers (a Grid's ``inject`` mode) and per-test browser contexts (``contexts``). Imports no pytest."""

from __future__ import annotations

from .capture import Launch, capture_for_run, capture_from_base, capture_from_golden, capture_state, read_state
from .contexts import TestContext, close_context, context_support, open_context, open_tab
from .formats import FORMATS, dump_state, load_state, read_state_file, write_state_file
from .inject import inject_state
from .model import Cookie, LoginState, OriginStorage, origin_of, parse_origin

__all__ = [
    "FORMATS",
    "Cookie",
    "Launch",
    "LoginState",
    "OriginStorage",
    "TestContext",
    "capture_for_run",
    "capture_from_base",
    "capture_from_golden",
    "capture_state",
    "close_context",
    "context_support",
    "dump_state",
    "inject_state",
    "load_state",
    "open_context",
    "open_tab",
    "origin_of",
    "parse_origin",
    "read_state",
    "read_state_file",
    "write_state_file",
]
