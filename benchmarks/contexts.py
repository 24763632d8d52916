"""Per-test cost of three ways to give each test a logged-in browser, side by side in one run.

    python -m benchmarks.contexts [--tests 8] [--pages 2] [--rounds 1]

One process, one test after another (no pytest, no xdist: the cost of one test's browser, nothing else). Each
"test" loads ``--pages`` logged-in pages of the demo site and checks it is signed in. Variants:
- browser per test: a new browser on the worker's clone for every test, quit after it (``driver-scope test``);
- context per test: one browser (WebDriver BiDi on), each test in a new user context seeded with the login state
  captured once, closed after the test (``isolation context``);
- reused browser: one browser, reset between tests (``driver-scope worker``: tests share cookies and storage).
Each round runs every variant once, in a rotating order, so drift on a shared machine hits all alike. The
one-time costs (the shared browsers' start, the capture) are reported apart from the per-test cost.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By

from demo.baseprofile import CLOSED_NETWORK_ARGS, find_chromium, make_base_profile
from demo.site import USERNAME, LoginSite
from pytest_edgeprofile import platforms
from pytest_edgeprofile.browser.launch import reset_browser, start_browser
from pytest_edgeprofile.browser.options import build_options
from pytest_edgeprofile.profile.clone import forget_open_tabs, make_clone
from pytest_edgeprofile.profile.golden import ensure_golden
from pytest_edgeprofile.profile.layout import needs_keyring
from pytest_edgeprofile.profile.run import RunFolder, new_run_id
from pytest_edgeprofile.state import Launch, capture_from_golden
from pytest_edgeprofile.state.capture import quit_browser
from pytest_edgeprofile.state.contexts import close_context, open_context

SIGNED_IN = f"Signed in as {USERNAME}"


def children_cpu() -> float:
    """User + system seconds of this process's finished children: each variant quits its browsers, so the CPU of
    every browser and driver process it started is in here once it returns. With more workers than cores (-n 6
    on 2), a run's wall time follows CPU, so CPU per test is what a parallel run pays."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Bench:
    """The base, its golden copy and one clone per variant, the site, and the browser's files."""

    def __init__(self, work: Path, site: LoginSite, pages: int) -> None:
        self.site, self.pages = site, pages
        binary, driver = find_chromium()
        self.launch = Launch("chromium", Path(binary), Path(driver), tuple(CLOSED_NETWORK_ARGS))
        base = make_base_profile(work / "base" / "User Data", site.url, binary=binary, driver=driver)
        self.run = RunFolder(work / "clones", new_run_id())
        ensure_golden(base, "Default", self.run)

    def start(self, worker: str, *, bidi: bool = False, fresh_clone: bool = False) -> tuple[Any, Path]:
        clone = self.run.worker(worker)
        if fresh_clone or not clone.exists():
            clone, _stats = make_clone(self.run, worker)
        forget_open_tabs(clone / "Default")
        options = build_options(
            "chromium",
            self.launch.binary,
            clone,
            "Default",
            extra_args=self.launch.extra_args,
            keyring=needs_keyring(clone / "Default", platforms.current_system()),
            bidi=bidi,
        )
        return start_browser("chromium", options, self.launch.driver, self.run.path), clone

    def pages_of_a_test(self, driver: Any) -> None:
        for page in range(self.pages):
            driver.get(f"{self.site.url}/account" if page % 2 == 0 else f"{self.site.url}/")
            if page % 2 == 0:
                heading = driver.find_element(By.ID, "account").text
                if heading != SIGNED_IN:
                    raise SystemExit(f"a benchmark test was not signed in: {heading!r}")


def browser_per_test(bench: Bench, tests: int) -> tuple[float, list[float]]:
    per_test = []
    for _ in range(tests):
        started = time.perf_counter()
        driver, clone = bench.start("per-test")
        try:
            bench.pages_of_a_test(driver)
        finally:
            quit_browser(driver, clone)
        per_test.append(time.perf_counter() - started)
    return 0.0, per_test


def context_per_test(bench: Bench, tests: int) -> tuple[float, list[float]]:
    started = time.perf_counter()
    state = capture_from_golden(bench.run, "Default", bench.launch, [bench.site.url])
    driver, clone = bench.start("contexts", bidi=True)
    once = time.perf_counter() - started
    per_test = []
    try:
        for _ in range(tests):
            started = time.perf_counter()
            context = open_context(driver, state)
            bench.pages_of_a_test(driver)
            close_context(driver, context)
            per_test.append(time.perf_counter() - started)
    finally:
        quit_browser(driver, clone)
    return once, per_test


def reused_browser(bench: Bench, tests: int) -> tuple[float, list[float]]:
    started = time.perf_counter()
    driver, clone = bench.start("reused")
    once = time.perf_counter() - started
    per_test = []
    try:
        for _ in range(tests):
            started = time.perf_counter()
            bench.pages_of_a_test(driver)
            reset_browser(driver)
            per_test.append(time.perf_counter() - started)
    finally:
        quit_browser(driver, clone)
    return once, per_test


VARIANTS: dict[str, Callable[[Bench, int], tuple[float, list[float]]]] = {
    "browser per test": browser_per_test,
    "context per test": context_per_test,
    "reused browser (reset only)": reused_browser,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tests", type=int, default=8)
    parser.add_argument("--pages", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="edgeprofile-bench-contexts-"))
    site = LoginSite().start()
    try:
        bench = Bench(work, site, args.pages)
        once: dict[str, list[float]] = {name: [] for name in VARIANTS}
        per_test: dict[str, list[float]] = {name: [] for name in VARIANTS}
        totals: dict[str, list[float]] = {name: [] for name in VARIANTS}
        cpu: dict[str, list[float]] = {name: [] for name in VARIANTS}
        names = list(VARIANTS)
        for round_no in range(args.rounds):
            for name in names[round_no % len(names) :] + names[: round_no % len(names)]:
                cpu_before = children_cpu()
                setup, tests = VARIANTS[name](bench, args.tests)
                cpu[name].append(children_cpu() - cpu_before)
                once[name].append(setup)
                per_test[name].extend(tests)
                totals[name].append(setup + sum(tests))
                print(f"  round {round_no + 1} {name:<28} {setup + sum(tests):7.2f} s", flush=True)
    finally:
        site.stop()
        shutil.rmtree(work, ignore_errors=True)

    print(f"\n{args.tests} tests of {args.pages} logged-in page(s) each, {args.rounds} round(s); per-test medians:")
    for name in VARIANTS:
        median = statistics.median(per_test[name])
        print(
            f"  {name:<28} {median * 1000:7.0f} ms per test  (from {min(per_test[name]) * 1000:.0f} to "
            f"{max(per_test[name]) * 1000:.0f}); once per worker {statistics.median(once[name]):5.2f} s; "
            f"whole run {statistics.median(totals[name]):6.2f} s; browser CPU {statistics.median(cpu[name]):6.2f} s"
        )
    context = statistics.median(per_test["context per test"])
    rows = [
        ("context / browser per test", context / statistics.median(per_test["browser per test"]), 0.50),
        ("context / reused browser", context / statistics.median(per_test["reused browser (reset only)"]), None),
    ]
    whole = statistics.median(totals["context per test"]) / statistics.median(totals["browser per test"])
    print(f"\n  {'ratio (per-test medians)':<32} {'measured':>8} {'target':>8}")
    for label, value, limit in rows:
        target = f"<= {limit:.2f}" if limit is not None else "-"
        print(f"  {label:<32} {value:8.2f} {target:>8}")
    print(f"  {'context / browser per test, whole run (with the capture and the browser start)':<32} {whole:8.2f}")
    per_worker = {name: statistics.median(values) for name, values in cpu.items()}
    print(
        "  browser CPU, whole run (start, capture, tests, quit): context / browser per test "
        f"{per_worker['context per test'] / per_worker['browser per test']:.2f}, context / reused browser "
        f"{per_worker['context per test'] / per_worker['reused browser (reset only)']:.2f}"
    )


if __name__ == "__main__":
    main()
