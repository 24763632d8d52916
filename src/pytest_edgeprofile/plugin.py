"""pytest hooks, in the order of a run: options -> settings and preflight -> workers -> clones -> cleanup.

The work itself lives in modules that do not import pytest; this file only wires them to pytest and xdist.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import pytest

from . import artifacts
from .errors import ProfileError
from .fixtures import FIXTURE_NAMES, SESSION, edge_driver, edge_options, edge_profile
from .log import close_event_log, open_event_log
from .processes import processes_using
from .profile.base import check_base, check_clone_root
from .profile.cleanup import Removal, end_run_processes, sweep_dead_runs
from .profile.manager import ProfileManager, WorkerProfile
from .profile.run import mark_kept, new_run_id
from .progress import TerminalProgress
from .report import summary_lines, worker_report, write_json
from .session import WorkerSession
from .settings import SPECS, Settings, resolve

__all__ = ["edge_driver", "edge_options", "edge_profile"]

SINGLE_PROCESS_ID = "main"


@dataclass
class PluginState:
    """What one pytest process knows about the run; kept in ``config.stash``."""

    settings: Settings
    manager: ProfileManager
    session: WorkerSession
    is_controller: bool
    checked: bool = False
    golden: WorkerProfile | None = None
    exitstatus: int = 0
    removals: list[Removal] = field(default_factory=list)
    clones_line: str | None = None  # what the end of the run did with the clones, for the summary
    reports: list[dict[str, Any]] = field(default_factory=list)
    cleaned: bool = False
    event_log: logging.Handler | None = None
    previous_sigterm: object = None
    blank_session: threading.Thread | None = None


STATE: pytest.StashKey[PluginState] = pytest.StashKey()


def state_of(config: pytest.Config) -> PluginState:
    return config.stash[STATE]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("edgeprofile", "pytest-edgeprofile: browsers on clones of a real profile")
    for spec in SPECS:
        help_text = f"{spec.help} [ini {spec.ini}, env {spec.env}]"
        if spec.kind == "flag":
            group.addoption(spec.cli, action="store_true", default=None, dest=spec.dest, help=help_text)
            parser.addini(spec.ini, spec.help, type="string")
        elif spec.kind == "list":
            group.addoption(spec.cli, action="append", default=None, dest=spec.dest, metavar="ARG", help=help_text)
            parser.addini(spec.ini, spec.help, type="linelist")
        else:
            group.addoption(spec.cli, default=None, dest=spec.dest, metavar=spec.name.upper(), help=help_text)
            parser.addini(spec.ini, spec.help, type="string")


def _resolve_settings(config: pytest.Config) -> Settings:
    ini_path = config.inipath
    return resolve(
        cli={spec.dest: config.getoption(spec.dest) for spec in SPECS},
        env=os.environ,
        ini={spec.ini: config.getini(spec.ini) for spec in SPECS},
        cwd=config.invocation_params.dir,
        ini_dir=ini_path.parent if ini_path else None,
        ini_name=ini_path.name if ini_path else "the ini file",
    )


def _preflight(state: PluginState) -> None:
    """Check base, clone root, browser and driver before any worker starts; one sentence on failure."""
    s = state.settings
    check_clone_root(s.clone_root, s.user_data_dir, s.sources)
    check_base(s.user_data_dir, s.profile, sources=s.sources, browser=s.browser, base_in_use=s.base_in_use)
    state.session.locate()
    state.checked = True


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("help"):
        return  # `pytest --help` must work even when a setting is wrong
    try:
        settings = _resolve_settings(config)
    except ProfileError as exc:
        raise pytest.UsageError(f"pytest-edgeprofile: {exc}") from None
    worker_input = getattr(config, "workerinput", None)
    if worker_input is not None:
        run_id = worker_input.get("edgeprofile_run_id") or new_run_id()
        worker_id = str(worker_input["workerid"])
        owner = worker_input.get("edgeprofile_controller_pid")
    else:
        run_id, worker_id, owner = new_run_id(), SINGLE_PROCESS_ID, os.getpid()
    manager = ProfileManager(
        settings.user_data_dir,
        settings.profile,
        settings.clone_root,
        run_id,
        int(owner) if owner else None,
        base_in_use=settings.base_in_use,
    )
    session = WorkerSession(settings, manager, worker_id)
    state = PluginState(settings, manager, session, is_controller=worker_input is None)
    config.stash[STATE] = state
    config.stash[SESSION] = session
    log_name = worker_id if worker_input is not None else "controller"
    state.event_log = open_event_log(settings.output / "logs" / f"{log_name}.jsonl")
    if worker_input is not None:
        session.seed_executables(worker_input.get("edgeprofile_binary"), worker_input.get("edgeprofile_driver"))
        return
    state.previous_sigterm = _route_sigterm_to_keyboard_interrupt()
    if settings.explicit:
        try:
            _preflight(state)
            state.removals = sweep_dead_runs(settings.clone_root, exclude=manager.run.path)
            if not config.getoption("collectonly"):
                progress = TerminalProgress(sys.stderr, f"edgeprofile: golden copy of {settings.user_data_dir}")
                state.golden = session.check_golden(progress)
                state.reports.append(
                    {
                        "worker": "controller",
                        "metrics": dict(state.golden.metrics),
                        "verification": state.golden.verification.as_report(),
                    }
                )
                if _runs_workers(config):
                    # Now, while xdist starts the workers; without xdist once collection shows a test needs it.
                    state.blank_session = session.start_blank_session()
        except ProfileError as exc:
            _clean_up(config, state)
            raise pytest.UsageError(f"pytest-edgeprofile: {exc}") from None


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: object) -> None:
    """xdist controller: every worker (also a replacement for a crashed one) joins this run's folder."""
    config: pytest.Config = node.config  # type: ignore[attr-defined]
    state = state_of(config)
    workerinput: dict[str, object] = node.workerinput  # type: ignore[attr-defined]
    workerinput["edgeprofile_run_id"] = state.manager.run.run_id
    workerinput["edgeprofile_controller_pid"] = os.getpid()
    if state.checked:
        binary, driver = state.session.locate()
        workerinput["edgeprofile_binary"] = str(binary)
        workerinput["edgeprofile_driver"] = str(driver)


def pytest_report_header(config: pytest.Config) -> list[str]:
    state = state_of(config)
    s = state.settings
    when = "checked" if state.checked else "checked when a test first needs it"
    lines = [
        f"edgeprofile: browser {s.browser} ({s.source('browser')}), base {s.user_data_dir} "
        f"profile {s.profile} ({when}), clone root {s.clone_root} ({s.source('clone-root')})"
    ]
    links = state.golden.metrics.get("links_skipped") if state.golden is not None else None
    if links:
        lines.append(
            f"edgeprofile: the base holds {len(str(links).split(', '))} symbolic link(s) that were not "
            f"copied (links are never followed): {links}"
        )
    return lines


def pytest_collection_finish(session: pytest.Session) -> None:
    """Session setup of a test process: clone and verify now if any collected test uses the browser."""
    config = session.config
    if config.getoption("collectonly"):
        return
    if any(set(FIXTURE_NAMES) & set(getattr(item, "fixturenames", ())) for item in session.items):
        state = state_of(config)
        if (
            state.is_controller
            and state.golden is not None
            and state.blank_session is None
            and state.settings.driver_scope == "test"
        ):
            # One process with a browser per test (with one browser in all, it would start two to spare one new
            # tab page): made alongside this process's first browser, for the later ones.
            state.blank_session = state.session.start_blank_session()
        # A failure is kept by the session; each test that needs the clone reports it in one line.
        with contextlib.suppress(ProfileError):
            state.session.prepare()


def pytest_runtest_setup(item: pytest.Item) -> None:
    """The browser kept from verification serves only a first test that wants a browser; any other test runs with
    no browser of ours on the clone (it may read or change the clone's files)."""
    state = item.config.stash.get(STATE, None)
    if state is not None and "edge_driver" not in getattr(item, "fixturenames", ()):
        state.session.drop_warm()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Generator[None, Any, None]:
    """After a test that used ``edge_driver`` failed (or always, per ``artifacts``): save what the browser showed."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    state = item.config.stash.get(STATE, None)
    driver = getattr(item, "funcargs", {}).get("edge_driver")
    if state is None or driver is None or report.when != "call" or state.settings.artifacts == "never":
        return
    if not report.failed and state.settings.artifacts != "always":
        return
    session, profile = state.session, state.session.profile
    folder = artifacts.folder_for(state.settings.output, item.nodeid)
    info = {
        "test": item.nodeid,
        "outcome": report.outcome,
        "worker": session.worker_id,
        "clone": str(profile.user_data_dir) if profile else None,
        "run": state.manager.run.run_id,
    }
    try:
        files = artifacts.capture(driver, folder, info, session.driver_logs.get(driver.session_id or ""))
    except OSError as exc:  # an unwritable output folder must not turn the report into an error
        report.sections.append(("edgeprofile artifacts", f"could not be saved in {folder}: {exc}"))
        return
    report.sections.append(("edgeprofile artifacts", f"{folder} (worker {session.worker_id}, clone {info['clone']})"))
    report.user_properties.append(("edgeprofile_artifacts", str(folder)))
    if item.config.pluginmanager.has_plugin("html"):
        # pytest-html reads (and extends) report.extras after this hook
        setattr(report, "extras", getattr(report, "extras", []) + artifacts.html_extras(files))  # noqa: B010


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """xdist controller: keep what the worker reported; a crashed worker reports nothing, cleanup still finds it."""
    output = getattr(node, "workeroutput", None) or {}
    report = output.get("edgeprofile")
    if report is not None:
        state_of(node.config).reports.append(report)  # type: ignore[attr-defined]


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Runs after xdist has stopped the workers: report, then end browsers and remove the run's profiles."""
    config = session.config
    state = state_of(config)
    state.exitstatus = int(exitstatus)
    worker = state.session
    worker.close()
    if worker.profile is not None or worker.failure is not None:
        report = worker_report(worker.worker_id, worker.profile, str(worker.failure) if worker.failure else None)
        workeroutput = getattr(config, "workeroutput", None)
        if workeroutput is not None:
            workeroutput["edgeprofile"] = report
        else:
            state.reports.append(report)
    if state.is_controller:
        if state.reports:
            write_json(state.settings.output / "edgeprofile-metrics.json", state.manager.run.run_id, state.reports)
        _clean_up(config, state)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    state = state_of(config)
    lines = summary_lines(state.reports)
    lines += [
        f"removed {r.path} left by a run that died ({len(r.ended_pids)} processes ended)"
        for r in state.removals
        if r.removed
    ]
    if state.clones_line is not None:
        lines.append(state.clones_line)
    if lines:
        terminalreporter.section("edgeprofile")
        for line in lines:
            terminalreporter.write_line(line)


def pytest_unconfigure(config: pytest.Config) -> None:
    """The last chance: if the session never finished (an error in start-up), clean up here."""
    state = config.stash.get(STATE, None)
    if state is None:
        return
    if state.is_controller:
        _clean_up(config, state)
        if state.previous_sigterm is not None:
            signal.signal(signal.SIGTERM, state.previous_sigterm)  # type: ignore[arg-type]
    if state.event_log is not None:
        close_event_log(state.event_log)


def _clean_up(config: pytest.Config, state: PluginState) -> None:
    """Controller (or single process): end the run's browsers and remove its profiles, per ``keep``."""
    if state.cleaned:
        return
    state.cleaned = True
    keep = state.settings.keep == "always" or (state.settings.keep == "on-failure" and state.exitstatus != 0)
    run_path = state.manager.run.path
    try:
        if state.blank_session is not None and state.blank_session.is_alive():
            end_run_processes(run_path)  # a run that ended at once: its browser is ended, so the thread ends too
            state.blank_session.join(state.session.retry.cleanup_timeout)
        if keep:
            end_run_processes(run_path)
            if run_path.exists():
                mark_kept(run_path)
                _say(
                    config,
                    f"edgeprofile: kept the run's profiles in {run_path}; they hold the profile's "
                    "cookies and saved passwords: delete the folder when done (`edgeprofile clean` "
                    "removes it).",
                )
                state.clones_line = (
                    f"clones: {_clone_count(state)} kept in {run_path} (keep {state.settings.keep}); "
                    f"browsers left running: {len(processes_using(run_path))}"
                )
        else:
            started = time.perf_counter()
            removal = state.manager.remove()
            state.session.log.info(
                "cleanup",
                path=str(run_path),
                removed=removal.removed,
                ended=len(removal.ended_pids),
                seconds=round(time.perf_counter() - started, 4),
            )
            if removal.removed:
                state.clones_line = (
                    f"clones: {_clone_count(state)} made, removed with the golden copy and {run_path} "
                    f"({len(removal.ended_pids)} processes ended); browsers left running: "
                    f"{len(processes_using(run_path))}"
                )
    except Exception as exc:  # cleanup must never turn a run into an error
        _say(config, f"edgeprofile: could not remove {run_path}: {exc}; the next run will remove it.")


def _clone_count(state: PluginState) -> int:
    """The clones the run's test processes reported (a crashed worker's clone is removed but not counted)."""
    return sum(1 for report in state.reports if report.get("clone"))


def _runs_workers(config: pytest.Config) -> bool:
    """True in an xdist controller that will start workers (``-n N``, ``--dist``), set before our configure."""
    return getattr(config.option, "dist", "no") != "no"


def _route_sigterm_to_keyboard_interrupt() -> object:
    """SIGTERM (CI cancelling a job, ``kill``) ends the run like Ctrl-C, so the clones are still removed.

    Only when nobody else handles SIGTERM and only in the main thread; returns the handler to restore.
    """
    if threading.current_thread() is not threading.main_thread():
        return None
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return None

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt("SIGTERM")

    return signal.signal(signal.SIGTERM, interrupt)


def _say(config: pytest.Config, line: str) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(line, yellow=True)
    else:
        print(line, file=sys.stderr)
