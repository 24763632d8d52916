"""Structured log events (structlog), written only to this process's event log file.

Each process writes its events as JSON lines to ``<output>/logs/<worker>.jsonl`` (made on the first event, so a
run that never clones writes nothing), and nowhere else: the ``logging.Logger`` under them is the plugin's own,
outside the logging tree, so neither the root logger nor pytest's log capture (which also hooks every registered
logger that does not propagate) ever sees them, and a failed test's report holds no JSON event lines. The
user's own logging and structlog configuration are never changed. Events carry paths, counts and durations;
never a cookie value, password or token.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import structlog

LOGGER_NAME = "pytest_edgeprofile"
# Made directly, not with logging.getLogger: unregistered, without a parent, it reaches only its own handlers.
_STDLIB = logging.Logger(LOGGER_NAME, logging.INFO)
# A process without an event log file (the edgeprofile command) drops its events: without a handler of its own the
# logger would hand warnings to logging's last resort, which prints raw JSON lines on stderr.
_STDLIB.addHandler(logging.NullHandler())


def get_logger(**context: Any) -> Any:
    """A structlog logger bound to ``context`` (worker id, run id) whose events are JSON objects."""
    logger = structlog.wrap_logger(
        _STDLIB,
        processors=[
            structlog.stdlib.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(sort_keys=True),
        ],
        wrapper_class=structlog.stdlib.BoundLogger,
    )
    return logger.bind(**context)


class _JsonLinesFile(logging.FileHandler):
    """A log file (one JSON object per line) whose folder and file are made on the first event."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, mode="w", encoding="utf-8", delay=True)
        self.setFormatter(logging.Formatter("%(message)s"))

    def _open(self) -> Any:  # the base class's own return type differs across Python versions
        Path(self.baseFilename).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        stream = super()._open()
        os.chmod(self.baseFilename, 0o600)  # paths and timings only, but of the user's private profile
        return stream


def open_event_log(path: Path) -> logging.Handler:
    """Send this process's events to ``path``; close it with ``close_event_log``."""
    handler = _JsonLinesFile(path)
    _STDLIB.addHandler(handler)
    if _STDLIB.level == logging.NOTSET or _STDLIB.level > logging.INFO:
        _STDLIB.setLevel(logging.INFO)
    return handler


def close_event_log(handler: logging.Handler) -> None:
    _STDLIB.removeHandler(handler)
    handler.close()
