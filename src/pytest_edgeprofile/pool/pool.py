"""``ProfileAwareWorkerPool``: the plugin's clones outside pytest, as a ``concurrent.futures`` executor.

The second front end beside ``plugin.py``, on the same core: the run's once-only steps are
``coordinator.RunCoordinator``'s (preflight, sweep, golden copy, blank tab, cleanup), each worker process is a
``owner.CloneOwner`` (``pool.process``). This side owns the worker processes: it hands each one task at a time (so
the task of a worker that dies is known), notices a worker that died (its process sentinel), replaces it with a
new process on a new clone and retries or fails its task, and at the end, however it comes (the ``with`` block
done, an exception, Ctrl-C, SIGTERM), stops every worker and removes the run's folder with every browser on it.

One thread (the dispatcher) does all the talking to the workers; ``submit`` only queues and wakes it.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import CancelledError, Executor, Future
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from types import TracebackType
from typing import Any

import psutil

from .. import processes
from ..browser.blank_tab import BlankTab
from ..coordinator import Cleanup, Golden, RunCoordinator
from ..errors import ProfileError, WorkerLostError
from ..log import close_event_log, get_logger, open_event_log
from ..profile.manager import ProfileManager
from ..profile.run import new_run_id
from ..report import write_json
from ..resilience import RetryConfig
from ..signals import route_sigterm_to_keyboard_interrupt
from . import events, process
from .options import check_count, check_window_size, resolve_settings, window_for

STOP_GRACE = 5.0  # seconds a worker asked to stop gets to quit its browsers before it is killed
ABORT_GRACE = 2.0  # the same after Ctrl-C or an exception: the run's cleanup ends whatever is left


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


class ProfileAwareWorkerPool(Executor):
    """``workers`` processes, each with its own verified clone of the base profile and a browser on it.

    Keyword arguments are the plugin's settings named with underscores (``browser``, ``user_data_dir``,
    ``profile``, ``clone_root``, ``headed``, ``arg``, ``driver_scope``, ``auth_url`` ...; the environment's
    ``PYTEST_EDGEPROFILE_*`` fills the rest), plus ``retries`` (how often a task is run again after its browser or
    its worker died under it), ``on_event`` (a callable given each ``PoolEvent``, in the pool's dispatcher
    thread), ``window_size`` (each headed worker's windows, laid out side by side) and ``retry`` (a
    ``RetryConfig``). A bad value is one ``SettingsError`` sentence, raised here, before any process starts.
    """

    def __init__(
        self,
        workers: int = 4,
        *,
        retries: int = 1,
        on_event: Callable[[events.PoolEvent], object] | None = None,
        window_size: tuple[int, int] = (800, 600),
        retry: RetryConfig | None = None,
        **settings: object,
    ) -> None:
        self.workers = check_count("workers", workers, 1)
        self.retries = check_count("retries", retries, 0)
        self.window_size = check_window_size(window_size)
        self.settings = resolve_settings(settings)
        self.retry = retry or RetryConfig()
        self.on_event = on_event
        self.run: RunCoordinator | None = None
        self.golden: Golden | None = None
        self.cleanup: Cleanup | None = None
        self._slots: list[_Slot] = []
        self._queue: deque[_Task] = deque()
        self._lock = threading.Lock()
        self._ids = itertools.count()
        self._closing = False  # no new tasks; workers stop once the queue is done
        self._aborting = False  # stop now: pending tasks cancelled, workers terminated
        self._dispatcher: threading.Thread | None = None
        self._wake_r: Connection | None = None
        self._wake_w: Connection | None = None
        self._previous_sigterm: object = None
        self._event_log: Any = None
        self._failed = False
        self._burials: list[threading.Thread] = []
        self._context = multiprocessing.get_context("spawn")  # the same start on Linux, macOS and Windows
        self._executables: Any = None
        self.log: Any = get_logger(worker="pool")
        self.events = events.Events(self.log, on_event)

    # -- start -------------------------------------------------------------------------------------------------

    def __enter__(self) -> ProfileAwareWorkerPool:
        self.start()
        return self

    def start(self) -> None:
        """Check the base, make the golden copy, start the blank tab and the worker processes (``__enter__``)."""
        if self.run is not None:
            raise RuntimeError("this ProfileAwareWorkerPool was already started; make a new one")
        s = self.settings
        manager = ProfileManager(
            s.user_data_dir, s.profile, s.clone_root, new_run_id(), os.getpid(), base_in_use=s.base_in_use
        )
        self.run = RunCoordinator(s, manager, self.retry)
        self._previous_sigterm = route_sigterm_to_keyboard_interrupt()
        self._event_log = open_event_log(s.output / "logs" / "pool.jsonl")
        self.log = get_logger(worker="pool", run=manager.run.run_id)
        self.events = events.Events(self.log, self.on_event)
        try:
            self.run.sweep()
            executables = self.run.preflight()
            self.golden = self.run.make_golden()
            self.run.start_blank_tab(BlankTab(manager, self.retry.blank_tab_timeout, self.run.log))
            self._executables = executables
            self._wake_r, self._wake_w = self._context.Pipe(duplex=False)
            self._slots = [_Slot(index) for index in range(self.workers)]
            for slot in self._slots:
                self._launch(slot)
            self._dispatcher = threading.Thread(target=self._dispatch, name="edgeprofile-pool", daemon=True)
            self._dispatcher.start()
        except BaseException:
            self._failed = True
            self._finish(abort=True)
            raise

    def _launch(self, slot: _Slot) -> None:
        """A new worker process in ``slot`` (its first, or a replacement with a new clone under a new id)."""
        slot.worker_id = f"pool-{slot.index}" if slot.generation == 0 else f"pool-{slot.index}.{slot.generation}"
        slot.ready, slot.stopping, slot.stopped, slot.task = False, False, False, None
        assert self.run is not None
        spec = process.WorkerSpec(
            worker_id=slot.worker_id,
            slot=slot.index,
            settings=self.settings,
            run_id=self.run.manager.run.run_id,
            owner_pid=os.getpid(),
            executables=self._executables,
            retry=self.retry,
            window=window_for(slot.index, self.workers, self.window_size) if self.settings.headed else None,
        )
        ours, theirs = self._context.Pipe()
        slot.process = self._context.Process(
            target=process.main, args=(theirs, spec), name=f"edgeprofile-{slot.worker_id}", daemon=True
        )
        slot.process.start()
        theirs.close()
        slot.conn = ours

    # -- tasks -------------------------------------------------------------------------------------------------

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run ``fn(driver, *args, **kwargs)`` in a worker process; its result or exception comes back through the
        returned future. ``fn`` and its arguments must be picklable (a module-level function, plain data)."""
        try:
            payload = pickle.dumps((fn, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            raise TypeError(
                f"the task {getattr(fn, '__qualname__', fn)!r} cannot be sent to a worker process ({exc}); a task "
                "must be a function defined at module level (not a lambda or a nested function) and its arguments "
                "plain, picklable data."
            ) from None
        with self._lock:
            if self.run is None or self._closing or self._aborting:
                raise RuntimeError("submit on a ProfileAwareWorkerPool that is not running; use it inside `with`")
            future: Future[Any] = Future()
            failure = self._all_failed()
            if failure is not None:
                future.set_exception(failure)
                return future
            self._queue.append(_Task(next(self._ids), future, payload, self.retries))
        self._wake()
        return future

    def metrics(self) -> list[dict[str, Any]]:
        """The golden copy's and each worker's report (clone, verification, metrics), as the plugin's summary."""
        reports = [self.golden.report()] if self.golden is not None else []
        with self._lock:
            for slot in self._slots:
                reports.extend(dict(report) for report in slot.reports.values())
        return reports

    def _wake(self) -> None:
        if self._wake_w is not None:
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
                waitables: list[Any] = [self._wake_r]
                for slot in live:
                    waitables += [slot.conn, slot.process.sentinel]
                for ready in wait(waitables):
                    if ready is self._wake_r:
                        assert self._wake_r is not None
                        while self._wake_r.poll():
                            self._wake_r.recv_bytes()
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
            _, task_id, ok, outcome, trace, _tries, report = message
            task, slot.task = slot.task, None
            self._report(slot, report)
            if task is None or task.id != task_id or task.future.done():
                return  # cancelled by an abort meanwhile
            value = pickle.loads(outcome)
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
        exitcode, pid, clone = slot.process.exitcode, slot.process.pid, None
        if self.run is not None:
            clone = self.run.manager.run.worker(slot.worker_id)
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
                lost = f"{message}, and the task was not run again (retries={self.retries})."
                task.future.set_exception(WorkerLostError(lost, clone, old_id, pid, exitcode))
        if slot.deaths_in_row > self.retry.attempts:
            slot.failure = WorkerLostError(
                f"worker {old_id} (pid {pid}) ended with exit code {exitcode}, the {slot.deaths_in_row}th worker in "
                "a row to die in its place, so the pool stops replacing it; see its log in the output folder.",
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
        assert self.run is not None
        clone = self.run.manager.run.worker(worker_id)
        processes.kill_now([*session_members(pid), *processes.processes_using(clone)])
        self.run.manager.discard(worker_id)

    def _fail_pending(self, error: BaseException) -> None:
        with self._lock:
            tasks = list(self._queue) + [slot.task for slot in self._slots if slot.task is not None]
            self._queue.clear()
        for task in tasks:
            if not task.future.done() and not task.future.cancel():
                task.future.set_exception(error)

    # -- the end -----------------------------------------------------------------------------------------------

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Finish the queued tasks (or cancel them), stop every worker, remove the run's clones and browsers."""
        if cancel_futures:
            with self._lock:
                for task in self._queue:
                    task.future.cancel()
        self._finish(abort=False)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._failed = self._failed or exc_type is not None
        self._finish(abort=exc_type is not None)

    def _finish(self, abort: bool) -> None:
        if self.cleanup is not None or self.run is None:
            return
        try:
            if not abort:
                with self._lock:
                    self._closing = True
                self._wake()
                try:
                    while self._dispatcher is not None and self._dispatcher.is_alive():
                        self._dispatcher.join(0.2)  # short waits: Ctrl-C must reach this thread
                except BaseException:
                    self._failed = True
                    raise
        finally:
            self._stop_now()
            self._clean_up()

    def _stop_now(self) -> None:
        """Workers still running are asked to end (SIGTERM: they quit their browsers), then killed."""
        with self._lock:
            self._closing = self._aborting = True
        self._wake()
        if self._dispatcher is not None:
            self._dispatcher.join(ABORT_GRACE)
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
            if end is not None:
                end.close()

    def _clean_up(self) -> None:
        assert self.run is not None
        for burial in self._burials:
            burial.join(self.retry.cleanup_timeout)
        s = self.settings
        keep = s.keep == "always" or (s.keep == "on-failure" and self._failed)
        try:
            reports = self.metrics()
            if reports:
                write_json(s.output / "edgeprofile-metrics.json", self.run.manager.run.run_id, reports)
            self.cleanup = self.run.clean_up(keep)
        finally:
            if self.cleanup is None:
                self.cleanup = Cleanup(self.run.manager.run.path, False, None, 0)
            if self._event_log is not None:
                close_event_log(self._event_log)
                self._event_log = None
            if self._previous_sigterm is not None:
                signal.signal(signal.SIGTERM, self._previous_sigterm)  # type: ignore[arg-type]
                self._previous_sigterm = None

    @property
    def run_path(self) -> Path | None:
        """The run's folder under the clone root (golden copy and clones), gone after the pool ends."""
        return self.run.manager.run.path if self.run is not None else None
