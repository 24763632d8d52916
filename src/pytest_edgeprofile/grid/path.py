"""``grid-profile path``: proof that a node's browser really runs on the worker's clone.

The node's driver echoes the ``--user-data-dir`` it was given (``capabilities['chrome']['userDataDir']``) even when
the node cannot see that folder; its browser then silently makes a new, empty profile there, and every test runs
logged out. The proof used here: a file with a random token, written into the clone, read back by the remote
browser over ``file://``. Only a browser that sees the clone can show it.
"""

from __future__ import annotations

import contextlib
import secrets
from pathlib import Path
from typing import Any

from ..errors import VerificationError
from ..profile.run import write_private

CHECK = "grid-path"
TOKEN_PREFIX = ".edgeprofile-visible-"


def check_clone_visible(driver: Any, clone: Path, clone_root: Path, node_uri: str | None = None) -> None:
    """Raise VerificationError (critical, one sentence naming the node and the clone) unless the browser of
    ``driver`` reads a token file written into ``clone`` just now. Leaves the browser on ``about:blank``."""
    name = f"{TOKEN_PREFIX}{secrets.token_hex(8)}.txt"
    token = secrets.token_hex(16)
    probe = clone / name
    write_private(probe, token.encode("ascii"))
    try:
        driver.get(probe.as_uri())
        shown = str(driver.execute_script("return document.body ? document.body.innerText : ''") or "").strip()
    except Exception:  # the browser refused or failed the file:// page: it does not show the token either
        shown = ""
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()
        with contextlib.suppress(Exception):
            driver.get("about:blank")
    if shown != token:
        node = f"the Grid node {node_uri}" if node_uri else "the Grid node running this session"
        raise VerificationError(
            f"{node} cannot see the clone {clone} (grid-profile path): its browser did not find a file written "
            f"there just now, so it would run on an empty profile, signed out; mount the clone root "
            f"{clone_root} on every node at the same path, readable and writable by the node's "
            "user, or use grid-profile inject.",
            clone,
            CHECK,
        )
