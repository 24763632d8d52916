"""Per-test cost of three ways to give each test a logged-in browser, side by side in one run.

    python -m benchmarks.contexts [--tests 8] [--pages 2] [--workers 1] [--rounds 1]

No pytest: ``--workers`` processes (as ``-n`` starts them) share ``--tests`` tests, each loading ``--pages``
logged-in pages of the demo site and checking it is signed in. Variants:
- browser per test: a new browser on the worker's clone for every test, quit after it (``driver-scope test``);
- context per test: one browser per worker (WebDriver BiDi on), each test in a new user context seeded with the
  login state captured once for the run (``isolation context``);
- DevTools context per test: the same through Chromium's own browser contexts over DevTools, without a BiDi
  session: the floor a per-test context cannot go below (no target; not what the plugin runs);
- reused browser: one browser per worker, reset between tests (``driver-scope worker``: tests share cookies and
  storage).
Each round runs every variant once, in a rotating order, so drift on a shared machine hits all alike. Reported:
the median per-test time (open, pages, close), each variant's wall time (its workers' browser starts included),
the CPU of all its browser and driver processes, and the ratios. The capture (once per run) is reported apart.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
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
from pytest_edgeprofile.state import Launch, LoginState, capture_from_golden
from pytest_edgeprofile.state.capture import quit_browser
from pytest_edgeprofile.state.cdp import CdpConnection
from pytest_edgeprofile.state.contexts import close_context, open_context
from pytest_edgeprofile.state.inject import inject_state

SIGNED_IN = f"Signed in as {USERNAME}"


def children_cpu() -> float:
    """User + system seconds of this process's finished children (and theirs): a variant's workers quit their
    browsers and exit before it returns, so every browser and driver process it started is counted. With more
    workers than cores (-n 6 on 2), wall time follows CPU, so CPU is what a parallel run pays."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class Bench:
    """What a worker needs (picklable, for worker processes): the run with its golden copy, the site, the browser."""

    run: RunFolder
    site_url: str
    pages: int
    launch: Launch

    def start(self, worker: str, *, bidi: bool = False) -> tuple[Any, Path]:
        """A browser on this worker's clone (made on first use, as a worker clones once)."""
        clone = self.run.worker(worker)
        if not clone.exists():
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
        return start_browser("chromium", options, self.launch.driver_path, self.run.path), clone

    def pages_of_a_test(self, driver: Any) -> None:
        for page in range(self.pages):
            driver.get(f"{self.site_url}/account" if page % 2 == 0 else f"{self.site_url}/")
            if page % 2 == 0:
                heading = driver.find_element(By.ID, "account").text
                if heading != SIGNED_IN:
                    raise SystemExit(f"a benchmark test was not signed in: {heading!r}")


def browser_per_test(bench: Bench, worker: str, tests: int, state: LoginState) -> list[float]:
    per_test = []
    for _ in range(tests):
        started = time.perf_counter()
        driver, clone = bench.start(worker)
        try:
            bench.pages_of_a_test(driver)
        finally:
            quit_browser(driver, clone)
        per_test.append(time.perf_counter() - started)
    return per_test


def context_per_test(bench: Bench, worker: str, tests: int, state: LoginState) -> list[float]:
    driver, clone = bench.start(worker, bidi=True)
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
    return per_test


def devtools_context_per_test(bench: Bench, worker: str, tests: int, state: LoginState) -> list[float]:
    """The floor under ``context per test``: Chromium's own browser contexts through DevTools alone (no BiDi
    session, so no BiDi mapper), seeded the same way; the browser's first tab stays as its last tab."""
    driver, clone = bench.start(worker)
    per_test, previous = [], None
    try:
        with CdpConnection.for_driver(driver) as cdp:
            for _ in range(tests):
                started = time.perf_counter()
                context = cdp.send("Target.createBrowserContext", {"disposeOnDetach": False})["browserContextId"]
                inject_state(driver, LoginState(state.cookies), context, cdp)
                tab = cdp.send("Target.createTarget", {"url": "about:blank", "browserContextId": context})["targetId"]
                inject_state(driver, LoginState((), state.origins), context, cdp, tab=tab)
                driver.switch_to.window(tab)
                if previous is not None:
                    cdp.send("Target.disposeBrowserContext", {"browserContextId": previous})
                previous = context
                bench.pages_of_a_test(driver)
                per_test.append(time.perf_counter() - started)
    finally:
        quit_browser(driver, clone)
    return per_test


def reused_browser(bench: Bench, worker: str, tests: int, state: LoginState) -> list[float]:
    driver, clone = bench.start(worker)
    per_test = []
    try:
        for _ in range(tests):
            started = time.perf_counter()
            bench.pages_of_a_test(driver)
            reset_browser(driver)
            per_test.append(time.perf_counter() - started)
    finally:
        quit_browser(driver, clone)
    return per_test


Variant = Callable[[Bench, str, int, LoginState], list[float]]
VARIANTS: dict[str, Variant] = {
    "browser per test": browser_per_test,
    "context per test": context_per_test,
    "DevTools context per test": devtools_context_per_test,
    "reused browser (reset only)": reused_browser,
}


def run_variant(name: str, bench: Bench, tests: int, workers: int, state: LoginState) -> tuple[float, list[float]]:
    """Wall time of the variant's tests shared by ``workers`` processes, and each test's own time. Each variant
    has its own clones: a browser that ran per-test contexts closed its default tabs, so the clone's next
    browser would restore no session (and no session cookie)."""
    variant = VARIANTS[name]
    prefix = name.split()[0]
    shares = [tests // workers + (1 if i < tests % workers else 0) for i in range(workers)]
    started = time.perf_counter()
    if workers == 1:
        per_test = variant(bench, f"{prefix}-gw0", tests, state)
    else:
        with ProcessPoolExecutor(workers) as pool:
            futures = [pool.submit(variant, bench, f"{prefix}-gw{i}", share, state) for i, share in enumerate(shares)]
            per_test = [seconds for future in futures for seconds in future.result()]
    return time.perf_counter() - started, per_test


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tests", type=int, default=8)
    parser.add_argument("--pages", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="edgeprofile-bench-contexts-"))
    site = LoginSite().start()
    walls: dict[str, list[float]] = {name: [] for name in VARIANTS}
    per_test: dict[str, list[float]] = {name: [] for name in VARIANTS}
    cpu: dict[str, list[float]] = {name: [] for name in VARIANTS}
    try:
        binary, driver = find_chromium()
        launch = Launch("chromium", Path(binary), Path(driver), tuple(CLOSED_NETWORK_ARGS))
        base = make_base_profile(work / "base" / "User Data", site.url, binary=binary, driver=driver)
        run = RunFolder(work / "clones", new_run_id())
        ensure_golden(base, "Default", run)
        bench = Bench(run, site.url, args.pages, launch)
        started = time.perf_counter()
        state = capture_from_golden(run, "Default", launch, [site.url])
        capture = time.perf_counter() - started
        names = list(VARIANTS)
        for round_no in range(args.rounds):
            for name in names[round_no % len(names) :] + names[: round_no % len(names)]:
                cpu_before = children_cpu()
                wall, tests = run_variant(name, bench, args.tests, args.workers, state)
                cpu[name].append(children_cpu() - cpu_before)
                walls[name].append(wall)
                per_test[name].extend(tests)
                print(f"  round {round_no + 1} {name:<28} {wall:7.2f} s", flush=True)
    finally:
        site.stop()
        shutil.rmtree(work, ignore_errors=True)

    print(
        f"\n{args.tests} tests of {args.pages} logged-in page(s) each on {args.workers} worker(s), {args.rounds} "
        f"round(s); the login state's capture, once per run: {capture:.2f} s"
    )
    for name in VARIANTS:
        print(
            f"  {name:<28} {statistics.median(per_test[name]) * 1000:6.0f} ms per test (median; "
            f"{min(per_test[name]) * 1000:.0f} to {max(per_test[name]) * 1000:.0f}); wall "
            f"{statistics.median(walls[name]):6.2f} s; browser CPU {statistics.median(cpu[name]):6.2f} s"
        )

    def ratio(values: dict[str, list[float]], variant: str, baseline: str) -> float:
        return statistics.median(values[variant]) / statistics.median(values[baseline])

    context, per_browser, reused = "context per test", "browser per test", "reused browser (reset only)"
    print(f"\n  {'ratio':<44} {'per test':>9} {'wall':>6} {'CPU':>6}   target (issue 13, on wall)")
    for label, baseline, target in (
        ("context / browser per test", per_browser, "<= 0.50"),
        ("context / reused browser", reused, "<= 1.10"),
    ):
        print(
            f"  {label:<44} {ratio(per_test, context, baseline):9.2f} {ratio(walls, context, baseline):6.2f} "
            f"{ratio(cpu, context, baseline):6.2f}   {target}"
        )
    floor = "DevTools context per test"
    floors = (("DevTools context / browser per test", per_browser), ("DevTools context / reused browser", reused))
    for label, baseline in floors:
        print(
            f"  {label:<44} {ratio(per_test, floor, baseline):9.2f} {ratio(walls, floor, baseline):6.2f} "
            f"{ratio(cpu, floor, baseline):6.2f}   (no target: the floor)"
        )


if __name__ == "__main__":
    main()
