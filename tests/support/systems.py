"""What a test needs from the operating system, said once: each skip names the system it cannot run on, and why.

The CI workflow runs the suite on Linux, Windows and macOS; nothing here is allowed to be Linux-only in silence.
"""

from __future__ import annotations

import os
import sys

import pytest

WINDOWS = sys.platform == "win32"
LINUX = sys.platform.startswith("linux")
# Windows has no POSIX file modes (a folder made 0700 reads back 0777): privacy there comes from the user
# profile's ACLs, so a test checks 0600/0700 only where modes exist.
POSIX_MODES = os.name != "nt"


def not_on_windows(why: str) -> pytest.MarkDecorator:
    """Skip on Windows, saying so: ``why`` is what Windows lacks or does differently."""
    return pytest.mark.skipif(WINDOWS, reason=f"not on Windows: {why}")


def linux_only(why: str) -> pytest.MarkDecorator:
    """Skip on every system but Linux, saying which one this is and why."""
    return pytest.mark.skipif(not LINUX, reason=f"Linux only (this is {sys.platform}): {why}")
