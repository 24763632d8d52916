"""Typed metrics: counted where things happen, reported as the plain dicts the summary and the JSON file read."""

from __future__ import annotations

from pytest_edgeprofile.metrics import GoldenMetrics, WorkerMetrics, cell, columns
from pytest_edgeprofile.profile.copying import CopyStats
from pytest_edgeprofile.profile.verification import (
    MethodResult,
    VerificationMethod,
    VerificationResult,
    VerificationStatus,
)
from pytest_edgeprofile.report import summary_lines


def test_the_summary_columns_are_the_titled_fields_in_order_between_worker_and_verified() -> None:
    assert columns() == [
        ("worker", "worker"),
        ("clone s", "clone_seconds"),
        ("files", "clone_files"),
        ("MB", "clone_bytes"),
        ("how", "clone_method"),
        ("files s", "verify_files_seconds"),
        ("caps s", "verify_capabilities_seconds"),
        ("auth s", "verify_auth_seconds"),
        ("starts", "browser_starts"),
        ("blank", "blank_starts"),
        ("deaths", "browser_deaths"),
        ("reclones", "reclones"),
        ("restores", "restores"),
        ("verified", "status"),
    ]


def test_counters_add_up_and_what_never_happened_is_left_out_of_the_report() -> None:
    metrics = WorkerMetrics()
    assert metrics.as_report() == {}
    assert metrics.count("browser_starts") == 1 and metrics.count("browser_starts") == 2
    metrics.count("restores", 0.25)
    metrics.count("restores", 0.5)
    assert metrics.as_report() == {"browser_starts": 2, "restores": 2, "restore_seconds": 0.75}
    assert metrics.get("reclones", 0) == 0 and metrics["browser_starts"] == 2 and "restores" in metrics


def test_clone_verification_and_golden_copy_land_under_their_report_keys() -> None:
    metrics = WorkerMetrics()
    metrics.record_clone(CopyStats(files=83, bytes=800_000, seconds=0.012345, methods={"copy_file_range": 83}))
    result = VerificationResult()
    result.results[VerificationMethod.FILES] = MethodResult(VerificationStatus.PASSED, 0.01)
    result.details.update(browser_version="156.0", driver_version="156.0.1")
    metrics.record_verification(result)
    stats = CopyStats(files=83, bytes=800_000, seconds=0.02, methods={"copy_file_range": 83})
    stats.skipped.extend(["Default/Cache", "Default/Code Cache"])
    stats.links_skipped.extend(["Default/stray link", "SingletonLock"])
    metrics.golden = GoldenMetrics.from_stats(stats, 0.03, frozenset({"SingletonLock"}))
    report = metrics.as_report()
    assert report == {
        "clone_seconds": 0.0123,
        "clone_files": 83,
        "clone_bytes": 800_000,
        "clone_method": "copy_file_range",
        "verify_files_seconds": 0.01,
        "browser_version": "156.0",
        "driver_version": "156.0.1",
        "golden_seconds": 0.03,
        "golden_files": 83,
        "golden_bytes": 800_000,
        "skipped_entries": 2,
        "golden_method": "copy_file_range",
        "links_skipped": ["Default/stray link"],  # a list, never a joined string to be split again
    }
    assert [cell(report, key) for key in ("clone_bytes", "clone_seconds", "reclones")] == ["0.8", "0.01", "-"]
    lines = summary_lines([{"worker": "gw0", "clone": "/c/gw0", "status": "passed", "metrics": report}])
    assert lines[0].startswith("golden copy by gw0: 83 files, 0.8 MB kept, 2 cache folders")
    assert lines[1].split() == [title for title, _key in columns() for title in title.split()]
    assert lines[2].split() == ["gw0", "0.01", "83", "0.8", "copy_file_range", "0.01", *["-"] * 7, "passed"]
