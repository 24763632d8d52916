"""The test module that inner pytest runs execute: every test must see the site's account page logged in."""

INNER_TESTS = '''
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
    record = {{
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
'''


def write_inner_tests(pytester, count: int) -> None:  # type: ignore[no-untyped-def]
    pytester.makepyfile(test_inner=INNER_TESTS.format(count=count))
