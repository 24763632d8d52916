"""The pool's tasks: queued by the caller's thread, taken one at a time by the dispatcher, settled from what the
worker sent back (a result, or an exception with the worker's traceback as its cause)."""

from __future__ import annotations

import itertools
import pickle
import threading
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any


class RemoteTraceback(Exception):
    """The traceback of a task's exception in its worker process, attached as the exception's cause."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return f'\n"""\n{self.text}"""'


@dataclass
class Task:
    id: int
    future: Future[Any]
    payload: bytes  # (fn, args, kwargs), pickled by submit
    retries: int  # how many more times it may run after a browser or a worker died under it


class TaskQueue:
    """Tasks waiting for a worker, under one lock shared with the dispatcher's bookkeeping."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._tasks: deque[Task] = deque()
        self._ids = itertools.count()
        self.nudged = False  # a wake-up byte is on its way to the dispatcher

    def add(self, payload: bytes, retries: int) -> tuple[Future[Any], bool]:
        """Queue a task (the caller holds ``lock``); its future, and whether the dispatcher needs a nudge (one byte
        per wait of the dispatcher, not per task: a long map never fills the pipe)."""
        future: Future[Any] = Future()
        self._tasks.append(Task(next(self._ids), future, payload, retries))
        nudge, self.nudged = not self.nudged, True
        return future, nudge

    def take(self) -> Task | None:
        """The next task nobody cancelled, now running (the caller holds ``lock``)."""
        while self._tasks:
            task = self._tasks.popleft()
            if task.future.running() or task.future.set_running_or_notify_cancel():
                return task
        return None

    def put_back(self, task: Task) -> None:
        """A task whose worker died, first in line again."""
        with self.lock:
            self._tasks.appendleft(task)

    def cancel_all(self) -> None:
        with self.lock:
            for task in self._tasks:
                task.future.cancel()

    def drain(self) -> list[Task]:
        """Every queued task, taken out (the caller holds ``lock``)."""
        tasks = list(self._tasks)
        self._tasks.clear()
        return tasks


def fail(tasks: list[Task], error: BaseException) -> None:
    """Tasks that will not run: cancelled if they had not started, else failed with ``error``."""
    for task in tasks:
        if not task.future.done() and not task.future.cancel():
            task.future.set_exception(error)


def settle(task: Task, ok: bool, outcome: bytes, trace: str | None) -> None:
    """The task's future gets what its worker sent back."""
    if task.future.done():
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
        return
    if trace:
        value.__cause__ = RemoteTraceback(trace)
    task.future.set_exception(value)
