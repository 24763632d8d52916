"""Step 3b: the run's blank tab, so every browser on a clone opens one about:blank tab.

Browsers start on clones with --restore-last-session (session cookies need it), so they open the tabs the last
browser left; with none they open the new tab page, a WebUI page that costs about a third of a browser's CPU from
start to first page (docs/performance.md) and that on Edge loads MSN. So the controller makes a blank tab once per
run, on a throwaway clone, while xdist starts the workers (without xdist: alongside this process's first browser),
and every browser start gets it: each test's browser opens about:blank, as on chromedriver's own throwaway profiles.

``BlankTab`` owns all of it: the thread that makes it, the lock that tells workers it is on its way
(``profile.saved_tabs``), each worker's one wait for it (with a deadline), and the hand-off to a clone before a
browser starts. A failure to make it is never a test failure: browsers then open the new tab page, as before.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from selenium.webdriver.chromium.options import ChromiumOptions

from ..profile import saved_tabs
from ..profile.manager import ProfileManager, WorkerProfile
from .launch import leave_one_blank_tab
from .launcher import Launcher

PROBE = "blank-tab"  # the throwaway clone on which the controller makes the run's blank tab


class BlankTab:
    """The run's blank tab, seen from one process: made here (controller) or waited for (workers)."""

    def __init__(self, manager: ProfileManager, timeout: float, log: Any, *, waits: bool = True) -> None:
        self.manager = manager
        self.timeout = timeout  # how long a worker waits for it before going without
        self.log = log
        self.waits = waits  # False in the process that makes it: its first browser starts alongside
        self.settled = False
        self.thread: threading.Thread | None = None

    # -- the controller --------------------------------------------------------------------------------------

    def make_in_background(self, launcher: Launcher, options: ChromiumOptions) -> None:
        """Claim the lock now (so workers wait), then make the blank tab in a thread with a browser started with
        ``options`` (made for the probe clone's path) by ``launcher``."""
        self.waits = False
        lock = saved_tabs.claim(self.manager.run)

        def make() -> None:
            started = time.perf_counter()
            try:
                probe = self.manager.clone(PROBE)
                driver = launcher.start_once(options, probe)
                try:
                    blank = leave_one_blank_tab(driver)
                finally:
                    launcher.quit(driver, probe)
                published = blank and saved_tabs.publish(probe.profile_path, self.manager.run)
                self.log.info("blank_tab", published=published, seconds=round(time.perf_counter() - started, 4))
            except Exception as exc:  # without it browsers open the new tab page, as before: never a failure
                self.log.warning("blank_tab_failed", error=exc.__class__.__name__)
            finally:
                try:
                    self.manager.discard(PROBE)
                finally:
                    lock.release()

        self.thread = threading.Thread(target=make, name="edgeprofile-blank-tab", daemon=True)
        self.thread.start()

    @property
    def making(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def join(self, timeout: float) -> None:
        if self.thread is not None:
            self.thread.join(timeout)

    # -- every browser start ------------------------------------------------------------------------------------

    def hand_over(self, profile: WorkerProfile) -> None:
        """Before a browser starts on ``profile`` (whose open tabs were dropped): give it the blank tab, waiting
        for it once (with a deadline) while the controller is still making it."""
        run = self.manager.run
        first = profile.metrics.browser_starts is None
        if not self.settled and (self.waits or not first):
            started = time.perf_counter()
            saved_tabs.wait_until_settled(run, self.timeout)
            profile.metrics.blank_tab_wait_seconds = round(time.perf_counter() - started, 4)
            self.settled = True
        if saved_tabs.give(profile.profile_path, run):
            profile.metrics.count("blank_starts")
