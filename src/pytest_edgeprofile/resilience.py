"""Retries (through tenacity) and a per-worker circuit breaker, so one bad worker heals or stops fast alone."""

from __future__ import annotations

from dataclasses import dataclass

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from .errors import ProfileError


@dataclass(frozen=True)
class RetryConfig:
    """How often and how patiently a worker retries its profile operations."""

    attempts: int = 3  # clone + verify, or a browser start, each on a fresh clone after the first failure
    backoff: float = 0.2  # seconds before the second attempt, doubled after each further failure
    max_backoff: float = 2.0
    verify_timeout: float = 60.0  # page loads during verification
    cleanup_timeout: float = 5.0  # for a browser to exit before it is killed
    blank_tab_timeout: float = 20.0  # a worker waits this long for the run's blank tab, then goes without
    breaker_threshold: int = 2  # tests in a row whose browser could not start before the breaker opens

    def retrying(self) -> Retrying:
        return Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential(multiplier=self.backoff, max=self.max_backoff),
            retry=retry_if_exception(lambda exc: isinstance(exc, ProfileError) and exc.retryable),
            reraise=True,
        )


class CircuitBreaker:
    """Opens after ``threshold`` consecutive failures; then every further use fails at once with the reason."""

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self.consecutive = 0
        self.last_reason = ""

    @property
    def is_open(self) -> bool:
        return self.consecutive >= self.threshold

    def success(self) -> None:
        self.consecutive = 0

    def failure(self, reason: str) -> None:
        self.consecutive += 1
        self.last_reason = reason
