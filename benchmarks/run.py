"""Side-by-side benchmark of pytest-edgeprofile: medians over rounds, printed as ratios against the targets.

    python -m benchmarks.run [--rounds 3] [--workdir DIR] [--keep-profiles]

It builds a real Chromium login (small), the same login dressed as a daily profile (~600 MB of caches in
thousands of files: big), and one whose kept data is large (~300 MB of IndexedDB and Local Storage: heavy), then
runs the same logged-in tests with `pytest -n 6` in each variant, interleaving the variants in every round.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from demo.baseprofile import CLOSED_NETWORK_ARGS, make_base_profile
from demo.site import LoginSite
from pytest_edgeprofile.profile.clone import make_clone
from pytest_edgeprofile.profile.golden import ensure_golden
from pytest_edgeprofile.profile.run import RunFolder, new_run_id

ROOT = Path(__file__).resolve().parent.parent
QUIET_ARGS = shlex.join(CLOSED_NETWORK_ARGS)
MB = 1024 * 1024

# (folder inside the profile, files, bytes per file): caches a daily profile carries, ~600 MB in ~7,000 files.
DAILY_CACHES = (
    ("Cache/Cache_Data", 3000, 100 * 1024),
    ("Code Cache/js", 2000, 50 * 1024),
    ("Service Worker/CacheStorage/0a1b2c", 1200, 120 * 1024),
    ("GPUCache", 40, 512 * 1024),
    ("DawnGraphiteCache", 40, 256 * 1024),
    ("../GrShaderCache", 40, 256 * 1024),
    ("../Crashpad/completed", 20, 512 * 1024),
)
HEAVY_DATA = (("IndexedDB/https_app.example_0.indexeddb.leveldb", 25, 10 * MB), ("Local Storage/leveldb", 5, 10 * MB))


def fill(profile_dir: Path, layout: tuple[tuple[str, int, int], ...]) -> None:
    chunk = os.urandom(MB)
    for folder, count, size in layout:
        target = (profile_dir / folder).resolve()
        target.mkdir(parents=True, exist_ok=True)
        for i in range(count):
            with (target / f"{i:06d}").open("wb") as handle:
                left = size
                while left:
                    handle.write(chunk[: min(left, MB)])
                    left -= min(left, MB)


def tree_size(root: Path) -> tuple[int, int]:
    files = size = 0
    for folder, _dirs, names in os.walk(root):
        for name in names:
            files += 1
            size += os.lstat(os.path.join(folder, name)).st_size
    return files, size


def build_profiles(work: Path) -> dict[str, Path]:
    site = LoginSite().start()
    try:
        small = make_base_profile(work / "small" / "User Data", site.url)
    finally:
        site.stop()
    profiles = {"small": small}
    for name, layout in (("big", DAILY_CACHES), ("heavy", HEAVY_DATA)):
        target = work / name / "User Data"
        shutil.copytree(small, target, symlinks=True)
        fill(target / "Default", layout)
        profiles[name] = target
    return profiles


def run_suite(mode: str, base: Path, clone_root: Path, *extra: str, tests: int = 12, workers: int = 6) -> float:
    """Wall time of one `pytest -n <workers>` run of the benchmark suite."""
    env = {
        **os.environ,
        "BENCH_MODE": mode,
        "BENCH_BASE": str(base),
        "BENCH_TESTS": str(tests),
        "PYTEST_EDGEPROFILE_ARG": QUIET_ARGS,
    }
    command = [
        sys.executable,
        "-m",
        "pytest",
        "benchmarks/suite",
        "-q",
        "-n",
        str(workers),
        "-p",
        "no:cacheprovider",
        "-o",
        "addopts=",
    ]
    if mode == "plugin":
        command += [
            "--edgeprofile-browser",
            "chromium",
            "--edgeprofile-user-data-dir",
            str(base),
            "--edgeprofile-clone-root",
            str(clone_root),
            *extra,
        ]
    else:
        command += ["-p", "no:edgeprofile"]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"benchmark run failed ({mode}, {base}):\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
    return elapsed


def run_rounds(rounds: int, variants: dict[str, Callable[[], float]]) -> dict[str, list[float]]:
    """Every variant once per round, in a rotating order, so drift on a shared machine hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    for round_no in range(rounds):
        order = names[round_no % len(names) :] + names[: round_no % len(names)]
        for name in order:
            times[name].append(variants[name]())
            print(f"  round {round_no + 1} {name:<28} {times[name][-1]:7.3f} s", flush=True)
    return times


def ratio(times: dict[str, list[float]], variant: str, baseline: str) -> float:
    """The median of the per-round ratios: both runs of a round ran back to back, so a slow spell of a shared
    machine (seen here: 15 % between minutes) cancels out instead of landing on one side."""
    return statistics.median(a / b for a, b in zip(times[variant], times[baseline], strict=True))


def clone_costs(heavy: Path, work: Path, rounds: int) -> tuple[float, float, int]:
    """Median time of one worker clone of the heavy profile vs `cp -a` of the same kept bytes."""
    run = RunFolder(work / "clone-bench", new_run_id())
    ensure_golden(heavy, "Default", run)
    _files, kept = tree_size(run.golden)
    ours, cp = [], []
    for i in range(rounds):
        started = time.perf_counter()
        make_clone(run, f"gw{i}")
        ours.append(time.perf_counter() - started)
        target = work / f"cp-a-{i}"
        started = time.perf_counter()
        subprocess.run(["cp", "-a", str(run.golden), str(target)], check=True)
        cp.append(time.perf_counter() - started)
        shutil.rmtree(target)
        shutil.rmtree(run.worker(f"gw{i}"))
    shutil.rmtree(run.path)
    return statistics.median(ours), statistics.median(cp), kept


def cow_clone_ms(small: Path, work: Path, rounds: int) -> tuple[float, str] | None:
    """Median ms of one worker clone with the clone root on a reflink filesystem (XFS on a loop device)."""
    if not shutil.which("mkfs.xfs") or os.geteuid() != 0:
        return None
    image, mount_point = work / "xfs.img", work / "xfs"
    mount_point.mkdir(exist_ok=True)
    with image.open("wb") as handle:
        handle.truncate(400 * MB)
    subprocess.run(["mkfs.xfs", "-q", "-f", "-m", "reflink=1", str(image)], check=True)
    if subprocess.run(["mount", "-o", "loop", str(image), str(mount_point)], capture_output=True).returncode:
        return None
    try:
        run = RunFolder(mount_point / "clones", new_run_id())
        ensure_golden(small, "Default", run)
        times, method = [], ""
        for i in range(rounds):
            started = time.perf_counter()
            _path, stats = make_clone(run, f"gw{i}")
            times.append(time.perf_counter() - started)
            method = stats.method
        return statistics.median(times) * 1000, method
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


def verdict(value: float, limit: float) -> str:
    return "ok" if value <= limit else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--keep-profiles", action="store_true")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="edgeprofile-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"building profiles in {work} ...", flush=True)
    profiles = build_profiles(work)
    for name, path in profiles.items():
        files, size = tree_size(path)
        print(f"  {name:<6} {files:6d} files {size / MB:8.1f} MB  {path}")
    clones = work / "clones"
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, {sys.platform}", flush=True)

    print("pytest -n 6, 12 logged-in tests:")
    main_times = run_rounds(
        args.rounds,
        {
            "plugin, big profile": lambda: run_suite("plugin", profiles["big"], clones),
            "plugin, small profile": lambda: run_suite("plugin", profiles["small"], clones),
            "naive full copy, big": lambda: run_suite("naive", profiles["big"], clones),
            "bare empty profiles": lambda: run_suite("bare", profiles["small"], clones),
            "bare, with the plugin's flag": lambda: run_suite("bare-flags", profiles["small"], clones),
        },
    )
    print("pytest -n 6, 24 logged-in tests, browser per test vs per worker vs a browser context per test:")
    scope_times = run_rounds(
        args.rounds,
        {
            "driver-scope test": lambda: run_suite("plugin", profiles["big"], clones, tests=24),
            "driver-scope worker": lambda: run_suite(
                "plugin", profiles["big"], clones, "--edgeprofile-driver-scope", "worker", tests=24
            ),
            "isolation context": lambda: run_suite(
                "plugin", profiles["big"], clones, "--edgeprofile-isolation", "context", tests=24
            ),
        },
    )
    print("pytest -n 6, 12 logged-in tests, isolation per worker vs per test:")
    isolation_times = run_rounds(
        args.rounds,
        {
            "isolation worker": lambda: run_suite("plugin", profiles["big"], clones),
            "isolation test": lambda: run_suite("plugin", profiles["big"], clones, "--edgeprofile-isolation", "test"),
        },
    )
    ours, cp, kept = clone_costs(profiles["heavy"], work, max(args.rounds, 5))
    cow = cow_clone_ms(profiles["small"], work, max(args.rounds, 5))

    rows = [
        ("big / small profile", ratio(main_times, "plugin, big profile", "plugin, small profile"), 1.05),
        ("big / naive full copy", ratio(main_times, "plugin, big profile", "naive full copy, big"), 0.50),
        ("big / bare empty profiles", ratio(main_times, "plugin, big profile", "bare empty profiles"), 1.10),
        ("heavy clone / cp -a of kept bytes", ours / cp, 1.20),
        ("driver-scope worker / test", ratio(scope_times, "driver-scope worker", "driver-scope test"), 0.50),
        ("isolation test / worker", ratio(isolation_times, "isolation test", "isolation worker"), 1.15),
        ("isolation context / driver-scope test", ratio(scope_times, "isolation context", "driver-scope test"), 0.50),
        (
            "isolation context / driver-scope worker",
            ratio(scope_times, "isolation context", "driver-scope worker"),
            1.10,
        ),
    ]
    # No target: how much of big / bare is the profile itself, once bare browsers get the plugin's CPU-saving flag.
    info = [
        ("big / bare with the plugin's flag", ratio(main_times, "plugin, big profile", "bare, with the plugin's flag"))
    ]
    print(f"\nresults (medians of {args.rounds} rounds; ratios are medians of the per-round ratios)")
    for name, values in {**main_times, **scope_times, **isolation_times}.items():
        print(f"  {name:<34} {statistics.median(values):7.2f} s   (rounds {min(values):.2f} to {max(values):.2f})")
    print(f"  heavy clone ({kept / MB:.0f} MB kept)          {ours:7.3f} s   cp -a {cp:7.3f} s")
    print(f"\n  {'ratio':<36} {'measured':>8} {'target':>8}")
    for name, value, limit in rows:
        print(f"  {name:<36} {value:8.2f} {'<= ' + format(limit, '.2f'):>8}  {verdict(value, limit)}")
    for name, value in info:
        print(f"  {name:<36} {value:8.2f} {'':>8}  (no target)")
    if cow is None:
        print("  copy-on-write clone per worker        skipped (needs root, mkfs.xfs and a loop device)")
    else:
        ms, method = cow
        print(f"  copy-on-write clone per worker ({method}) {ms:6.1f} ms  < 50 ms  {verdict(ms, 50)}")
    if not args.keep_profiles and args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
