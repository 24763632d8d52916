"""``ProfileAwareWorkerPool``: the plugin's clones outside pytest, as a ``concurrent.futures`` executor.

The second front end beside ``plugin.py``, on the same core: the run's once-only steps are
``coordinator.RunCoordinator``'s (preflight, sweep, golden copy, blank tab, cleanup), each worker process is a
``owner.CloneOwner`` (``pool.process``), and the processes are started, fed and watched by ``pool.workers``. This
class is the lifecycle: settings resolved in the constructor (one sentence when wrong), the run's checks and
golden copy on entering, and at the end, however it comes (the ``with`` block done, an exception, Ctrl-C,
SIGTERM), every worker stopped and the run's folder removed with every browser on it.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import sys
from collections.abc import Callable
from concurrent.futures import Executor, Future
from pathlib import Path
from types import TracebackType
from typing import Any

from ..browser.blank_tab import BlankTab
from ..browser.locate import Executables
from ..coordinator import Cleanup, Golden, RunCoordinator
from ..log import close_event_log, get_logger, open_event_log
from ..profile.manager import ProfileManager
from ..profile.run import new_run_id
from ..progress import TerminalProgress
from ..report import write_json
from ..resilience import RetryConfig
from ..signals import route_sigterm_to_keyboard_interrupt
from . import events, process
from .options import check_count, check_window_size, resolve_settings, window_for
from .taskqueue import RemoteTraceback
from .workers import Workers

__all__ = ["ProfileAwareWorkerPool", "RemoteTraceback"]


def worker_spec(
    pool: ProfileAwareWorkerPool, slot: int, worker_id: str, executables: Executables
) -> process.WorkerSpec:
    """What worker ``worker_id`` in place ``slot`` needs: the run, the executables the preflight found, and with
    ``headed`` its own cell on the screen."""
    assert pool.run is not None
    return process.WorkerSpec(
        worker_id=worker_id,
        slot=slot,
        settings=pool.settings,
        run_id=pool.run.manager.run.run_id,
        owner_pid=os.getpid(),
        executables=executables,
        retry=pool.retry,
        window=window_for(slot, pool.workers, pool.window_size) if pool.settings.headed else None,
    )


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
        self._workers: Workers | None = None
        self._previous_sigterm: object = None
        self._event_log: Any = None
        self._failed = False

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
        log = get_logger(worker="pool", run=manager.run.run_id)
        try:
            self.run.sweep()
            executables = self.run.preflight()
            # A large base takes a while to copy: on a terminal, one line says how far it is (as under pytest).
            self.golden = self.run.make_golden(TerminalProgress(sys.stderr, f"golden copy of {s.user_data_dir}"))
            self.run.start_blank_tab(BlankTab(manager, self.retry.blank_tab_timeout, self.run.log))
            self._workers = Workers(
                multiprocessing.get_context("spawn"),  # the same start on Linux, macOS and Windows
                self.workers,
                lambda slot, worker_id: worker_spec(self, slot, worker_id, executables),
                manager,
                self.retries,
                self.retry,
                events.Events(log, self.on_event),
            )
            self._workers.start()
        except BaseException:
            self._failed = True
            self._finish(abort=True)
            raise

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
        if self._workers is None or self.cleanup is not None:
            raise RuntimeError("submit on a ProfileAwareWorkerPool that is not running; use it inside `with`")
        return self._workers.put(payload)

    def metrics(self) -> list[dict[str, Any]]:
        """The golden copy's and each worker's report (clone, verification, metrics), as the plugin's summary."""
        reports = [self.golden.report()] if self.golden is not None else []
        return reports + (self._workers.reports() if self._workers is not None else [])

    @property
    def run_path(self) -> Path | None:
        """The run's folder under the clone root (golden copy and clones), gone after the pool ends."""
        return self.run.manager.run.path if self.run is not None else None

    # -- the end -----------------------------------------------------------------------------------------------

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Finish the queued tasks (or cancel them), stop every worker, remove the run's clones and browsers.
        Always waits (``wait`` is accepted for ``Executor``'s sake): nothing of the run may outlive it."""
        if cancel_futures and self._workers is not None:
            self._workers.queue.cancel_all()
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
            if not abort and self._workers is not None:
                try:
                    self._workers.close()
                except BaseException:  # Ctrl-C while the last tasks ran: end now, as after any failure
                    self._failed = True
                    raise
        finally:
            if self._workers is not None:
                self._workers.stop_now()
            self._clean_up()

    def _clean_up(self) -> None:
        """The metrics file, then the run's browsers ended and its folder removed (or kept, per ``keep``)."""
        assert self.run is not None
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
