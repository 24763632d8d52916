"""Retries only where a fresh clone can help; the circuit breaker opens after consecutive failures."""

from __future__ import annotations

import pytest

from pytest_edgeprofile.errors import (
    BrowserNotFoundError,
    BrowserStartError,
    CloneError,
    ProfileCorruptError,
    ProfileError,
    ProfileNotFoundError,
    VerificationError,
)
from pytest_edgeprofile.resilience import CircuitBreaker, RetryConfig


def attempts_for(error: ProfileError) -> int:
    calls = 0
    with pytest.raises(type(error)):
        for attempt in RetryConfig(backoff=0).retrying():
            with attempt:
                calls += 1
                raise error
    return calls


@pytest.mark.parametrize("error", [BrowserStartError("did not start"), VerificationError("bad clone")])
def test_errors_a_fresh_clone_can_fix_are_retried(error: ProfileError) -> None:
    assert attempts_for(error) == 3


@pytest.mark.parametrize(
    "error",
    [
        ProfileNotFoundError("no base"),
        ProfileCorruptError("damaged base"),
        CloneError("no room"),
        BrowserNotFoundError("no driver"),
        ProfileError("breaker open"),
    ],
)
def test_errors_a_fresh_clone_cannot_fix_fail_at_once(error: ProfileError) -> None:
    assert attempts_for(error) == 1


def test_a_golden_copy_failure_is_not_retried() -> None:
    error = VerificationError("the golden copy failed")
    error.retryable = False
    assert attempts_for(error) == 1


def test_breaker_opens_after_the_threshold_and_a_success_resets_it() -> None:
    breaker = CircuitBreaker(2)
    breaker.failure("one")
    breaker.success()
    breaker.failure("two")
    assert not breaker.is_open
    breaker.failure("three")
    assert breaker.is_open and breaker.last_reason == "three"
