"""The examples are real suites: each runs here against the logged-in base profile, so none can rot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.browsers import QUIET_ARGS, plugin_args
from tests.support.checks import leftover_processes

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parent.parent

EXAMPLES = {
    "one_worker": ((), 2),
    "parallel": (("-n", "6"), 12),
    "auth_check": (("-n", "2", "-c", "examples/auth_check/pytest.ini"), 1),
    "recovery": (("-n", "0"), 2),
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_suite_passes(name: str, base_profile: Path, tmp_path: Path) -> None:
    args, passed = EXAMPLES[name]
    clone_root = tmp_path / "clones"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_XDIST", "PYTEST_ADDOPTS"))}
    env["PYTEST_EDGEPROFILE_ARG"] = QUIET_ARGS
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            f"examples/{name}",
            *args,
            "-p",
            "no:cacheprovider",
            "-q",
            *plugin_args(base_profile, clone_root),
            "--edgeprofile-output",
            str(tmp_path / "results"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert f"{passed} passed" in done.stdout
    assert list(clone_root.iterdir()) == [] and leftover_processes(clone_root) == []
