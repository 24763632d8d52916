"""Failure artifacts on real Chromium: screenshot, page, console and driver logs, and pytest-html embedding."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.support.browsers import plugin_args
from tests.support.checks import leftover_processes
from tests.support.systems import POSIX_MODES

pytestmark = pytest.mark.browser

TESTS = """
import os
from selenium.webdriver.common.by import By

SITE = os.environ["EDGEPROFILE_TEST_SITE"]


def test_fails_on_the_account_page(edge_driver):
    edge_driver.get(SITE + "/account")
    edge_driver.execute_script("console.error('boom from the page')")
    assert edge_driver.find_element(By.ID, "account").text == "Signed in as somebody else"


def test_passes(edge_driver):
    edge_driver.get(SITE + "/account")
"""


def run(pytester: pytest.Pytester, base: Path, clone_root: Path, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_pages=TESTS)
    return pytester.runpytest_subprocess(
        "-n",
        "2",
        "-p",
        "no:cacheprovider",
        *plugin_args(base, clone_root),
        *args,
    )


def test_a_failed_test_leaves_screenshot_page_logs_and_an_html_report_entry(
    pytester: pytest.Pytester, base_profile: Path, clone_root: Path, plugin_env: dict[str, str]
) -> None:
    result = run(pytester, base_profile, clone_root, "--html", "report.html", "--self-contained-html")
    result.assert_outcomes(passed=1, failed=1)
    assert '{"event"' not in result.stdout.str(), "the plugin's JSON events stay in their log file"
    output = pytester.path / "edgeprofile-results"
    folders = [p for p in output.iterdir() if p.is_dir() and p.name != "logs"]
    assert len(folders) == 1 and folders[0].name.startswith("test_pages.py_test_fails_on_the_account_page-")
    folder = folders[0]
    assert (folder / "screenshot.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "Signed in as alice" in (folder / "page.html").read_text()
    assert "boom from the page" in (folder / "console.log").read_text()
    assert "Session" in (folder / "driver.log").read_text() or (folder / "driver.log").stat().st_size > 0
    # Screenshots and pages of a signed-in site are private to this user (on Windows: the user profile's ACLs).
    assert set(os.listdir(folder)) == {"screenshot.png", "page.html", "console.log", "driver.log", "info.json"}
    if POSIX_MODES:
        assert folder.stat().st_mode & 0o777 == 0o700
        assert {p.name: p.stat().st_mode & 0o777 for p in folder.iterdir()} == dict.fromkeys(
            ["screenshot.png", "page.html", "console.log", "driver.log", "info.json"], 0o600
        )
    info = json.loads((folder / "info.json").read_text())
    assert info["test"].endswith("test_pages.py::test_fails_on_the_account_page")
    assert info["worker"] in ("gw0", "gw1") and info["clone"].endswith(f"workers/{info['worker']}")
    assert info["url"].endswith("/account") and info["unavailable"] == {}
    result.stdout.fnmatch_lines(["*edgeprofile artifacts*", f"{folder} (worker gw*, clone *)"])
    report = (pytester.path / "report.html").read_text()
    assert "Screenshot" in report and "image/png" in report and folder.resolve().as_uri() in report
    assert list(clone_root.iterdir()) == [] and leftover_processes(clone_root) == []


def test_artifacts_always_and_never(
    pytester: pytest.Pytester, base_profile: Path, clone_root: Path, plugin_env: dict[str, str], tmp_path: Path
) -> None:
    run(
        pytester,
        base_profile,
        clone_root,
        "--edgeprofile-artifacts",
        "always",
        "--edgeprofile-output",
        str(tmp_path / "always"),
    ).assert_outcomes(passed=1, failed=1)
    assert len([p for p in (tmp_path / "always").iterdir() if p.is_dir() and p.name != "logs"]) == 2
    run(
        pytester,
        base_profile,
        clone_root,
        "--edgeprofile-artifacts",
        "never",
        "--edgeprofile-output",
        str(tmp_path / "never"),
    ).assert_outcomes(passed=1, failed=1)
    assert [p for p in (tmp_path / "never").iterdir() if p.is_dir() and p.name != "logs"] == []
