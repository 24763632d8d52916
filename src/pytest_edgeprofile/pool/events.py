"""The pool's lifecycle events: one record type, sent to the caller's callback and to the structlog event log.

    worker_started    a worker process is up (``pid``, ``slot``)
    profile_ready     its clone is made and verified (``clone``, ``seconds``)
    verification      the verification result of that clone (``status`` and each check's result)
    worker_remediated its clone was re-cloned or its browser replaced (``reason``)
    worker_replaced   a worker process ended without being asked and a new one took its slot (``exitcode``, ``by``)
    worker_stopped    a worker process ended (``exitcode``; ``failure`` when its clone could not be prepared)

Events carry paths, counts and durations, never a cookie value, password or token.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

WORKER_STARTED = "worker_started"
PROFILE_READY = "profile_ready"
VERIFICATION = "verification"
WORKER_REMEDIATED = "worker_remediated"
WORKER_REPLACED = "worker_replaced"
WORKER_STOPPED = "worker_stopped"
KINDS = (WORKER_STARTED, PROFILE_READY, VERIFICATION, WORKER_REMEDIATED, WORKER_REPLACED, WORKER_STOPPED)


@dataclass(frozen=True)
class PoolEvent:
    """One lifecycle event of one pool worker (``worker`` is its id, also the clone's folder name)."""

    kind: str
    worker: str
    data: Mapping[str, Any] = field(default_factory=dict)


class Events:
    """Delivers events to the log and to ``callback``; a callback that raises is logged, never fatal to the pool."""

    def __init__(self, log: Any, callback: Callable[[PoolEvent], object] | None = None) -> None:
        self.log = log
        self.callback = callback

    def emit(self, kind: str, worker: str, **data: Any) -> None:
        event = PoolEvent(kind, worker, data)
        self.log.info(kind, pool_worker=worker, **data)
        if self.callback is not None:
            try:
                self.callback(event)
            except Exception as exc:  # the caller's bug must not stop the pool's own bookkeeping
                self.log.warning("event_callback_failed", event=kind, error=exc.__class__.__name__)
