"""Progress of a long copy on an interactive terminal: one line, rewritten in place, at most five times a second."""

from __future__ import annotations

import time
from typing import TextIO

MB = 1_000_000


class TerminalProgress:
    """Called with (bytes done, bytes total) as files are copied; silent unless ``stream`` is a terminal."""

    def __init__(self, stream: TextIO, label: str, min_total: int = 50 * MB, interval: float = 0.2) -> None:
        self.stream = stream
        self.label = label
        self.min_total = min_total
        self.interval = interval
        self.enabled = bool(getattr(stream, "isatty", lambda: False)())
        self._last: float | None = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total < self.min_total:
            return
        now = time.monotonic()
        if done < total and self._last is not None and now - self._last < self.interval:
            return
        self._last = now
        percent = 100 * done // total if total else 100
        self.stream.write(f"\r{self.label}: {done / MB:.0f} of {total / MB:.0f} MB ({percent}%)")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()
