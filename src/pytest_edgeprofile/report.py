"""The end-of-run summary: one line per worker clone, from the reports workers send to the controller."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .profile.manager import WorkerProfile


def worker_report(worker_id: str, profile: WorkerProfile | None, failure: str | None) -> dict[str, Any]:
    """What a worker sends the controller at its end (plain data: it crosses xdist's channel)."""
    report: dict[str, Any] = {"worker": worker_id, "failure": failure}
    if profile is not None:
        report.update(clone=str(profile.user_data_dir), verification=profile.verification.as_dict(),
                      metrics=dict(profile.metrics))
    return report


def _mb(value: object) -> str:
    return f"{float(str(value or 0)) / 1e6:.1f} MB"


def summary_lines(reports: Sequence[Mapping[str, Any]]) -> list[str]:
    """Human lines: the golden copy once, then each worker's clone, verification and browser starts."""
    lines = []
    for report in sorted(reports, key=lambda r: str(r.get("worker"))):
        metrics = report.get("metrics") or {}
        if "golden_files" in metrics:
            lines.append(
                f"golden copy by {report['worker']}: {metrics['golden_files']} files, {_mb(metrics['golden_bytes'])} "
                f"kept, {metrics['skipped_files']} files / {_mb(metrics['skipped_bytes'])} of caches skipped, "
                f"{metrics['golden_seconds']:.2f} s"
            )
    for report in sorted(reports, key=lambda r: str(r.get("worker"))):
        if report.get("failure"):
            lines.append(f"{report['worker']}: FAILED: {report['failure']}")
            continue
        if not report.get("clone"):
            continue
        metrics = report.get("metrics") or {}
        checks = "+".join(name for name, status in (report.get("verification") or {}).items() if status == "passed")
        lines.append(
            f"{report['worker']}: clone {metrics.get('clone_files')} files, {_mb(metrics.get('clone_bytes'))} by "
            f"{metrics.get('clone_method')} in {float(metrics.get('clone_seconds', 0)):.2f} s; verified "
            f"{checks or 'nothing'}; {metrics.get('browser_starts', 0)} browser starts"
        )
    return lines
