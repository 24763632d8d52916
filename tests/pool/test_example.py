"""examples/pool runs here against the signed-in base, so it cannot rot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.browsers import TEST_BROWSER
from tests.support.checks import leftover_processes

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parent.parent.parent


def test_the_pool_example_sees_every_page_signed_in_from_four_workers(base_profile: Path, tmp_path: Path) -> None:
    clone_root = tmp_path / "clones"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "examples.pool.signed_in",
            "--user-data-dir",
            str(base_profile),
            "--browser",
            TEST_BROWSER,
            "--clone-root",
            str(clone_root),
            "--output",
            str(tmp_path / "results"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert sum("'Signed in as alice'" in line for line in lines) == 8, done.stdout
    assert "8 tasks on 4 clones" in done.stdout
    assert sum("profile_ready" in line for line in lines) == 4
    assert list(clone_root.iterdir()) == [] and leftover_processes(clone_root) == []
