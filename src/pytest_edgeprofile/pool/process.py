"""A pool worker process: one clone, its browsers, and the tasks the pool hands it one at a time. pytest-free.

Started by the pool with the ``spawn`` method (the same on Linux, macOS and Windows), it does what an xdist worker
does through ``owner.CloneOwner``: clone the golden copy and verify the clone (keeping the verified browser warm
for the first task), then per task a browser from the ``driver-scope`` policy, ``fn(driver, ...)``, and the
browser released. It speaks to the pool over one pipe:

    pool -> worker   ("task", task_id, payload, retries) | None (stop)
    worker -> pool   ("event", kind, data) | ("ready", report) | ("failed", error, report)
                     | ("done", task_id, ok, outcome, traceback, report) | ("stopped", report)

``payload`` and ``outcome`` are pickled bytes, so a task or result that cannot cross is one error, not a broken
pipe. The pool decides when a worker stops: Ctrl-C in a terminal reaches only the pool (the worker leaves the
terminal's process group), SIGTERM ends the worker like Ctrl-C (its browsers are quit), and a pool that is gone
(its end of the pipe closed) stops it too.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import time
import traceback
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from typing import Any

from ..browser.launch import is_usable
from ..browser.locate import Executables
from ..errors import ProfileError, VerificationError
from ..log import close_event_log, get_logger, open_event_log
from ..owner import CloneOwner
from ..profile.manager import ProfileManager, WorkerProfile
from ..resilience import RetryConfig
from ..settings import Settings
from ..signals import route_sigterm_to_keyboard_interrupt
from . import events

# Counters of WorkerMetrics that mean the worker healed itself: a change after a task is a worker_remediated event.
REMEDIATIONS = ("reclones", "browser_deaths")


@dataclass(frozen=True)
class WorkerSpec:
    """Everything a worker process needs, sent to it once (plain, picklable data)."""

    worker_id: str
    slot: int
    settings: Settings
    run_id: str
    owner_pid: int
    executables: Executables
    retry: RetryConfig
    window: tuple[int, int, int, int] | None  # x, y, width, height of its browser windows when headed


def main(conn: Connection, spec: WorkerSpec) -> None:
    """The worker process's entry point (``multiprocessing`` target)."""
    if hasattr(os, "setsid"):
        os.setsid()  # Ctrl-C in the terminal goes to the pool, which stops its workers in order
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    route_sigterm_to_keyboard_interrupt()
    settings = spec.settings
    if spec.window is not None:
        x, y, width, height = spec.window
        placed = (f"--window-position={x},{y}", f"--window-size={width},{height}")
        settings = replace(settings, args=(*settings.args, *placed))
    handler = open_event_log(settings.output / "logs" / f"{spec.worker_id}.jsonl")
    manager = ProfileManager(
        settings.user_data_dir,
        settings.profile,
        settings.clone_root,
        spec.run_id,
        spec.owner_pid,
        base_in_use=settings.base_in_use,
    )
    owner = CloneOwner(settings, manager, spec.worker_id, spec.executables, spec.retry)
    worker = _Worker(conn, owner)
    try:
        worker.run()
    except (KeyboardInterrupt, EOFError, BrokenPipeError):
        pass  # stopped by SIGTERM, or the pool is gone: the browsers are quit below all the same
    finally:
        owner.close()
        with contextlib.suppress(OSError, EOFError):  # the pool is gone: its cleanup or the next sweep removes all
            conn.send(("stopped", owner.report()))
        close_event_log(handler)


class _Worker:
    def __init__(self, conn: Connection, owner: CloneOwner) -> None:
        self.conn = conn
        self.owner = owner
        self.log = get_logger(worker=owner.worker_id, run=owner.manager.run.run_id)

    def event(self, kind: str, **data: Any) -> None:
        self.conn.send(("event", kind, data))

    def run(self) -> None:
        owner = self.owner
        self.event(events.WORKER_STARTED, pid=os.getpid())
        started = time.perf_counter()
        try:
            profile = owner.prepare()
        except ProfileError as exc:
            if isinstance(exc, VerificationError):
                self.event(events.VERIFICATION, status="failed", check=exc.check)
            self.conn.send(("failed", _pickled_error(exc), owner.report()))
            return
        verification = profile.verification
        self.event(events.VERIFICATION, status=verification.status.value, **verification.as_dict())
        if (profile.metrics.clone_attempts or 1) > 1:
            self.event(events.WORKER_REMEDIATED, reason="re-cloned before it passed verification")
        self.event(
            events.PROFILE_READY, clone=str(profile.user_data_dir), seconds=round(time.perf_counter() - started, 4)
        )
        self.conn.send(("ready", owner.report()))
        while True:
            message = self.conn.recv()
            if message is None:
                return
            _, task_id, payload, retries = message
            before = _remediation_counts(profile)
            ok, outcome, trace = self.run_task(profile, payload, retries)
            after = _remediation_counts(profile)
            if after != before:
                changed = {name: after[name] - before[name] for name in REMEDIATIONS if after[name] != before[name]}
                self.event(events.WORKER_REMEDIATED, reason="a browser died or the clone was re-cloned", **changed)
            self.conn.send(("done", task_id, ok, outcome, trace, owner.report()))

    def run_task(self, profile: WorkerProfile, payload: bytes, retries: int) -> tuple[bool, bytes, str | None]:
        """Run one task; a browser that died under it is replaced and the task run again, ``retries`` times."""
        try:
            fn, args, kwargs = pickle.loads(payload)
        except Exception as exc:  # e.g. a function the worker cannot import: the caller's task fails, not the pool
            return False, _pickled_error(exc), traceback.format_exc()
        tries = 0
        while True:
            tries += 1
            try:
                options = self.owner.options(profile)
                driver = self.owner.scope.acquire(options, profile, self.owner.take_warm(options))
            except ProfileError as exc:  # the launcher already retried on fresh clones; its breaker may be open
                return False, _pickled_error(exc), None
            try:
                result = fn(driver, *args, **kwargs)
            except Exception as exc:
                dead = not is_usable(driver)
                self.owner.scope.release(driver, profile)
                if dead and tries <= retries:
                    self.log.warning("task_retried", reason="the browser died during the task", tries=tries)
                    continue
                return False, _pickled_error(exc), traceback.format_exc()
            self.owner.scope.release(driver, profile)
            try:
                return True, pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL), None
            except Exception as exc:
                error = TypeError(
                    f"the result of the task ({type(result).__name__}) cannot be sent back from its worker process "
                    f"({exc}); return plain data (text, numbers, lists, dicts), not a WebElement or a driver."
                )
                return False, _pickled_error(error), None


def _remediation_counts(profile: WorkerProfile) -> dict[str, int]:
    return {name: getattr(profile.metrics, name) or 0 for name in REMEDIATIONS}


def _pickled_error(exc: BaseException) -> bytes:
    """The exception as bytes the pool can load; one that cannot cross (or come back) becomes a RuntimeError with
    its type and first line, so the caller still sees what happened."""
    try:
        data = pickle.dumps(exc, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.loads(data)
        return data
    except Exception:
        text = str(exc).splitlines()[0] if str(exc) else ""
        return pickle.dumps(RuntimeError(f"{type(exc).__module__}.{type(exc).__qualname__}: {text}"))
