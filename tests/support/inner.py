"""What inner pytest runs execute: test modules against the login site, and how to run them (``run_inner`` for the
standard signed-in module, ``run_files`` for modules a test writes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.browsers import plugin_args

INNER_TESTS = """
import json
import os
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

SITE = os.environ["EDGEPROFILE_TEST_SITE"]
RECORDS = Path(os.environ["EDGEPROFILE_TEST_RECORDS"])


@pytest.mark.parametrize("n", range({count}))
def test_logged_in(edge_driver, edge_profile, n):
    edge_driver.get(SITE + "/account")
    heading = edge_driver.find_element(By.ID, "account").text
    caps = edge_driver.capabilities
    vendor = "msedge" if "msedge" in caps else "chrome"
    targets = edge_driver.execute_cdp_cmd("Target.getTargets", {{}})["targetInfos"] if vendor == "chrome" else []
    record = {{
        "hidden_ui_pages": [t["url"] for t in targets if t["type"] == "browser_ui"],
        "n": n,
        "worker": os.environ.get("PYTEST_XDIST_WORKER", "main"),
        "clone": str(edge_profile.user_data_dir),
        "browser_user_data_dir": caps[vendor]["userDataDir"],
        "driver_class": type(edge_driver).__name__,
        "driver_module": type(edge_driver).__module__,
        "browser_name": caps["browserName"],
        "verification": edge_profile.verification.as_dict(),
        "heading": heading,
    }}
    (RECORDS / f"{{n}}.json").write_text(json.dumps(record))
    assert heading == "Signed in as alice"
"""


def write_inner_tests(pytester: pytest.Pytester, count: int) -> None:
    pytester.makepyfile(test_inner=INNER_TESTS.format(count=count))


def run_inner(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, base: Path, clone_root: Path, *args: str, count: int = 4
) -> tuple[pytest.RunResult, list[dict[str, object]]]:
    """Run the inner suite in a subprocess against ``base``; returns its result and each test's record."""
    write_inner_tests(pytester, count)
    records = pytester.path / "records"
    records.mkdir(exist_ok=True)
    monkeypatch.setenv("EDGEPROFILE_TEST_RECORDS", str(records))
    result = pytester.runpytest_subprocess(
        *plugin_args(base, clone_root),
        "-p",
        "no:cacheprovider",
        *args,
    )
    found = [json.loads(p.read_text()) for p in sorted(records.glob("*.json"))]
    return result, found


# The preamble of an inner test module: the site, a folder for records, and two helpers.
HEADER = """
import contextlib, json, os
from pathlib import Path
import psutil
import pytest
from selenium.webdriver.common.by import By

SITE = os.environ["EDGEPROFILE_TEST_SITE"]
RECORDS = Path(os.environ["EDGEPROFILE_TEST_RECORDS"])


def signed_in(driver):
    driver.get(SITE + "/account")
    return driver.find_element(By.ID, "account").text == "Signed in as alice"


def record(name, profile, worker_id, **extra):
    data = {"worker": worker_id, "reclones": profile.metrics.get("reclones", 0), **extra}
    (RECORDS / f"{name}.json").write_text(json.dumps(data))
"""


def run_files(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    base: Path,
    clone_root: Path,
    files: dict[str, str],
    *args: str,
) -> tuple[pytest.RunResult, dict[str, dict[str, object]]]:
    """Run inner test modules (each ``HEADER`` + body) on the browser under test against ``base``; returns the
    result and the records the tests wrote (``record(name, ...)``), by name."""
    records = pytester.path / "records"
    records.mkdir(exist_ok=True)
    monkeypatch.setenv("EDGEPROFILE_TEST_RECORDS", str(records))
    pytester.makepyfile(**{name: HEADER + body for name, body in files.items()})
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        *plugin_args(base, clone_root),
        *args,
    )
    return result, {p.stem: json.loads(p.read_text()) for p in records.glob("*.json")}
