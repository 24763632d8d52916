"""Side-by-side benchmark of the Selenium Grid: the same logged-in suite at `pytest -n 4` on local browsers and
through a real Grid 4 on this machine (a hub and two nodes, 2 slots each), in both grid-profile modes.

    python -m benchmarks.grid [--rounds 3] [--tests 16]

Needs Java and the server jar (`make grid-deps`). Prints medians and the ratios against the target
(Grid inject / local <= 1.3).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
from pathlib import Path

from benchmarks.run import ratio, run_rounds, run_suite, verdict
from demo.baseprofile import make_base_profile
from demo.site import LoginSite
from tests.support.browsers import resolve_test_browser
from tests.support.grid import LocalGrid, missing_parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tests", type=int, default=16)
    args = parser.parse_args()
    missing = missing_parts()
    if missing:
        raise SystemExit(f"no Selenium Grid here: {missing}")
    work = Path(tempfile.mkdtemp(prefix="edgeprofile-bench-grid-"))
    browser = resolve_test_browser("chromium")
    grid = LocalGrid(work / "grid", browser.binary, browser.driver_path, browser.kind)
    try:
        site = LoginSite().start()
        try:
            base = make_base_profile(work / "base" / "User Data", site.url)
        finally:
            site.stop()
        grid.start()
        clones, n = work / "clones", args.tests

        def on_grid(mode: str) -> float:
            grid_args = ("--edgeprofile-grid-url", grid.url, "--edgeprofile-grid-profile", mode)
            return run_suite("plugin", base, clones, *grid_args, tests=n, workers=4)

        print(f"pytest -n 4, {n} logged-in tests, local browsers vs the Grid ({grid.url}):")
        times = run_rounds(
            args.rounds,
            {
                "local": lambda: run_suite("plugin", base, clones, tests=n, workers=4),
                "grid inject": lambda: on_grid("inject"),
                "grid path": lambda: on_grid("path"),
            },
        )
    finally:
        grid.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nresults (medians of {args.rounds} rounds; ratios are medians of the per-round ratios)")
    for name, values in times.items():
        print(f"  {name:<14} {statistics.median(values):7.2f} s   (rounds {min(values):.2f} to {max(values):.2f})")
    inject, path = ratio(times, "grid inject", "local"), ratio(times, "grid path", "local")
    print(f"\n  {'ratio':<22} {'measured':>8} {'target':>8}")
    print(f"  {'grid inject / local':<22} {inject:8.2f} {'<= 1.30':>8}  {verdict(inject, 1.3)}")
    print(f"  {'grid path / local':<22} {path:8.2f} {'':>8}  (no target)")


if __name__ == "__main__":
    main()
