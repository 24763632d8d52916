"""`make demo`: log in once into a demo base profile, then run the demo suite on six workers and show it.

python -m demo.run [extra pytest arguments]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from demo.baseprofile import make_base_profile
from demo.site import SESSION_COOKIE, LoginSite

DEMO = Path(__file__).parent
BASE = DEMO / ".profile" / "User Data"


def ensure_base_profile() -> None:
    if (BASE / "Local State").is_file():
        print(f"demo base profile: {BASE} (already logged in)")
        return
    site = LoginSite().start()
    try:
        make_base_profile(BASE, site.url)
    finally:
        site.stop()
    print(f"demo base profile: {BASE} (logged in once, just now)")


def pytest_args(site_url: str) -> list[str]:
    """The demo run's pytest arguments: six workers, and the auth check, so each worker proves its clone is
    signed in (the account page, its heading, the session cookie) before its first test."""
    return [
        "-n",
        "6",
        "-v",
        "-p",
        "no:cacheprovider",
        f"--edgeprofile-auth-url={site_url}/account",
        "--edgeprofile-auth-selector=#account",
        f"--edgeprofile-auth-cookie={SESSION_COOKIE}",
    ]


def main() -> int:
    ensure_base_profile()
    site = LoginSite().start()  # the auth check's page; cookies are not per port, so the workers' sites agree
    try:
        command = [sys.executable, "-m", "pytest", *pytest_args(site.url), *sys.argv[1:]]
        print("running:", " ".join(command[2:]), f"(in {DEMO})", flush=True)
        return subprocess.call(command, cwd=DEMO)
    finally:
        site.stop()


if __name__ == "__main__":
    sys.exit(main())
