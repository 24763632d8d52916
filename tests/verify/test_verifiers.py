"""Each verifier passes on a good clone and fails on a bad one: real clones of a logged-in base, a real Chromium."""

from __future__ import annotations

import json
import os
import random
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from demo.site import LoginSite, token_for
from pytest_edgeprofile.browser.launch import start_browser
from pytest_edgeprofile.browser.options import build_options
from pytest_edgeprofile.errors import ProfileError
from pytest_edgeprofile.profile.layout import LOCAL_STATE
from pytest_edgeprofile.profile.manager import ProfileManager, WorkerProfile
from pytest_edgeprofile.profile.run import new_run_id
from pytest_edgeprofile.verify import (
    LOGGED_OUT_CAUSES,
    VerificationConfig,
    VerificationMethod,
    VerificationResult,
    VerificationStatus,
    run_verification,
)
from tests.support.browsers import QUIET_LIST
from tests.support.checks import leftover_processes
from tests.support.systems import not_on_windows

pytestmark = pytest.mark.browser

FILES, CAPABILITIES, AUTH = VerificationMethod.FILES, VerificationMethod.CAPABILITIES, VerificationMethod.AUTH
PASSED, FAILED, DEGRADED = VerificationStatus.PASSED, VerificationStatus.FAILED, VerificationStatus.DEGRADED
ALL = ("files", "capabilities", "auth")


@dataclass
class Setup:
    """One test's run: the manager, its clone of worker gw0, and the Chromium to start on it."""

    manager: ProfileManager
    clone: WorkerProfile
    chromium: tuple[Path, Path]
    site: LoginSite
    entered: list[bool] = field(default_factory=list)

    @contextmanager
    def browser(self, extra: tuple[str, ...] = ()) -> Iterator[WebDriver]:
        """The factory: a browser on the clone (``extra`` appended to its arguments), always quit."""
        self.entered.append(True)
        options = build_options(
            "chromium",
            self.chromium[0],
            self.clone.user_data_dir,
            self.clone.profile_directory,
            extra_args=[*QUIET_LIST, *extra],
        )
        driver = start_browser("chromium", options, self.chromium[1], self.manager.run.path)
        try:
            yield driver
        finally:
            driver.quit()

    def config(self, names: tuple[str, ...] = ALL, **kwargs: object) -> VerificationConfig:
        auth = {"auth_url": f"{self.site.url}/account", "auth_cookie": "demo_session", "auth_selector": "#account"}
        return VerificationConfig.from_names(names, **{**auth, **kwargs})

    def verify(self, config: VerificationConfig | None = None, extra: tuple[str, ...] = ()) -> VerificationResult:
        return run_verification(
            config or self.config(),
            self.clone.user_data_dir,
            self.clone.profile_directory,
            self.manager.run.golden,
            browser=lambda: self.browser(extra),
            vendor="chrome",
        )

    def log_out(self) -> None:
        with sqlite3.connect(self.clone.profile_path / "Cookies") as db:
            db.execute("DELETE FROM cookies")
        db.close()


@pytest.fixture
def setup(base_profile: Path, tmp_path: Path, chromium: tuple[Path, Path], login_site: LoginSite) -> Iterator[Setup]:
    manager = ProfileManager(base_profile, "Default", tmp_path / "clones", new_run_id())
    try:
        manager.ensure_golden()
        yield Setup(manager, manager.clone("gw0"), chromium, login_site)
    finally:
        manager.remove()
    assert not manager.run.path.exists()
    assert leftover_processes(tmp_path / "clones") == []


def statuses(result: VerificationResult) -> dict[VerificationMethod, VerificationStatus]:
    return {method: r.status for method, r in result.results.items()}


def reason(result: VerificationResult, method: VerificationMethod) -> str:
    return result.results[method].reason


def no_cookie_value_in(result: VerificationResult) -> bool:
    return all(token_for("alice") not in r.reason for r in result.results.values())


def test_a_good_clone_passes_every_check(setup: Setup) -> None:
    result = setup.verify()
    assert statuses(result) == {FILES: PASSED, CAPABILITIES: PASSED, AUTH: PASSED}
    assert result.status is PASSED and result.failure is None and result.warnings() == []
    assert result.details["browser_version"][:1].isdigit(), result.details
    assert all(r.reason == "" for r in result.results.values())
    assert no_cookie_value_in(result)
    assert setup.entered == [True]


def test_a_logged_out_clone_fails_auth_only_naming_the_login_page_and_no_cookie_value(setup: Setup) -> None:
    setup.log_out()
    result = setup.verify()
    assert statuses(result) == {FILES: PASSED, CAPABILITIES: PASSED, AUTH: FAILED}
    assert result.status is FAILED
    why = reason(result, AUTH)
    assert f"led to {setup.site.url}/login instead" in why and "not logged in" in why
    assert "Likely causes" in why and why.endswith(LOGGED_OUT_CAUSES)
    assert result.failure == f"auth check failed: {why}"
    assert no_cookie_value_in(result)


@pytest.mark.parametrize(
    ("cookie", "selector", "named"),
    [("no_such_cookie", None, "'no_such_cookie'"), (None, "#nope", "'#nope'")],
    ids=["missing-cookie", "missing-selector"],
)
def test_auth_fails_on_a_cookie_or_element_that_is_not_there(
    setup: Setup, cookie: str | None, selector: str | None, named: str
) -> None:
    result = setup.verify(setup.config(auth_cookie=cookie, auth_selector=selector))
    assert statuses(result) == {FILES: PASSED, CAPABILITIES: PASSED, AUTH: FAILED}
    why = reason(result, AUTH)
    assert named in why and "not logged in" in why and "Likely causes" in why
    assert no_cookie_value_in(result)


def test_a_corrupt_cookie_database_fails_files_and_never_starts_the_browser(setup: Setup) -> None:
    cookies = setup.clone.profile_path / "Cookies"
    cookies.write_bytes(random.Random(4).randbytes(cookies.stat().st_size or 16384))
    result = setup.verify()
    assert statuses(result) == {FILES: FAILED}, "no browser check may run on a broken clone"
    assert result.status is FAILED
    why = reason(result, FILES)
    assert "not a readable SQLite database" in why and str(cookies) in why
    assert setup.entered == [], "the browser was started on a broken clone"


def test_a_clone_without_the_base_encryption_key_fails_files(setup: Setup) -> None:
    golden_state = setup.manager.run.golden / LOCAL_STATE
    state = json.loads(golden_state.read_text(encoding="utf-8"))
    state.setdefault("os_crypt", {})["encrypted_key"] = "RFBBUEkBAAAA-only-in-the-golden-copy"
    golden_state.write_text(json.dumps(state), encoding="utf-8")
    clone_state = json.loads((setup.clone.user_data_dir / LOCAL_STATE).read_text(encoding="utf-8"))
    assert "encrypted_key" not in clone_state.get("os_crypt", {}), "the clone must lack the key to test this"

    result = setup.verify()
    assert statuses(result) == {FILES: FAILED}
    why = reason(result, FILES)
    assert "encryption key" in why and "os_crypt.encrypted_key" in why
    assert str(setup.clone.user_data_dir / LOCAL_STATE) in why
    assert setup.entered == []


@not_on_windows("a symbolic link needs a privilege on Windows, and Chromium makes none there")
def test_a_link_that_leaves_the_clone_fails_files(setup: Setup, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    link = setup.clone.profile_path / "Extension State link"
    os.symlink(outside, link)
    result = setup.verify()
    assert statuses(result) == {FILES: FAILED}
    why = reason(result, FILES)
    assert "points outside the clone" in why and str(link) in why and str(outside) in why
    assert setup.entered == []


def test_corrupt_preferences_fail_files(setup: Setup) -> None:
    preferences = setup.clone.profile_path / "Preferences"
    preferences.write_text('{"profile": {"exit_type": "Normal"', encoding="utf-8")
    result = setup.verify()
    assert statuses(result) == {FILES: FAILED}
    why = reason(result, FILES)
    assert str(preferences) in why and "not valid JSON" in why
    assert setup.entered == []


def test_another_user_data_dir_in_the_arguments_fails_capabilities(setup: Setup, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    result = setup.verify(extra=(f"--user-data-dir={elsewhere}",))
    assert result.results[FILES].status is PASSED
    assert result.results[CAPABILITIES].status is FAILED
    why = reason(result, CAPABILITIES)
    assert "chrome.userDataDir" in why and str(setup.clone.user_data_dir) in why
    assert "another --user-data-dir" in why
    assert result.results[AUTH].status is FAILED, "a browser on an empty profile cannot be signed in"
    assert result.status is FAILED
    assert leftover_processes(elsewhere) == []


def test_a_non_critical_auth_failure_degrades_instead_of_failing(setup: Setup) -> None:
    setup.log_out()
    result = setup.verify(setup.config(critical=frozenset({FILES, CAPABILITIES})))
    assert statuses(result) == {FILES: PASSED, CAPABILITIES: PASSED, AUTH: DEGRADED}
    assert result.status is DEGRADED and result.failure is None
    warnings = result.warnings()
    assert len(warnings) == 1 and warnings[0].startswith("auth check degraded: opening the auth URL")
    assert "Likely causes" in warnings[0]
    assert no_cookie_value_in(result)


def test_a_browser_that_cannot_start_fails_both_browser_checks(setup: Setup) -> None:
    @contextmanager
    def broken() -> Iterator[WebDriver]:
        raise ProfileError("boom")
        yield  # pragma: no cover

    config = setup.config()
    result = run_verification(
        config,
        setup.clone.user_data_dir,
        setup.clone.profile_directory,
        setup.manager.run.golden,
        browser=broken,
        vendor="chrome",
    )
    assert statuses(result) == {FILES: PASSED, CAPABILITIES: FAILED, AUTH: FAILED}
    assert reason(result, CAPABILITIES) == "boom" and reason(result, AUTH) == "boom"
    assert result.failure == "capabilities check failed: boom"
