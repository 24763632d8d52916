"""The ``edgeprofile`` command as the CLI tests run it: in a fresh process, with no setting from this one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.browsers import TEST_BROWSER


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any PYTEST_EDGEPROFILE_* setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_EDGEPROFILE_")}
    return {**env, **extra}


def cli(
    *args: str, env: dict[str, str] | None = None, stdin: str = "", timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python -m pytest_edgeprofile ARGS`` in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "pytest_edgeprofile", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or clean_env(),
        check=False,
    )


def chromium_args(user_data_dir: Path, chromium: tuple[Path, Path], clone_root: Path) -> list[str]:
    """The command's options for the browser under test ((binary, driver)), the base and the clone root."""
    return [
        "--browser",
        TEST_BROWSER,
        "--user-data-dir",
        str(user_data_dir),
        "--binary",
        str(chromium[0]),
        "--driver",
        str(chromium[1]),
        "--clone-root",
        str(clone_root),
    ]
