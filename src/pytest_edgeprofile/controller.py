"""The controller role: the pytest process that runs the session (xdist's controller, or the single process).

Registered by ``plugin.py`` the way xdist registers its ``DSession``: an object that owns the run-wide state and
the hooks that act on it. It does the run's once-only steps (``coordinator.py``) before any worker starts, tells
each worker the run's folder and executables, gathers the workers' reports, prints the summary and removes
everything at the end, whatever happened (also on SIGTERM, routed to KeyboardInterrupt).
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

import pytest

from .browser.blank_tab import BlankTab
from .coordinator import Cleanup, Golden, RunCoordinator
from .errors import ProfileError
from .fixtures import FIXTURE_NAMES
from .profile.cleanup import Removal
from .progress import TerminalProgress
from .report import clones_lines, summary_lines, write_json
from .settings import Settings
from .signals import _route_sigterm_to_keyboard_interrupt
from .worker import Worker


class Controller:
    """The run seen from its controlling process; ``local`` is this process's own test process, if it runs tests."""

    def __init__(self, config: pytest.Config, settings: Settings, run: RunCoordinator, local: Worker | None):
        self.config = config
        self.settings = settings
        self.run = run
        self.local = local
        self.checked = False
        self.golden: Golden | None = None
        self.removals: list[Removal] = []
        self.reports: list[dict[str, Any]] = []
        self.cleanup: Cleanup | None = None
        self.exitstatus = 0
        self.previous_sigterm: object = None

    def start(self) -> None:
        """At configure time: sweep, and with explicit settings check everything and make the golden copy now, so
        a wrong setting is one sentence before any worker starts. Raises ``pytest.UsageError``."""
        self.previous_sigterm = _route_sigterm_to_keyboard_interrupt()
        self.removals = self.run.sweep()
        if not self.settings.explicit:
            return  # the plugin is installed but not asked for: a worker prepares when a test first needs it
        try:
            executables = self.run.preflight()
            self.checked = True
            if self.local is not None:
                self.local.owner.use_executables(executables)
            if self.config.getoption("collectonly"):
                return
            progress = TerminalProgress(sys.stderr, f"edgeprofile: golden copy of {self.settings.user_data_dir}")
            self.golden = self.run.make_golden(progress)
            self.reports.append(self.golden.report())
            if self.local is None:
                # Now, while xdist starts the workers; without xdist once collection shows a test needs it.
                self.run.start_blank_tab(BlankTab(self.run.manager, self.run.retry.blank_tab_timeout, self.run.log))
        except ProfileError as exc:
            self._clean_up()
            raise pytest.UsageError(f"pytest-edgeprofile: {exc}") from None

    # -- hooks -------------------------------------------------------------------------------------------------

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """xdist: every worker (also a replacement for a crashed one) joins this run's folder."""
        workerinput: dict[str, object] = node.workerinput
        workerinput["edgeprofile_run_id"] = self.run.manager.run.run_id
        workerinput["edgeprofile_controller_pid"] = os.getpid()
        if self.run.executables is not None:
            workerinput["edgeprofile_binary"] = str(self.run.executables.binary)
            workerinput["edgeprofile_driver"] = str(self.run.executables.driver_path)

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        s = self.settings
        when = "checked" if self.checked else "checked when a test first needs it"
        lines = [
            f"edgeprofile: browser {s.browser} ({s.source('browser')}), base {s.user_data_dir} "
            f"profile {s.profile} ({when}), clone root {s.clone_root} ({s.source('clone-root')})"
        ]
        if s.grid_url is not None:
            lines.append(f"edgeprofile: browsers on the Selenium Grid {s.grid_url} (grid-profile {s.grid_profile})")
        links = self.golden.metrics.links_skipped if self.golden and self.golden.metrics else []
        if links:
            lines.append(
                f"edgeprofile: the base holds {len(links)} symbolic link(s) that were not copied (links are never "
                f"followed): {', '.join(links)}"
            )
        return lines

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Without xdist and with a browser per test: make the blank tab alongside this process's first browser
        (with one browser in all, it would start two to spare one new tab page)."""
        if any(set(FIXTURE_NAMES) & set(getattr(item, "fixturenames", ())) for item in session.items):
            self._start_local_blank_tab()

    @pytest.hookimpl(tryfirst=True)
    def pytest_fixture_setup(self, fixturedef: pytest.FixtureDef[Any]) -> None:
        """A test that reaches our fixtures through another one (``request.getfixturevalue``) is not seen at
        collection: then the blank tab starts with the first of them."""
        if fixturedef.argname in FIXTURE_NAMES:
            self._start_local_blank_tab()

    def _start_local_blank_tab(self) -> None:
        if self.local is None or self.golden is None or self.run.blank_tab is not None:
            return
        if self.settings.driver_scope == "test" and not self.config.getoption("collectonly"):
            self.run.start_blank_tab(self.local.owner.blank_tab)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        """xdist: keep what the worker reported; a crashed worker reports nothing, cleanup still finds its clone."""
        report = (getattr(node, "workeroutput", None) or {}).get("edgeprofile")
        if report is not None:
            self.reports.append(report)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """After xdist has stopped the workers (and this process's own tests closed their browsers): report, then
        end the run's browsers and remove its profiles."""
        self.exitstatus = int(exitstatus)
        if self.local is not None:
            report = self.local.finish()
            if report is not None:
                self.reports.append(report)
        if self.reports:
            write_json(self.settings.output / "edgeprofile-metrics.json", self.run.manager.run.run_id, self.reports)
        self._clean_up()

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        lines = summary_lines(self.reports)
        lines += [
            f"removed {r.path} left by a run that died ({len(r.ended_pids)} processes ended)"
            for r in self.removals
            if r.removed
        ]
        if self.cleanup is not None:
            lines += clones_lines(self.cleanup, self.reports, self.settings.keep)
        if lines:
            terminalreporter.section("edgeprofile")
            for line in lines:
                terminalreporter.write_line(line)

    def pytest_unconfigure(self) -> None:
        """The last chance: if the session never finished (an error in start-up), clean up here."""
        self._clean_up()
        if self.previous_sigterm is not None:
            signal.signal(signal.SIGTERM, self.previous_sigterm)  # type: ignore[arg-type]

    # -- the end -----------------------------------------------------------------------------------------------

    def _clean_up(self) -> None:
        """End the run's browsers and remove its profiles, per ``keep``; once, and never an error."""
        if self.cleanup is not None:
            return
        keep = self.settings.keep == "always" or (self.settings.keep == "on-failure" and self.exitstatus != 0)
        run_path = self.run.manager.run.path
        try:
            self.cleanup = self.run.clean_up(keep)
        except Exception as exc:  # cleanup must never turn a run into an error
            self.cleanup = Cleanup(run_path, False, None, 0)
            self._say(f"edgeprofile: could not remove {run_path}: {exc}; the next run will remove it.")
            return
        if self.cleanup.kept:
            self._say(
                f"edgeprofile: kept the run's profiles in {run_path}; they hold the profile's cookies and saved "
                "passwords: delete the folder when done (`edgeprofile clean` removes it)."
            )

    def _say(self, line: str) -> None:
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(line, yellow=True)
        else:
            print(line, file=sys.stderr)
