"""Signal routing shared by the front ends (the pytest controller, the worker pool); pytest-free."""

from __future__ import annotations

import signal
import threading


def _route_sigterm_to_keyboard_interrupt() -> object:
    """SIGTERM (CI cancelling a job, ``kill``) ends the run like Ctrl-C, so the clones are still removed.

    Only when nobody else handles SIGTERM and only in the main thread; returns the handler to restore.
    """
    if threading.current_thread() is not threading.main_thread():
        return None
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return None

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt("SIGTERM")

    return signal.signal(signal.SIGTERM, interrupt)


route_sigterm_to_keyboard_interrupt = _route_sigterm_to_keyboard_interrupt  # the public name for other front ends
