"""Structured log events (structlog) routed into the standard ``logging`` logger ``pytest_edgeprofile``.

The logger is wrapped locally, so the user's own structlog configuration is never changed. Events carry
paths, counts and durations; never a cookie value, password or token.
"""

from __future__ import annotations

import logging
from typing import Any

import structlog

_STDLIB = logging.getLogger("pytest_edgeprofile")


def get_logger(**context: Any) -> Any:
    """A structlog logger bound to ``context`` (worker id, run id) that renders key=value lines."""
    logger = structlog.wrap_logger(
        _STDLIB,
        processors=[
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.KeyValueRenderer(key_order=["event", "worker"], drop_missing=True),
        ],
        wrapper_class=structlog.stdlib.BoundLogger,
    )
    return logger.bind(**context)
