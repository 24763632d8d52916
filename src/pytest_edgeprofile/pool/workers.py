"""The pool's worker processes, seen from the pool: started, fed one task at a time, watched, replaced, stopped.

One thread (the dispatcher) does all the talking to the workers over their pipes; ``put`` only queues a task and
wakes it. Each worker gets one task at a time, so the task of a worker that dies is known: the dispatcher sees the
death through the process's sentinel, kills what the worker left (its session: driver and browser) and removes its
clone in a thread of its own, starts a new process on a new clone in the same slot, and runs the task again or
fails it (``retries``). Results, exceptions (with the worker's traceback as their cause) and the workers' reports
and lifecycle events come back over the same pipes.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pickle
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import CancelledError, Future
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

import psutil

from .. import processes
from ..errors import ProfileError, WorkerLostError
from ..profile.manager import ProfileManager
from ..resilience import RetryConfig
from . import events, process

ABORT_GRACE = 2.0  # seconds a worker told to stop at once gets to quit its browsers before it is killed


def session_members(pid: int | None) -> list[psutil.Process]:
    """The processes of the session a worker led (it calls setsid: its driver, browser and the browser's helpers),
    found even after the worker was killed and they were left to init. Empty where there are no sessions."""
    if pid is None or not hasattr(os, "getsid"):
        return []
    members = []
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error, OSError):
            if proc.pid != pid and os.getsid(proc.pid) == pid:
                members.append(proc)
    return members


class RemoteTraceback(Exception):
    """The traceback of a task's exception in its worker process, attached as the exception's cause."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return f'\n"""\n{self.text}"""'


@dataclass
class _Task:
    id: int
    future: Future[Any]
    payload: bytes
    retries: int  # how many more times it may run after a browser or a worker died under it


@dataclass
class _Slot:
    """One place in the pool: its current worker process, and what that process is doing."""

    index: int
    generation: int = 0
    worker_id: str = ""
    process: Any = None  # multiprocessing's SpawnProcess
    conn: Connection | None = None
    ready: bool = False
    task: _Task | None = None
    stopping: bool = False
    stopped: bool = False
    failure: ProfileError | None = None
    deaths_in_row: int = 0
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)


class Dispatcher:
    """The worker processes of one pool (``count`` slots) and the queue of tasks they take one at a time."""

    def __init__(
        self,
        context: Any,
        count: int,
        spec_for: Callable[[int, str], process.WorkerSpec],
        manager: ProfileManager,
        retries: int,
        retry: RetryConfig,
        emitter: events.Events,
        log: Any,
    ) -> None:
        self._context = context  # multiprocessing's spawn context
        self.spec_for = spec_for  # (slot, worker id) -> what that worker process needs
        self.manager = manager
        self.retries = retries
        self.retry = retry
        self.events = emitter
        self.log = log
        self._slots = [_Slot(index) for index in range(count)]
        self._queue: deque[_Task] = deque()
        self._lock = threading.Lock()
        self._ids = itertools.count()
        self._closing = False  # no new tasks; workers stop once the queue is done
        self._aborting = False  # stop now: pending tasks cancelled, workers terminated
        self._burials: list[threading.Thread] = []
        self._nudged = False  # a wake-up byte is on its way to the dispatcher
        wake_r, wake_w = context.Pipe(duplex=False)  # submit's nudge: the dispatcher waits on pipes only
        self._wake_r: Connection = wake_r
        self._wake_w: Connection = wake_w
        self._thread = threading.Thread(target=self._dispatch, name="edgeprofile-pool", daemon=True)

    def start(self) -> None:
        for slot in self._slots:
            self._launch(slot)
        self._thread.start()

    def put(self, payload: bytes) -> Future[Any]:
        """Queue a pickled task; its future (failed at once when no worker is left to run it)."""
        future: Future[Any] = Future()
        with self._lock:
            if self._closing or self._aborting:
                raise RuntimeError("submit on a ProfileAwareWorkerPool that is not running; use it inside `with`")
            failure = self._all_failed()
            if failure is not None:
                future.set_exception(failure)
                return future
            self._queue.append(_Task(next(self._ids), future, payload, self.retries))
            nudge, self._nudged = not self._nudged, True
        if nudge:  # one byte per wait of the dispatcher, not per task: a long map never fills the pipe
            self._wake()
        return future

    def cancel_queued(self) -> None:
        with self._lock:
            for task in self._queue:
                task.future.cancel()

    def reports(self) -> list[dict[str, Any]]:
        """The latest report of every worker process the pool had (replaced ones too)."""
        with self._lock:
            return [dict(report) for slot in self._slots for report in slot.reports.values()]

    def close(self) -> None:
        """Let the queued tasks finish, then stop every worker; returns when they have all stopped. Waits in short
        steps, so Ctrl-C reaches the calling thread."""
        with self._lock:
            self._closing = True
        self._wake()
        while self._thread.is_alive():
            self._thread.join(0.2)

    def _launch(self, slot: _Slot) -> None:
        """A new worker process in ``slot`` (its first, or a replacement with a new clone under a new id)."""
        slot.worker_id = f"pool-{slot.index}" if slot.generation == 0 else f"pool-{slot.index}.{slot.generation}"
        slot.ready, slot.stopping, slot.stopped, slot.task = False, False, False, None
        spec = self.spec_for(slot.index, slot.worker_id)
        if slot.conn is not None:
            slot.conn.close()  # the dead worker's end
        ours, theirs = self._context.Pipe()
        slot.process = self._context.Process(
            target=process.main, args=(theirs, spec), name=f"edgeprofile-{slot.worker_id}", daemon=True
        )
        slot.process.start()
        theirs.close()
        slot.conn = ours

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # the dispatcher has ended
            self._wake_w.send_bytes(b"!")

    def _all_failed(self) -> ProfileError | None:
        """The first worker's failure when no worker can take a task any more."""
        if self._slots and all(slot.failure is not None for slot in self._slots):
            return self._slots[0].failure
        return None

    # -- the dispatcher thread ---------------------------------------------------------------------------------

    def _dispatch(self) -> None:
        try:
            while not self._aborting:
                self._hand_out()
                live = [slot for slot in self._slots if not slot.stopped]
                if not live:
                    return
                wake = self._wake_r
                waitables: list[Any] = [wake]
                for slot in live:
                    waitables += [slot.conn, slot.process.sentinel]
                for ready in wait(waitables):
                    if ready is wake:
                        while wake.poll():
                            wake.recv_bytes()
                        with self._lock:
                            self._nudged = False  # tasks queued before this are handed out next
                        continue
                    for slot in live:
                        if ready is slot.conn:
                            self._receive(slot)
                        elif ready == slot.process.sentinel and not slot.stopped:
                            self._receive(slot)  # what it said before it ended
                            self._ended(slot)
        except Exception as exc:  # a bug here must not leave callers waiting forever
            self.log.error("dispatcher_failed", error=repr(exc))
            self._fail_pending(RuntimeError(f"the pool's dispatcher failed: {exc!r}"))

    def _hand_out(self) -> None:
        with self._lock:
            for slot in self._slots:
                if slot.stopped or slot.stopping or not slot.ready or slot.task is not None:
                    continue
                task = self._next_task()
                if task is not None:
                    slot.task = task
                    self._send(slot, ("task", task.id, task.payload, task.retries))
                elif self._closing:
                    slot.stopping = True
                    self._send(slot, None)
            failure = self._all_failed()
            if failure is not None:
                while self._queue:
                    self._queue.popleft().future.set_exception(failure)

    def _next_task(self) -> _Task | None:
        while self._queue:
            task = self._queue.popleft()
            if task.future.running() or task.future.set_running_or_notify_cancel():
                return task
        return None

    def _send(self, slot: _Slot, message: object) -> None:
        assert slot.conn is not None
        with contextlib.suppress(OSError):  # it died: its sentinel tells the dispatcher next
            slot.conn.send(message)

    def _receive(self, slot: _Slot) -> None:
        assert slot.conn is not None
        try:
            while slot.conn.poll():
                self._handle(slot, slot.conn.recv())
        except (EOFError, OSError):
            pass  # its end closed: the sentinel says the rest

    def _handle(self, slot: _Slot, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "event":
            self.events.emit(message[1], slot.worker_id, **message[2])
        elif kind == "ready":
            slot.ready, slot.deaths_in_row = True, 0
            self._report(slot, message[1])
        elif kind == "failed":
            slot.failure = pickle.loads(message[1])
            self._report(slot, message[2])
        elif kind == "done":
            _, task_id, ok, outcome, trace, report = message
            task, slot.task = slot.task, None
            self._report(slot, report)
            if task is None or task.id != task_id or task.future.done():
                return  # cancelled by an abort meanwhile
            try:
                value = pickle.loads(outcome)
            except Exception as exc:  # e.g. a class the worker could import and this process cannot
                ok, trace = False, None
                value = TypeError(
                    f"the outcome of the task cannot be loaded in the calling process ({exc}); return plain data "
                    "(text, numbers, lists, dicts), and raise exceptions whose classes this process can import."
                )
            if ok:
                task.future.set_result(value)
            else:
                if trace:
                    value.__cause__ = RemoteTraceback(trace)
                task.future.set_exception(value)
        elif kind == "stopped":
            self._report(slot, message[1])

    def _report(self, slot: _Slot, report: dict[str, Any] | None) -> None:
        if report is not None:
            with self._lock:
                slot.reports[slot.worker_id] = report

    def _ended(self, slot: _Slot) -> None:
        """A worker process ended: asked to, after its clone failed, or not (killed, crashed: replaced)."""
        slot.process.join(1)
        exitcode, pid = slot.process.exitcode, slot.process.pid
        clone = self.manager.run.worker(slot.worker_id)
        if slot.stopping or slot.failure is not None:
            slot.stopped = True
            failure = str(slot.failure) if slot.failure is not None else None
            self.events.emit(events.WORKER_STOPPED, slot.worker_id, exitcode=exitcode, failure=failure)
            return
        old_id, task = slot.worker_id, slot.task
        slot.deaths_in_row += 1
        burial = threading.Thread(target=self._bury, args=(old_id, pid), name=f"edgeprofile-bury-{old_id}", daemon=True)
        burial.start()  # apart from this thread, so the other workers' results keep flowing meanwhile
        self._burials.append(burial)
        message = (
            f"worker {old_id} (pid {pid}) ended with exit code {exitcode} while it ran this task; a new worker on a "
            f"new clone took its place"
        )
        if task is not None:
            if task.retries > 0:
                task.retries -= 1
                with self._lock:
                    self._queue.appendleft(task)
            else:
                lost = f"{message}, and the task has no retries left (retries={self.retries})."
                task.future.set_exception(WorkerLostError(lost, clone, old_id, pid, exitcode))
        if slot.deaths_in_row > self.retry.attempts:
            slot.failure = WorkerLostError(
                f"worker {old_id} (pid {pid}) ended with exit code {exitcode}; {slot.deaths_in_row} workers in a row "
                "died in its place, so the pool stops replacing it; see their logs in the output folder.",
                clone,
                old_id,
                pid,
                exitcode,
            )
            slot.stopped = True
            self.events.emit(events.WORKER_STOPPED, old_id, exitcode=exitcode, failure=str(slot.failure))
            return
        slot.generation += 1
        self._launch(slot)
        self.events.emit(events.WORKER_REPLACED, old_id, exitcode=exitcode, pid=pid, by=slot.worker_id)

    def _bury(self, worker_id: str, pid: int | None) -> None:
        """A dead worker's browser and driver killed at once (its clone goes, nothing there is worth a clean
        exit), then its clone removed."""
        clone = self.manager.run.worker(worker_id)
        processes.kill_now([*session_members(pid), *processes.processes_using(clone)])
        self.manager.discard(worker_id)

    def _fail_pending(self, error: BaseException) -> None:
        with self._lock:
            tasks = list(self._queue) + [slot.task for slot in self._slots if slot.task is not None]
            self._queue.clear()
        for task in tasks:
            if not task.future.done() and not task.future.cancel():
                task.future.set_exception(error)

    def stop_now(self) -> None:
        """Cancel what has not run; workers still running are told to end (SIGTERM: they quit their browsers), and
        killed after ``ABORT_GRACE``; the dead workers' leftovers are gone when this returns."""
        with self._lock:
            self._closing = self._aborting = True
        self._wake()
        if self._thread.is_alive():
            self._thread.join(ABORT_GRACE)
        self._fail_pending(CancelledError())
        running = [slot.process for slot in self._slots if slot.process is not None and slot.process.is_alive()]
        for proc in running:
            proc.terminate()
        deadline = time.monotonic() + ABORT_GRACE
        for proc in running:
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                proc.kill()
                proc.join(1)
        for slot in self._slots:
            if slot.conn is not None:
                slot.conn.close()
        for end in (self._wake_r, self._wake_w):
            end.close()
        for burial in self._burials:
            burial.join(self.retry.cleanup_timeout)
