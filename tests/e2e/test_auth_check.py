"""The auth check proves each worker's browser is signed in before its first test, and names a logged-out base."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from demo.site import token_for
from tests.e2e.test_parallel_clones import run_inner
from tests.support.checks import leftover_processes

pytestmark = pytest.mark.browser


def auth_args(site_url: str) -> tuple[str, ...]:
    return ("--edgeprofile-auth-url", f"{site_url}/account", "--edgeprofile-auth-cookie", "demo_session",
            "--edgeprofile-auth-selector", "#account")


def test_auth_check_passes_on_a_logged_in_base(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, base_profile: Path, clone_root: Path,
    plugin_env: dict[str, str],
) -> None:
    result, records = run_inner(pytester, monkeypatch, base_profile, clone_root, "-n", "2",
                                *auth_args(plugin_env["EDGEPROFILE_TEST_SITE"]), count=3)
    result.assert_outcomes(passed=3)
    assert all(r["verification"] == {"files": "passed", "capabilities": "passed", "auth": "passed"} for r in records)


def test_a_logged_out_base_is_named_in_one_sentence_without_the_cookie_value(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, base_copy: Path, clone_root: Path,
    plugin_env: dict[str, str],
) -> None:
    with sqlite3.connect(base_copy / "Default" / "Cookies") as db:
        db.execute("DELETE FROM cookies")
    site = plugin_env["EDGEPROFILE_TEST_SITE"]
    result, records = run_inner(pytester, monkeypatch, base_copy, clone_root, "-n", "2", *auth_args(site), count=3)
    assert result.parseoutcomes().get("errors") == 3 and records == []
    result.stdout.fnmatch_lines([
        f"*pytest-edgeprofile: opening the auth URL {site}/account led to {site}/login instead: the clone is not "
        "logged in. Likely causes: the base itself is not logged in;*"
    ])
    assert token_for("alice") not in result.stdout.str() + result.stderr.str()
    assert list(clone_root.iterdir()) == [] and leftover_processes(clone_root) == []
