"""The auth check proves each worker's browser is signed in before its first test, and names a logged-out base."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from demo.site import token_for
from pytest_edgeprofile.verify import LOGGED_OUT_CAUSES
from tests.support.checks import leftover_processes
from tests.support.inner import run_inner

pytestmark = pytest.mark.browser


def auth_args(site_url: str) -> tuple[str, ...]:
    return (
        "--edgeprofile-auth-url",
        f"{site_url}/account",
        "--edgeprofile-auth-cookie",
        "demo_session",
        "--edgeprofile-auth-selector",
        "#account",
    )


def test_auth_check_passes_on_a_logged_in_base(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    base_profile: Path,
    clone_root: Path,
    plugin_env: dict[str, str],
) -> None:
    result, records = run_inner(
        pytester,
        monkeypatch,
        base_profile,
        clone_root,
        "-n",
        "2",
        *auth_args(plugin_env["EDGEPROFILE_TEST_SITE"]),
        count=3,
    )
    result.assert_outcomes(passed=3)
    assert all(r["verification"] == {"files": "passed", "capabilities": "passed", "auth": "passed"} for r in records)

    # Observability: JSON-lines events per process, and the metrics for CI; never a cookie value.
    output = pytester.path / "edgeprofile-results"
    logs = {
        p.stem: [json.loads(line) for line in p.read_text().splitlines()] for p in (output / "logs").glob("*.jsonl")
    }
    assert {"controller", "gw0", "gw1"} <= set(logs)
    for worker in ("gw0", "gw1"):
        events = {e["event"] for e in logs[worker]}
        assert {"clone", "verify", "start"} <= events
        assert all(e["worker"] == worker and e["run"] for e in logs[worker])
    assert "verify_golden" in {e["event"] for e in logs["controller"]}
    metrics = json.loads((output / "edgeprofile-metrics.json").read_text())
    by_worker = {w["worker"]: w for w in metrics["workers"]}
    assert by_worker["gw0"]["verification"]["auth"]["status"] == "passed"
    assert by_worker["gw0"]["metrics"]["browser_starts"] >= 1 and by_worker["controller"]["metrics"]["golden_files"]
    secret = token_for("alice")
    everything = result.stdout.str() + result.stderr.str() + "".join(p.read_text() for p in output.rglob("*.json*"))
    assert secret not in everything
    result.stdout.fnmatch_lines(["worker  clone s  files*verified", "gw0 *passed", "gw1 *passed"])
    result.stdout.fnmatch_lines(["clones: 2 made, removed with the golden copy and *; browsers left running: 0"])


def test_a_logged_out_base_stops_the_run_before_any_test_with_one_sentence_and_no_cookie_value(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    base_copy: Path,
    clone_root: Path,
    plugin_env: dict[str, str],
) -> None:
    with sqlite3.connect(base_copy / "Default" / "Cookies") as db:
        db.execute("DELETE FROM cookies")
    site = plugin_env["EDGEPROFILE_TEST_SITE"]
    result, records = run_inner(pytester, monkeypatch, base_copy, clone_root, "-n", "2", *auth_args(site), count=3)
    assert result.ret == pytest.ExitCode.USAGE_ERROR and records == []
    assert result.stderr.lines[0] == (
        f"ERROR: pytest-edgeprofile: the golden copy of {base_copy} failed the auth check, so no test was run: "
        f"opening the auth URL {site}/account led to {site}/login instead: the clone is not logged in. "
        + LOGGED_OUT_CAUSES
    )
    assert "workers" not in result.stdout.str(), "no worker may start"
    assert token_for("alice") not in result.stdout.str() + result.stderr.str()
    assert list(clone_root.iterdir()) == [] and leftover_processes(clone_root) == []
