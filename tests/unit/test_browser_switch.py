"""The one switch that picks the browser of the real-browser tests (what the CI workflow sets per job)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.browsers import SWITCH, switch_value

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.parametrize(
    ("raw", "kind"),
    [(None, "chromium"), ("", "chromium"), (" Edge ", "edge"), ("chrome", "chrome"), ("chromium", "chromium")],
)
def test_the_switch_names_the_browser_chromium_by_default(raw: str | None, kind: str) -> None:
    assert switch_value({} if raw is None else {SWITCH: raw}) == kind


def test_a_bad_switch_value_stops_the_run_with_one_sentence(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/unit/test_progress.py",
        ],
        cwd=ROOT,
        env={**_env(), SWITCH: "firefox"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, done.stdout + done.stderr
    assert f"ERROR: {SWITCH} is 'firefox'; use one of: chromium, chrome, edge." in done.stderr


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_XDIST", "PYTEST_ADDOPTS"))}
