"""What a clone and its browsers cost, as typed fields: counted where things happen, reported as plain data.

``WorkerMetrics`` is one process's clone; ``GoldenMetrics`` the run's golden copy. Both turn into the same plain
dicts (``as_report``) that cross xdist's channel and land in ``edgeprofile-metrics.json``; the summary table's
columns come from the fields that carry a ``column`` title, in field order.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from .profile.copying import CopyStats
from .profile.verification import VerificationResult


def _column(title: str) -> Any:
    return field(default=None, metadata={"column": title})


@dataclass
class GoldenMetrics:
    """The golden copy, as made by the one process that made it."""

    golden_seconds: float
    golden_files: int
    golden_bytes: int
    skipped_entries: int
    golden_method: str
    links_skipped: list[str] = field(default_factory=list)  # links in the base, never followed nor copied

    @classmethod
    def from_stats(cls, stats: CopyStats, seconds: float, never_copied: frozenset[str] = frozenset()) -> GoldenMetrics:
        links = [link for link in stats.links_skipped if link.rsplit("/", 1)[-1] not in never_copied]
        return cls(round(seconds, 4), stats.files, stats.bytes, len(stats.skipped), stats.method, links)

    def as_report(self) -> dict[str, Any]:
        report: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        if not self.links_skipped:
            del report["links_skipped"]
        return report


@dataclass
class WorkerMetrics:
    """One clone's costs and events; ``None`` means "did not happen" and is left out of the report."""

    clone_seconds: float | None = _column("clone s")
    clone_files: int | None = _column("files")
    clone_bytes: int | None = _column("MB")
    clone_method: str | None = _column("how")
    verify_files_seconds: float | None = _column("files s")
    verify_capabilities_seconds: float | None = _column("caps s")
    verify_auth_seconds: float | None = _column("auth s")
    browser_starts: int | None = _column("starts")
    blank_starts: int | None = _column("blank")  # starts that opened the run's blank tab (browser.blank_tab)
    browser_deaths: int | None = _column("deaths")
    reclones: int | None = _column("reclones")
    restores: int | None = _column("restores")
    clone_attempts: int | None = None
    restore_seconds: float | None = None
    blank_tab_wait_seconds: float | None = None  # a worker's one wait for the run's blank tab
    browser_version: str | None = None
    driver_version: str | None = None
    grid_nodes: list[str] | None = None  # the Grid nodes this worker's browsers ran on
    golden: GoldenMetrics | None = None  # only in the process that made the golden copy

    def count(self, name: str, seconds: float | None = None) -> int:
        """Add one to the counter ``name`` (and ``seconds`` to its ``*_seconds`` partner); returns the new count."""
        value = (getattr(self, name) or 0) + 1
        setattr(self, name, value)
        if seconds is not None:
            partner = name.rstrip("s") + "_seconds"
            setattr(self, partner, round((getattr(self, partner) or 0.0) + seconds, 4))
        return int(value)

    def record_clone(self, stats: CopyStats) -> None:
        self.clone_seconds, self.clone_files = round(stats.seconds, 4), stats.files
        self.clone_bytes, self.clone_method = stats.bytes, stats.method

    def record_verification(self, result: VerificationResult) -> None:
        """Each method's duration, and the versions the capabilities check read."""
        for method, method_result in result.results.items():
            setattr(self, f"verify_{method.value}_seconds", round(method_result.duration, 4))
        self.browser_version = result.details.get("browser_version", self.browser_version)
        self.driver_version = result.details.get("driver_version", self.driver_version)

    def as_report(self) -> dict[str, Any]:
        """The plain dict of the JSON report (the field names are its keys)."""
        report: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, GoldenMetrics):
                report.update(value.as_report())
            elif value is not None:
                report[item.name] = value
        return report

    # Read like the mapping it was before (``edge_profile.metrics.get("reclones", 0)`` in users' tests).
    def get(self, key: str, default: Any = None) -> Any:
        return self.as_report().get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self.as_report()[key]

    def __contains__(self, key: object) -> bool:
        return key in self.as_report()

    def __iter__(self) -> Iterator[str]:
        return iter(self.as_report())


def columns() -> list[tuple[str, str]]:
    """The summary table's (title, key) pairs: worker, each titled field in order, then the clone's verification."""
    titled = [(f.metadata["column"], f.name) for f in fields(WorkerMetrics) if "column" in f.metadata]
    return [("worker", "worker"), *titled, ("verified", "status")]


def cell(metrics: Mapping[str, Any], key: str) -> str:
    """One metric as the table shows it: megabytes, seconds with two decimals, "-" when absent."""
    value = metrics.get(key)
    if value is None:
        return "-"
    if key.endswith("_bytes"):
        return f"{float(value) / 1e6:.1f}"
    if key.endswith("_seconds"):
        return f"{float(value):.2f}"
    return str(value)
