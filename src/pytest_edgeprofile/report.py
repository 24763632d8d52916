"""The end-of-run report: what each worker's clone cost and how it was verified, as a table and as JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .metrics import cell, columns
from .profile.run import write_private

if TYPE_CHECKING:
    from .coordinator import Cleanup
    from .profile.manager import WorkerProfile

COLUMNS = columns()  # (title, key): the worker, each metric field with a column title, the verification


def worker_report(worker_id: str, profile: WorkerProfile | None, failure: str | None) -> dict[str, Any]:
    """What a worker sends the controller at its end (plain data: it crosses xdist's channel)."""
    report: dict[str, Any] = {"worker": worker_id, "failure": failure}
    if profile is not None:
        report.update(
            clone=str(profile.user_data_dir),
            verification=profile.verification.as_report(),
            status=profile.verification.status.value,
            metrics=profile.metrics.as_report(),
        )
    return report


def _cell(report: Mapping[str, Any], key: str) -> str:
    if key == "worker":
        return str(report["worker"])
    if key == "status":  # the clone's verification, not the tests' outcome
        return "FAILED" if report.get("failure") else str(report.get("status", ""))
    return cell(report.get("metrics") or {}, key)


def summary_lines(reports: Sequence[Mapping[str, Any]]) -> list[str]:
    """The golden copy in one line, then a table with a row per worker, then each failure or warning."""
    ordered = sorted(reports, key=lambda r: str(r.get("worker")))
    lines = []
    for report in ordered:
        metrics = report.get("metrics") or {}
        if "golden_files" in metrics:
            lines.append(
                f"golden copy by {report['worker']}: {metrics['golden_files']} files, "
                f"{float(metrics['golden_bytes']) / 1e6:.1f} MB kept, {metrics['skipped_entries']} cache folders, "
                "other profiles and lock files left out unread, "
                f"{float(metrics['golden_seconds']):.2f} s"
            )
    ordered = [r for r in ordered if r.get("clone") or r.get("failure")]
    if not ordered:
        return lines
    rows = [[title for title, _key in COLUMNS]] + [[_cell(r, key) for _title, key in COLUMNS] for r in ordered]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines += ["  ".join(text.ljust(width) for text, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    failures: dict[str, list[str]] = {}  # the same sentence from several workers is said once, naming them all
    for report in ordered:
        if report.get("failure"):
            failures.setdefault(str(report["failure"]), []).append(str(report["worker"]))
    lines += [f"{', '.join(workers)}: {failure}" for failure, workers in failures.items()]
    for report in ordered:
        nodes = (report.get("metrics") or {}).get("grid_nodes")
        if nodes:
            lines.append(f"{report['worker']}: browsers on the Grid node(s) {', '.join(nodes)}")
        for method, result in (report.get("verification") or {}).items():
            if result.get("status") == "degraded":
                lines.append(f"{report['worker']}: WARNING: the {method} check degraded: {result.get('reason')}")
    return lines


def clones_lines(cleanup: Cleanup, reports: Sequence[Mapping[str, Any]], keep: str) -> list[str]:
    """What the end of the run did with the clones the test processes reported (a crashed worker's clone is
    removed but not counted)."""
    count = sum(1 for report in reports if report.get("clone"))
    if cleanup.kept:
        return [f"clones: {count} kept in {cleanup.path} (keep {keep}); browsers left running: {cleanup.browsers_left}"]
    if cleanup.removal is not None and cleanup.removal.removed:
        return [
            f"clones: {count} made, removed with the golden copy and {cleanup.path} "
            f"({len(cleanup.removal.ended_pids)} processes ended); browsers left running: {cleanup.browsers_left}"
        ]
    return []


def write_json(path: Path, run_id: str, reports: Sequence[Mapping[str, Any]]) -> None:
    """The same report for CI, at ``<output>/edgeprofile-metrics.json``."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    ordered = sorted(reports, key=lambda r: str(r.get("worker")))
    write_private(path, json.dumps({"run_id": run_id, "workers": ordered}, indent=2, default=str).encode("utf-8"))
