"""The pool's worker processes, seen from the pool: started, fed one task at a time, watched, replaced, stopped.

One thread (the dispatcher) does all the talking to the workers over their pipes; ``put`` only queues a task and
wakes it. Each worker gets one task at a time, so the task of a worker that dies is known: the dispatcher sees the
death through the process's sentinel, kills what the worker left (its session: driver and browser) and removes its
clone in a thread of its own, starts a new process on a new clone in the same slot, and runs the task again or
fails it (``retries``). Results, exceptions, the workers' reports and lifecycle events come back over the pipes.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError, Future
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

import psutil

from .. import processes
from ..errors import ProfileError, WorkerLostError
from ..profile.manager import ProfileManager
from ..resilience import RetryConfig
from . import events, process
from .taskqueue import Task, TaskQueue, fail, settle

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


def bury(manager: ProfileManager, worker_id: str, pid: int | None) -> None:
    """A dead worker's browser and driver killed at once (its clone goes, nothing there is worth a clean exit),
    then its clone removed."""
    clone = manager.run.worker(worker_id)
    processes.kill_now([*session_members(pid), *processes.processes_using(clone)])
    manager.discard(worker_id)


@dataclass
class Slot:
    """One place in the pool: its current worker process (a replacement keeps the place, under a new id)."""

    index: int
    generation: int = 0
    worker_id: str = ""
    process: Any = None  # multiprocessing's SpawnProcess
    conn: Connection | None = None
    ready: bool = False
    task: Task | None = None
    stopping: bool = False
    stopped: bool = False
    failure: ProfileError | None = None
    deaths_in_row: int = 0
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def idle(self) -> bool:
        return self.ready and self.task is None and not (self.stopping or self.stopped)

    def launch(self, context: Any, spec_for: Callable[[int, str], process.WorkerSpec]) -> None:
        """A new worker process here (the first, or a replacement with a new clone under a new id)."""
        self.worker_id = f"pool-{self.index}" if self.generation == 0 else f"pool-{self.index}.{self.generation}"
        self.ready, self.stopping, self.stopped, self.task = False, False, False, None
        if self.conn is not None:
            self.conn.close()  # the dead worker's end
        ours, theirs = context.Pipe()
        self.process = context.Process(
            target=process.main,
            args=(theirs, spec_for(self.index, self.worker_id)),
            name=f"edgeprofile-{self.worker_id}",
            daemon=True,
        )
        self.process.start()
        theirs.close()
        self.conn = ours

    def send(self, message: object) -> None:
        assert self.conn is not None
        with contextlib.suppress(OSError):  # it died: its sentinel tells the dispatcher next
            self.conn.send(message)

    def messages(self) -> Iterator[tuple[Any, ...]]:
        """What the worker has sent so far."""
        assert self.conn is not None
        with contextlib.suppress(EOFError, OSError):  # its end closed: the sentinel says the rest
            while self.conn.poll():
                yield self.conn.recv()

    def lost(self, exitcode: int | None, retries: int, clone: Path) -> WorkerLostError:
        """The error of this slot's task when its worker died and the task has no retries left."""
        return WorkerLostError(
            f"worker {self.worker_id} (pid {self.process.pid}) ended with exit code {exitcode} while it ran this "
            f"task; a new worker on a new clone took its place, and the task has no retries left (retries={retries}).",
            clone,
            self.worker_id,
            self.process.pid,
            exitcode,
        )

    def given_up(self, exitcode: int | None, clone: Path) -> WorkerLostError:
        return WorkerLostError(
            f"worker {self.worker_id} (pid {self.process.pid}) ended with exit code {exitcode}; {self.deaths_in_row} "
            "workers in a row died in its place, so the pool stops replacing it; see their logs in the output folder.",
            clone,
            self.worker_id,
            self.process.pid,
            exitcode,
        )


def end_processes(slots: list[Slot]) -> None:
    """Workers still running are told to end (SIGTERM: they quit their browsers), killed after ``ABORT_GRACE``."""
    running = [slot.process for slot in slots if slot.process is not None and slot.process.is_alive()]
    for proc in running:
        proc.terminate()
    deadline = time.monotonic() + ABORT_GRACE
    for proc in running:
        proc.join(max(0.0, deadline - time.monotonic()))
        if proc.is_alive():
            proc.kill()
            proc.join(1)
    for slot in slots:
        if slot.conn is not None:
            slot.conn.close()


def all_failed(slots: list[Slot]) -> ProfileError | None:
    """The first worker's failure when no worker can take a task any more."""
    if all(slot.failure is not None for slot in slots):
        return slots[0].failure
    return None


class Workers:
    """The worker processes of one pool (``count`` slots) and the queue of tasks they take one at a time, as the
    caller's thread sees them; the dispatcher thread (``Dispatcher``) does the rest."""

    def __init__(
        self,
        context: Any,
        count: int,
        spec_for: Callable[[int, str], process.WorkerSpec],
        manager: ProfileManager,
        retries: int,
        retry: RetryConfig,
        emitter: events.Events,
    ) -> None:
        self.context = context  # multiprocessing's spawn context
        self.spec_for = spec_for  # (slot, worker id) -> what that worker process needs
        self.manager = manager
        self.retries = retries
        self.retry = retry
        self.events = emitter
        self.slots = [Slot(index) for index in range(count)]
        self.queue = TaskQueue()
        self.closing = False  # no new tasks; workers stop once the queue is done
        self.aborting = False  # stop now: pending tasks cancelled, workers terminated
        self.burials: list[threading.Thread] = []
        wake_r, wake_w = context.Pipe(duplex=False)  # submit's nudge: the dispatcher waits on pipes only
        self.wake_r: Connection = wake_r
        self.wake_w: Connection = wake_w
        self.thread = threading.Thread(target=Dispatcher(self).run, name="edgeprofile-pool", daemon=True)

    def start(self) -> None:
        for slot in self.slots:
            slot.launch(self.context, self.spec_for)
        self.thread.start()

    def put(self, payload: bytes) -> Future[Any]:
        """Queue a pickled task; its future (failed at once when no worker is left to run it)."""
        with self.queue.lock:
            if self.closing or self.aborting:
                raise RuntimeError("submit on a ProfileAwareWorkerPool that is not running; use it inside `with`")
            failure = all_failed(self.slots)
            if failure is not None:
                future: Future[Any] = Future()
                future.set_exception(failure)
                return future
            future, nudge = self.queue.add(payload, self.retries)
        if nudge:
            self.wake()
        return future

    def reports(self) -> list[dict[str, Any]]:
        """The latest report of every worker process the pool had (replaced ones too)."""
        with self.queue.lock:
            return [dict(report) for slot in self.slots for report in slot.reports.values()]

    def close(self) -> None:
        """Let the queued tasks finish, then stop every worker; returns when they have all stopped. Waits in short
        steps, so Ctrl-C reaches the calling thread."""
        with self.queue.lock:
            self.closing = True
        self.wake()
        while self.thread.is_alive():
            self.thread.join(0.2)

    def stop_now(self) -> None:
        """Cancel what has not run and end every worker; the dead workers' leftovers are gone when this returns."""
        with self.queue.lock:
            self.closing = self.aborting = True
        self.wake()
        if self.thread.is_alive():
            self.thread.join(ABORT_GRACE)
        self.fail_pending(CancelledError())
        end_processes(self.slots)
        for end in (self.wake_r, self.wake_w):
            end.close()
        for burial in self.burials:
            burial.join(self.retry.cleanup_timeout)

    def wake(self) -> None:
        with contextlib.suppress(OSError):  # the dispatcher has ended
            self.wake_w.send_bytes(b"!")

    def fail_pending(self, error: BaseException) -> None:
        with self.queue.lock:
            pending = self.queue.drain() + [slot.task for slot in self.slots if slot.task is not None]
        fail(pending, error)


class Dispatcher:
    """The dispatcher thread: hands tasks to idle workers, takes in what they send, replaces the ones that die."""

    def __init__(self, workers: Workers) -> None:
        self.w = workers

    def run(self) -> None:
        w = self.w
        try:
            while not w.aborting:
                self._hand_out()
                live = [slot for slot in w.slots if not slot.stopped]
                if not live:
                    return
                ends: list[Any] = [w.wake_r]
                for slot in live:
                    ends += [slot.conn, slot.process.sentinel]
                for ready in wait(ends):
                    self._on_ready(ready, live)
        except Exception as exc:  # a bug here must not leave callers waiting forever
            w.events.log.error("dispatcher_failed", error=repr(exc))
            w.fail_pending(RuntimeError(f"the pool's dispatcher failed: {exc!r}"))

    def _on_ready(self, ready: Any, live: list[Slot]) -> None:
        if ready is self.w.wake_r:
            while self.w.wake_r.poll():
                self.w.wake_r.recv_bytes()
            with self.w.queue.lock:
                self.w.queue.nudged = False  # tasks queued before this are handed out next
            return
        for slot in live:
            if ready is slot.conn:
                self._receive(slot)
            elif ready == slot.process.sentinel and not slot.stopped:
                self._receive(slot)  # what it said before it ended
                self._ended(slot)

    def _hand_out(self) -> None:
        w = self.w
        with w.queue.lock:
            for slot in w.slots:
                if not slot.idle:
                    continue
                slot.task = w.queue.take()
                if slot.task is not None:
                    slot.send(("task", slot.task.id, slot.task.payload, slot.task.retries))
                elif w.closing:
                    slot.stopping = True
                    slot.send(None)
            failure = all_failed(w.slots)
            if failure is not None:
                for task in w.queue.drain():
                    task.future.set_exception(failure)

    def _receive(self, slot: Slot) -> None:
        for message in slot.messages():
            kind, report = message[0], None
            if kind == "event":
                self.w.events.emit(message[1], slot.worker_id, **message[2])
            elif kind == "ready":
                slot.ready, slot.deaths_in_row, report = True, 0, message[1]
            elif kind == "failed":
                slot.failure, report = pickle.loads(message[1]), message[2]
            elif kind == "done":
                _, task_id, ok, outcome, trace, report = message
                task, slot.task = slot.task, None
                if task is not None and task.id == task_id:
                    settle(task, ok, outcome, trace)
            elif kind == "stopped":
                report = message[1]
            if report is not None:
                with self.w.queue.lock:
                    slot.reports[slot.worker_id] = report

    def _ended(self, slot: Slot) -> None:
        """A worker process ended: asked to, after its clone failed, or not (killed, crashed: replaced)."""
        w = self.w
        slot.process.join(1)
        exitcode, pid, old_id = slot.process.exitcode, slot.process.pid, slot.worker_id
        if slot.stopping or slot.failure is not None:
            slot.stopped = True
            failure = str(slot.failure) if slot.failure is not None else None
            w.events.emit(events.WORKER_STOPPED, old_id, exitcode=exitcode, failure=failure)
            return
        slot.deaths_in_row += 1
        burial = threading.Thread(target=bury, args=(w.manager, old_id, pid), name=f"bury-{old_id}", daemon=True)
        burial.start()  # apart from this thread, so the other workers' results keep flowing meanwhile
        w.burials.append(burial)
        clone, task = w.manager.run.worker(old_id), slot.task
        if task is not None and task.retries > 0:
            task.retries -= 1
            w.queue.put_back(task)
        elif task is not None:
            task.future.set_exception(slot.lost(exitcode, w.retries, clone))
        if slot.deaths_in_row > w.retry.attempts:
            slot.failure, slot.stopped = slot.given_up(exitcode, clone), True
            w.events.emit(events.WORKER_STOPPED, old_id, exitcode=exitcode, failure=str(slot.failure))
            return
        slot.generation += 1
        slot.launch(w.context, w.spec_for)
        w.events.emit(events.WORKER_REPLACED, old_id, exitcode=exitcode, pid=pid, by=slot.worker_id)
