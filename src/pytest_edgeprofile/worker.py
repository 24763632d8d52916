"""The worker role: a pytest process that runs tests (an xdist worker, or the single process without xdist).

Registered by ``plugin.py`` beside the controller role. It owns this process's clone (``owner.CloneOwner``, which
the fixtures use), prepares it at session setup, and at the end closes its browsers and reports to the controller.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator
from typing import Any

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from . import artifacts
from .errors import ProfileError
from .owner import CloneOwner
from .settings import Settings

CALL_REPORT: pytest.StashKey[pytest.TestReport] = pytest.StashKey()
ARTIFACT_FILES: pytest.StashKey[dict[str, Any]] = pytest.StashKey()
FIXTURE_NAMES = ("edge_driver", "edge_options", "edge_profile")


class Worker:
    """This process's clone and browsers, as pytest sees them; ``in_xdist``: reports through xdist's channel."""

    def __init__(self, config: pytest.Config, settings: Settings, owner: CloneOwner, *, in_xdist: bool) -> None:
        self.config = config
        self.settings = settings
        self.owner = owner
        self.in_xdist = in_xdist
        self.finished = False
        self.failure_said = False

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Session setup: clone and verify now if any collected test uses the browser.

        A hook rather than the ``edge_profile`` fixture: the fixture would only run with the first test that
        asks for it, after xdist has handed this worker its tests; preparing here overlaps the clone with the
        other workers' start-up, and a replacement for a crashed worker prepares its clone at once, before (or
        without) any test. The fixture then returns what was prepared; ``pytest_sessionfinish`` closes the browsers.
        """
        if self.config.getoption("collectonly"):
            return
        if any(set(FIXTURE_NAMES) & set(getattr(item, "fixturenames", ())) for item in session.items):
            # A failure is kept by the owner; each test that needs the clone reports it in one line.
            with contextlib.suppress(ProfileError):
                self.owner.prepare()

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        """The browser kept from verification serves only a first test that wants a browser; any other test runs
        with no browser of ours on the clone (it may read or change the clone's files)."""
        if "edge_driver" not in getattr(item, "fixturenames", ()):
            self.owner.drop_warm()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item) -> Generator[None, Any, None]:
        """Keep the call's report for ``edge_driver``'s teardown, and give the teardown report the artifacts it
        saved as pytest-html extras (pytest-html reads and extends ``report.extras`` after this hook)."""
        outcome = yield
        report: pytest.TestReport = outcome.get_result()
        if report.when == "setup" and report.failed:
            self._say_a_failure_once(report)
        elif report.when == "call":
            item.stash[CALL_REPORT] = report
        elif (
            report.when == "teardown" and ARTIFACT_FILES in item.stash and self.config.pluginmanager.has_plugin("html")
        ):
            extras = artifacts.html_extras(item.stash[ARTIFACT_FILES])
            setattr(report, "extras", getattr(report, "extras", []) + extras)  # noqa: B010

    def _say_a_failure_once(self, report: pytest.TestReport) -> None:
        """A clone that could not be prepared fails every test of this worker that needs it: its sentence is
        said by the first of them (and in the summary), the others point there."""
        failure = self.owner.failure
        if failure is None or str(failure) not in str(report.longrepr):
            return
        if not self.failure_said:
            self.failure_said = True
            return
        report.longrepr = (
            f"pytest-edgeprofile: worker {self.owner.worker_id} has no usable clone; why is said once, in its first "
            "failed test and in the edgeprofile summary."
        )

    def save_artifacts(self, item: pytest.Item, driver: WebDriver) -> None:
        """``edge_driver``'s teardown: after a failed call (or always, per ``artifacts``), save what the browser
        showed, and name the folder in the teardown report (a section, a user property)."""
        report = item.stash.get(CALL_REPORT, None)
        mode = self.settings.artifacts
        if report is None or mode == "never" or (not report.failed and mode != "always"):
            return
        owner, profile = self.owner, self.owner.profile
        folder = artifacts.folder_for(self.settings.output, item.nodeid)
        clone = str(profile.user_data_dir) if profile else None
        info = {
            "test": item.nodeid,
            "outcome": report.outcome,
            "worker": owner.worker_id,
            "clone": clone,
            "run": owner.manager.run.run_id,
        }
        node = owner.launcher.nodes.get(driver.session_id or "")
        if node is not None:
            info["node"] = node  # on a Grid: where the browser ran
        try:
            log = owner.launcher.driver_logs.get(driver.session_id or "")
            item.stash[ARTIFACT_FILES] = artifacts.capture(driver, folder, info, log)
        except OSError as exc:  # an unwritable output folder must not turn the report into an error
            item.add_report_section("teardown", "edgeprofile artifacts", f"could not be saved in {folder}: {exc}")
            return
        item.add_report_section(
            "teardown", "edgeprofile artifacts", f"{folder} (worker {owner.worker_id}, clone {clone})"
        )
        item.user_properties.append(("edgeprofile_artifacts", str(folder)))

    def finish(self) -> dict[str, Any] | None:
        """End of the session: no browser of this process left running; the report for the controller."""
        if self.finished:
            return None
        self.finished = True
        self.owner.close()
        return self.owner.report()

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """An xdist worker sends its report with xdist's own end-of-session message (``workeroutput``); the single
        process's controller calls ``finish`` itself, after this process's tests."""
        if self.in_xdist:
            report = self.finish()
            if report is not None:
                self.config.workeroutput["edgeprofile"] = report  # type: ignore[attr-defined]
