"""Two checkouts side by side: the same suites run by each, interleaved round by round, so a change's effect on
speed is measured against the code before it on the same machine in the same minutes.

    python -m benchmarks.ab --before DIR --after DIR [--rounds 3]

Each DIR is a checkout with its own `.venv` (``make .venv/.installed``); its own `benchmarks.run.run_suite` runs
its own plugin. Prints the median of each variant per checkout and the median of the per-round after/before ratios.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

from benchmarks.run import build_profiles

# (name, extra plugin arguments, tests)
VARIANTS = (
    ("plugin, big profile", (), 12),
    ("driver-scope test", (), 24),
    ("driver-scope worker", ("--edgeprofile-driver-scope", "worker"), 24),
    ("isolation test", ("--edgeprofile-isolation", "test"), 12),
    ("isolation context", ("--edgeprofile-isolation", "context"), 24),
)


def timed(tree: Path, base: Path, clones: Path, extra: tuple[str, ...], tests: int) -> float:
    """One run of ``tree``'s benchmark suite by ``tree``'s own interpreter and plugin."""
    code = (
        "import json, sys; from pathlib import Path; from benchmarks.run import run_suite; "
        "a = json.loads(sys.argv[1]); "
        "print(run_suite('plugin', Path(a['base']), Path(a['clones']), *a['extra'], tests=a['tests']))"
    )
    args = json.dumps({"base": str(base), "clones": str(clones), "extra": list(extra), "tests": tests})
    done = subprocess.run(
        [str(tree / ".venv" / "bin" / "python"), "-c", code, args], cwd=tree, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"{tree}: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="edgeprofile-ab-"))
    try:
        base = build_profiles(work)["big"]
        trees = {"before": args.before.resolve(), "after": args.after.resolve()}
        times: dict[tuple[str, str], list[float]] = {}
        for round_no in range(args.rounds):
            order = list(trees) if round_no % 2 == 0 else list(reversed(trees))
            for name, extra, tests in VARIANTS:
                for side in order:
                    seconds = timed(trees[side], base, work / "clones", extra, tests)
                    times.setdefault((name, side), []).append(seconds)
                    print(f"  round {round_no + 1} {name:<22} {side:<6} {seconds:7.2f} s", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n  {'variant':<22} {'before':>8} {'after':>8} {'after / before':>15}")
    for name, _extra, _tests in VARIANTS:
        before, after = times[(name, "before")], times[(name, "after")]
        ratio = statistics.median(a / b for a, b in zip(after, before, strict=True))
        print(f"  {name:<22} {statistics.median(before):8.2f} {statistics.median(after):8.2f} {ratio:15.2f}")


if __name__ == "__main__":
    main()
