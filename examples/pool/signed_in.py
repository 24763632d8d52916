"""Without pytest: four worker processes at once, each with its own signed-in clone and browser; what each saw.

    python -m examples.pool.signed_in [--user-data-dir "demo/.profile/User Data"] [--browser chromium] [--headed]

Without --user-data-dir it signs in once into the demo base profile (demo/.profile, as `make demo` does). Run it
from the repository's root. With --headed the four windows open side by side.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By

from demo.baseprofile import CLOSED_NETWORK_ARGS
from demo.run import BASE, ensure_base_profile
from demo.site import LoginSite
from pytest_edgeprofile import PoolEvent, ProfileAwareWorkerPool


def whoami(driver: Any, site_url: str, page: int) -> dict[str, Any]:
    """A task: runs in a worker process, with that worker's browser on its own clone."""
    driver.get(f"{site_url}/account?page={page}")
    heading = driver.find_elements(By.ID, "account")
    clone = next(v["userDataDir"] for v in driver.capabilities.values() if isinstance(v, dict) and "userDataDir" in v)
    return {"page": page, "saw": heading[0].text if heading else "NOT signed in", "clone": clone, "pid": os.getpid()}


def show(event: PoolEvent) -> None:
    if event.kind in ("profile_ready", "worker_replaced", "worker_remediated"):
        print(f"  [{event.worker}] {event.kind} {dict(event.data)}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--user-data-dir", type=Path, help="a base 'User Data' signed in to the demo site")
    parser.add_argument("--browser", default="chromium")
    parser.add_argument("--clone-root", type=Path)
    parser.add_argument("--output", type=Path, default=Path("edgeprofile-results"))
    parser.add_argument("--headed", action="store_true")
    parser.add_argument("--tasks", type=int, default=8)
    args = parser.parse_args(argv)
    if args.user_data_dir is None:
        ensure_base_profile()
    site = LoginSite().start()  # cookies are not per port: the base's session cookie works on this one too
    try:
        with ProfileAwareWorkerPool(
            workers=4,
            browser=args.browser,
            user_data_dir=args.user_data_dir or BASE,
            clone_root=args.clone_root,
            output=args.output,
            headed=args.headed,
            arg=list(CLOSED_NETWORK_ARGS),  # this machine's network is closed; drop on yours
            on_event=show,
        ) as pool:
            results = list(pool.map(whoami, [site.url] * args.tasks, range(args.tasks)))
    finally:
        site.stop()
    for result in results:
        print(f"page {result['page']}: {result['saw']!r} (pid {result['pid']}, clone {result['clone']})")
    clones = {result["clone"] for result in results}
    print(f"{len(results)} tasks on {len(clones)} clones; every clone and browser removed when the pool ended")
    return 0 if all(result["saw"] == "Signed in as alice" for result in results) else 1


if __name__ == "__main__":  # required: each worker process imports this module (multiprocessing's spawn)
    sys.exit(main())
