"""The event log: JSON lines in its own private file, never in a failed test's report."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from pytest_edgeprofile.log import LOGGER_NAME, close_event_log, get_logger, open_event_log
from tests.support.systems import POSIX_MODES


def test_events_go_to_their_file_and_not_to_pytests_log_capture(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # capture all that pytest can see, as a failure report would show it
    path = tmp_path / "logs" / "gw0.jsonl"
    handler = open_event_log(path)
    try:
        get_logger(worker="gw0", run="r1").info("start", seconds=0.5)
    finally:
        close_event_log(handler)
    event = json.loads(path.read_text(encoding="utf-8"))
    assert (event["event"], event["worker"], event["seconds"]) == ("start", "gw0", 0.5)
    assert [r for r in caplog.records if r.name == LOGGER_NAME] == []
    assert "start" not in caplog.text
    if POSIX_MODES:  # Windows: the user profile's ACLs, no file modes
        assert path.stat().st_mode & 0o777 == 0o600
    assert LOGGER_NAME not in logging.root.manager.loggerDict, "the event logger stays out of the logging tree"


def test_a_failed_tests_report_holds_no_event_lines(pytester: pytest.Pytester) -> None:
    """As a failed test whose browser started shows it: events sent during the test, the file open or not."""
    pytester.makepyfile(
        """
        from pytest_edgeprofile.log import get_logger

        def test_fails():
            get_logger(worker="main").info("start", seconds=0.1)
            get_logger(worker="main").warning("restart", reason="died")
            assert False, "the test's own failure"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist", "--log-level=DEBUG")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "the test's own failure" in out
    assert '{"event"' not in out and "pytest_edgeprofile" not in out.split("short test summary")[0]
