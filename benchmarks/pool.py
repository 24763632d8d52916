"""The worker pool against `pytest -n 4` on the same 20 logged-in page loads, and the pool's overhead per task.

    python -m benchmarks.pool [--tasks 20] [--workers 4] [--workdir DIR]

Both sides start from nothing (golden copy, a clone per worker, verification, a browser per task, cleanup) and do
the work of benchmarks/suite: open the account page and read its heading. The pool's overhead per task is the
worker time a task costs beyond its own work, measured on the warm pool (a second map of the same tasks):
(map seconds x workers - seconds inside the tasks) / tasks; with a browser per task it is mostly that browser's
start and quit. The last line is the pool's own cost without that: an empty task on a browser shared per worker.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By

from benchmarks.run import run_suite
from demo.baseprofile import CLOSED_NETWORK_ARGS, make_base_profile
from demo.site import LoginSite
from pytest_edgeprofile import ProfileAwareWorkerPool


def account_heading(driver: Any, site_url: str) -> tuple[str, float]:
    """The task (the benchmark suite's test body): the heading of the account page, and the seconds it took."""
    started = time.perf_counter()
    driver.get(f"{site_url}/account")
    heading = driver.find_element(By.TAG_NAME, "h1").text
    return heading, time.perf_counter() - started


def run_pool(base: Path, workdir: Path, site_url: str, tasks: int, workers: int) -> dict[str, float]:
    times: dict[str, float] = {}
    started = time.perf_counter()
    with ProfileAwareWorkerPool(
        workers=workers,
        browser="chromium",
        user_data_dir=base,
        clone_root=workdir / "pool-clones",
        output=workdir / "pool-results",
        arg=list(CLOSED_NETWORK_ARGS),
    ) as pool:
        times["enter"] = time.perf_counter() - started
        for phase in ("cold", "warm"):
            mapped = time.perf_counter()
            results = list(pool.map(account_heading, [site_url] * tasks))
            times[phase] = time.perf_counter() - mapped
            times[f"{phase}_inside"] = sum(seconds for _, seconds in results)
            if any(heading != "Signed in as alice" for heading, _ in results):
                sys.exit(f"a pool task was not signed in: {results}")
            if phase == "cold":
                times["first_total"] = time.perf_counter() - started
        exiting = time.perf_counter()
    times["exit"] = time.perf_counter() - exiting
    times["total_cold"] = times["first_total"] + times["exit"]  # start, the first 20 tasks, the end
    return times


def nothing(driver: Any, n: int) -> None:
    """A task that does no work: what is left of its time is the pool's own cost."""


def run_dispatch(base: Path, workdir: Path, tasks: int, workers: int) -> float:
    """Seconds of worker time per empty task on a warm pool whose workers share one browser each
    (driver_scope worker): sending the task, the browser's reset after it, the result coming back."""
    with ProfileAwareWorkerPool(
        workers=workers,
        browser="chromium",
        user_data_dir=base,
        clone_root=workdir / "dispatch-clones",
        output=workdir / "dispatch-results",
        arg=list(CLOSED_NETWORK_ARGS),
        driver_scope="worker",
    ) as pool:
        list(pool.map(nothing, range(workers * 2)))  # every worker up, its browser started
        started = time.perf_counter()
        list(pool.map(nothing, range(tasks)))
        return (time.perf_counter() - started) * workers / tasks


def run_pytest(base: Path, workdir: Path, tasks: int, workers: int) -> float:
    """The same tasks as a pytest suite: `pytest -n <workers>` on the plugin (benchmarks.run's suite)."""
    output = ("--edgeprofile-output", str(workdir / "pytest-results"))
    return run_suite("plugin", base, workdir / "pytest-clones", *output, tests=tasks, workers=workers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-pool-"))
    site = LoginSite().start()
    try:
        base = make_base_profile(workdir / "base" / "User Data", site.url)
        n, w = args.tasks, args.workers
        pool = run_pool(base, workdir, site.url, n, w)
        pytest_seconds = run_pytest(base, workdir, n, w)
        dispatch = run_dispatch(base, workdir, 200, w)
    finally:
        site.stop()
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    inside = pool["warm_inside"] / n
    overhead = (pool["warm"] * w - pool["warm_inside"]) / n
    print(f"{n} logged-in page loads on {w} workers (Chromium, a browser per task/test, {os.cpu_count()} CPUs):")
    print(f"  pytest -n {w} (whole run)                 {pytest_seconds:7.2f} s")
    print(f"  pool, start + {n} tasks + end              {pool['total_cold']:7.2f} s")
    print(
        f"    of which: enter (preflight, golden) {pool['enter']:.2f} s, first map (workers clone and verify) "
        f"{pool['cold']:.2f} s, exit (stop, remove) {pool['exit']:.2f} s"
    )
    print(f"  pool, {n} more tasks on the warm pool      {pool['warm']:7.2f} s")
    print(f"  per task, warm: inside the task {inside:.3f} s, pool overhead {overhead:.3f} s of worker time")
    print(f"  pool / pytest (start to end)              {pool['total_cold'] / pytest_seconds:7.2f}x")
    print(
        f"  an empty task on a shared browser (driver_scope worker, 200 tasks): {dispatch * 1000:.1f} ms of worker time"
    )


if __name__ == "__main__":
    main()
