"""What verification is asked to do and what it found about a clone. Plain data that imports nothing of ours:
the profile records it, ``verify/`` produces it, and it crosses xdist's channel as dicts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class VerificationMethod(str, Enum):
    """A way to prove a clone works: on disk, in the browser's capabilities, or by being signed in."""

    FILES = "files"
    CAPABILITIES = "capabilities"
    AUTH = "auth"


class VerificationStatus(str, Enum):
    PASSED = "passed"
    FAILED = "failed"  # a critical method failed: the clone must not be used
    DEGRADED = "degraded"  # a non-critical method failed: the clone is used, with a warning
    SKIPPED = "skipped"


@dataclass(frozen=True)
class VerificationConfig:
    """Which methods run, which of them are critical, and the auth check's target."""

    methods: tuple[VerificationMethod, ...] = (VerificationMethod.FILES, VerificationMethod.CAPABILITIES)
    critical: frozenset[VerificationMethod] = frozenset(VerificationMethod)
    auth_url: str | None = None
    auth_cookie: str | None = None
    auth_selector: str | None = None
    timeout: float = 60.0

    @classmethod
    def from_names(cls, names: tuple[str, ...], **kwargs: Any) -> VerificationConfig:
        return cls(methods=tuple(VerificationMethod(name) for name in names), **kwargs)


@dataclass(frozen=True)
class MethodResult:
    status: VerificationStatus
    duration: float = 0.0
    reason: str = ""


@dataclass
class VerificationResult:
    """Each method's result; the overall status is the worst of them (failed > degraded > passed)."""

    results: dict[VerificationMethod, MethodResult] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)  # browser and driver versions

    @property
    def status(self) -> VerificationStatus:
        statuses = {r.status for r in self.results.values()}
        for worst in (VerificationStatus.FAILED, VerificationStatus.DEGRADED, VerificationStatus.PASSED):
            if worst in statuses:
                return worst
        return VerificationStatus.SKIPPED

    @property
    def failure(self) -> str | None:
        """The first critical failure's reason, if any."""
        for method, result in self.results.items():
            if result.status is VerificationStatus.FAILED:
                return f"{method.value} check failed: {result.reason}"
        return None

    def warnings(self) -> list[str]:
        return [
            f"{m.value} check degraded: {r.reason}"
            for m, r in self.results.items()
            if r.status is VerificationStatus.DEGRADED
        ]

    def as_dict(self) -> dict[str, str]:
        return {method.value: result.status.value for method, result in self.results.items()}

    def as_report(self) -> dict[str, Any]:
        return {
            method.value: {"status": r.status.value, "duration": round(r.duration, 4), "reason": r.reason}
            for method, r in self.results.items()
        }

    def __eq__(self, other: object) -> bool:
        # Compared with a plain {"files": "passed"} mapping in user code and tests.
        if isinstance(other, Mapping):
            return self.as_dict() == dict(other)
        if isinstance(other, VerificationResult):
            return self.results == other.results
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]
