"""What a run does once, in the process that controls it: pytest-free, so every front end shares it.

    preflight   clone root, base profile and executables checked before any worker starts (one sentence each)
    sweep       what runs killed earlier left under the clone root, removed (only folders marked as ours)
    golden      the golden copy made (files verified as it is made) and, with an auth check, proven signed in
    blank tab   made in the background while the workers start (``browser.blank_tab``)
    clean up    the run's browsers ended and its folder removed, or kept per ``keep``

The pytest controller (``controller.py``) calls these in its hooks; the workers only clone (``owner.py``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

from selenium.webdriver.chromium.options import ChromiumOptions

from . import platforms
from .browser.blank_tab import PROBE as BLANK_PROBE
from .browser.blank_tab import BlankTab
from .browser.launcher import Launcher
from .browser.locate import Executables, find_executables
from .errors import VerificationError
from .log import get_logger
from .metrics import GoldenMetrics
from .owner import clone_options, first_failure, verification_config, verify_clone
from .processes import processes_using
from .profile.base import BaseProfile, check_base, check_clone_root
from .profile.cleanup import Removal, end_run_processes, sweep_dead_runs
from .profile.copying import Progress
from .profile.layout import needs_keyring
from .profile.manager import ProfileManager, WorkerProfile
from .profile.run import mark_kept
from .profile.verification import MethodResult, VerificationMethod, VerificationResult, VerificationStatus
from .resilience import RetryConfig
from .settings import Settings

GOLDEN_PROBE = "golden-check"  # the throwaway clone on which the controller checks the golden copy's login


@dataclass
class Golden:
    """The run's golden copy as the controller made and checked it."""

    path: Path
    metrics: GoldenMetrics | None  # None when another process made it
    verification: VerificationResult

    def report(self) -> dict[str, object]:
        metrics = self.metrics.as_report() if self.metrics is not None else {}
        return {"worker": "controller", "metrics": metrics, "verification": self.verification.as_report()}


@dataclass
class Cleanup:
    """What the end of the run did with its folder."""

    path: Path
    kept: bool
    removal: Removal | None
    browsers_left: int


class RunCoordinator:
    """The run-wide steps, in order: ``preflight``, ``sweep``, ``make_golden``, ``start_blank_tab``, ``clean_up``."""

    def __init__(self, settings: Settings, manager: ProfileManager, retry: RetryConfig | None = None) -> None:
        self.settings = settings
        self.manager = manager
        self.retry = retry or RetryConfig()
        self.log = get_logger(worker="controller", run=manager.run.run_id)
        self.executables: Executables | None = None
        self.base: BaseProfile | None = None
        self.blank_tab: BlankTab | None = None

    def preflight(self) -> Executables:
        """Check clone root, base, browser and driver before any worker starts; one sentence on failure."""
        s = self.settings
        check_clone_root(s.clone_root, s.user_data_dir, s.sources)
        self.base = check_base(
            s.user_data_dir, s.profile, sources=s.sources, browser=s.browser, base_in_use=s.base_in_use
        )
        if s.grid_url is not None:
            from .grid.status import check_grid

            check_grid(s.grid_url, s.browser)
        # Also with a Grid: the golden copy's auth check and the login state for inject mode use a local browser.
        self.executables = find_executables(s)
        return self.executables

    def sweep(self) -> list[Removal]:
        """Remove what runs that died left under the clone root (never this run, never a live or kept one)."""
        return sweep_dead_runs(self.settings.clone_root, exclude=self.manager.run.path)

    def _launcher(self, worker_id: str) -> Launcher:
        assert self.executables is not None, "preflight first"
        return Launcher(
            self.settings.browser, self.executables.driver_path, self.manager, worker_id, self.retry, self.log
        )

    def _probe_options(self, probe: WorkerProfile) -> ChromiumOptions:
        assert self.executables is not None, "preflight first"
        keyring = needs_keyring(self.manager.run.golden / probe.profile_directory, platforms.current_system())
        return clone_options(self.settings, self.executables.binary, probe, keyring)

    def make_golden(self, progress: Progress | None = None) -> Golden:
        """Make the golden copy (files verified as it is made) and, when an auth check is set, prove on a
        throwaway clone that it is signed in. Raises ``VerificationError`` naming the check."""
        run = self.manager.run
        started = time.perf_counter()
        metrics = self.manager.ensure_golden(progress, base=self.base)
        config = verification_config(self.settings, self.retry)
        result = VerificationResult()
        if VerificationMethod.FILES in config.methods:
            seconds = time.perf_counter() - started
            result.results[VerificationMethod.FILES] = MethodResult(VerificationStatus.PASSED, seconds)
        if VerificationMethod.AUTH in config.methods:
            probe = self.manager.clone(GOLDEN_PROBE)
            launcher = self._launcher(GOLDEN_PROBE)
            try:
                auth, driver = verify_clone(
                    probe,
                    replace(config, methods=(VerificationMethod.AUTH,)),
                    launcher,
                    self._probe_options(probe),
                    platforms.capability_vendor(self.settings.browser),
                )
                if driver is not None:
                    launcher.quit(driver, probe)
            finally:
                self.manager.discard(GOLDEN_PROBE)
            result.results.update(auth.results)
        failed = first_failure(result)
        if failed is not None:
            raise VerificationError(
                f"the golden copy of {self.manager.base_dir} failed the {failed[0]} check, so no test was run: "
                f"{failed[1]}",
                run.golden,
                failed[0],
            )
        self.log.info("verify_golden", **result.as_dict())
        return Golden(run.golden, metrics, result)

    def start_blank_tab(self, blank_tab: BlankTab) -> None:
        """Make the run's blank tab in the background, on a throwaway clone (see ``browser.blank_tab``)."""
        probe = WorkerProfile(BLANK_PROBE, self.manager.run.worker(BLANK_PROBE), self.manager.profile_folder)
        blank_tab.make_in_background(self._launcher(BLANK_PROBE), self._probe_options(probe))
        self.blank_tab = blank_tab

    def _end_grid_sessions(self) -> None:
        """Sessions are the Grid's scarce resource: whatever the run left open there (a crashed worker's, a test
        cut short by Ctrl-C) is deleted through the Grid's API, never an error."""
        url = self.settings.grid_url
        if url is None:
            return
        from .grid.sessions import delete_run_sessions

        try:
            ended = delete_run_sessions(url, self.manager.run.run_id)
        except Exception as exc:  # a Grid that went away meanwhile has no session of ours to keep
            self.log.warning("grid_cleanup_failed", error=exc.__class__.__name__)
            return
        if ended:
            self.log.info("grid_sessions_ended", count=ended)

    def clean_up(self, keep: bool) -> Cleanup:
        """End the run's browsers and remove its folder, or (``keep``) end the browsers and mark it kept."""
        run_path = self.manager.run.path
        self._end_grid_sessions()
        if self.blank_tab is not None and self.blank_tab.making:
            end_run_processes(run_path)  # a run that ended at once: its browser is ended, so the thread ends too
            self.blank_tab.join(self.retry.cleanup_timeout)
        if keep:
            end_run_processes(run_path)
            if run_path.exists():
                mark_kept(run_path)
            return Cleanup(run_path, run_path.exists(), None, len(processes_using(run_path)))
        started = time.perf_counter()
        removal = self.manager.remove()
        self.log.info(
            "cleanup",
            path=str(run_path),
            removed=removal.removed,
            ended=len(removal.ended_pids),
            seconds=round(time.perf_counter() - started, 4),
        )
        return Cleanup(run_path, False, removal, len(processes_using(run_path)))
