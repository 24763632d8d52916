"""CPU of one browser's whole life (start, first logged-in page, quit), with and without what the plugin adds.

    python -m benchmarks.browser_cpu [--rounds 5]

On a machine whose cores are all busy (`-n 6` on two cores), wall time is total CPU divided by the cores, so the
CPU one browser burns is what a parallel run pays for it. Variants, one browser each per round:
- bare: an empty profile, as `webdriver.Chrome()` starts it (the driver opens `data:,`);
- clone: the plugin's options on a fresh clone of a logged-in profile, given the run's blank tab (it opens
  one about:blank tab);
- clone on the new tab page: the same without the blank tab (what a browser opens with nothing to restore);
- clone without the flag: blank tab, without `--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup`.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chromium.options import ChromiumOptions
from selenium.webdriver.common.by import By

from demo.baseprofile import CLOSED_NETWORK_ARGS, QUIET_ARGS, find_chromium, make_base_profile
from demo.site import LoginSite
from pytest_edgeprofile.browser.launch import leave_one_blank_tab
from pytest_edgeprofile.browser.options import UNSEEN_UI_FEATURES, build_options, running_as_root_on_linux
from pytest_edgeprofile.profile import saved_tabs
from pytest_edgeprofile.profile.clone import make_clone
from pytest_edgeprofile.profile.golden import ensure_golden
from pytest_edgeprofile.profile.run import RunFolder, new_run_id


def children_cpu() -> float:
    """User + system seconds of this process's finished children: the driver, and through it every browser
    process (each parent waits for its children, so their time adds up in ours)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def browser_cpu(options: ChromiumOptions, driver_path: str, url: str) -> tuple[float, str]:
    before = children_cpu()
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(driver_path))
    try:
        driver.get(url)
        heading = driver.find_element(By.TAG_NAME, "h1").text
    finally:
        driver.quit()
    return children_cpu() - before, heading


def bare_options(binary: str) -> ChromiumOptions:
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", *QUIET_ARGS, *(["--no-sandbox"] if running_as_root_on_linux() else [])):
        options.add_argument(arg)
    return options


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    binary, driver_path = find_chromium()
    work = Path(tempfile.mkdtemp(prefix="edgeprofile-browser-cpu-"))
    site = LoginSite().start()
    try:
        base = make_base_profile(work / "base" / "User Data", site.url)
        run = RunFolder(work / "clones", new_run_id())
        ensure_golden(base, "Default", run)

        def clone_options(flag: bool = True, blank: bool = True, worker: str = "bench") -> ChromiumOptions:
            clone, _stats = make_clone(run, worker)
            options = build_options(
                "chromium", Path(binary), clone, "Default", extra_args=CLOSED_NETWORK_ARGS, keyring=False
            )
            if not flag:
                options.arguments.remove(UNSEEN_UI_FEATURES)
            if blank:
                saved_tabs.give(clone / "Default", run)
            return options

        # The run's blank tab, made as the plugin's controller makes it.
        probe = webdriver.Chrome(
            options=clone_options(blank=False, worker="probe"), service=webdriver.ChromeService(driver_path)
        )
        try:
            leave_one_blank_tab(probe)
        finally:
            probe.quit()
        saved_tabs.publish(run.worker("probe") / "Default", run)
        variants = {
            "bare": lambda: bare_options(binary),
            "clone": lambda: clone_options(),
            "clone on the new tab page": lambda: clone_options(blank=False),
            "clone without the flag": lambda: clone_options(flag=False),
        }
        cpu: dict[str, list[float]] = {name: [] for name in variants}
        for round_no in range(args.rounds):
            for name, make in variants.items():
                seconds, heading = browser_cpu(make(), driver_path, f"{site.url}/account")
                cpu[name].append(seconds)
                print(f"  round {round_no + 1} {name:<26} {seconds:6.3f} CPU s  ({heading})", flush=True)
    finally:
        site.stop()
        shutil.rmtree(work, ignore_errors=True)
    medians = {name: statistics.median(values) for name, values in cpu.items()}
    print(f"\nCPU seconds per browser (start, first page, quit), medians of {args.rounds} rounds")
    for name, value in medians.items():
        print(f"  {name:<26} {value:6.3f}")
    print(f"  clone / bare                        {medians['clone'] / medians['bare']:6.2f}")
    print(f"  clone / clone on the new tab page   {medians['clone'] / medians['clone on the new tab page']:6.2f}")
    print(f"  clone / clone without the flag      {medians['clone'] / medians['clone without the flag']:6.2f}")


if __name__ == "__main__":
    main()
