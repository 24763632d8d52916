"""Starting sessions on the real Grid: what failure artifacts need works through it, and a start that cannot
succeed gets one sentence."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from demo.site import LoginSite
from pytest_edgeprofile.browser.options import build_options
from pytest_edgeprofile.errors import BrowserStartError, GridError
from pytest_edgeprofile.grid import GridDriver, remote_options, start_remote
from tests.support.browsers import QUIET_LIST
from tests.support.grid import NOT_USED, LocalGrid, RemoteStarter, free_ports

pytestmark = pytest.mark.browser


def options_for(chromium: tuple[Path, Path], capabilities: dict[str, object] | None = None) -> object:
    local = build_options("chromium", chromium[0], NOT_USED, "Default", extra_args=QUIET_LIST)
    return remote_options(local, "chromium", capabilities or {}, "run-x", "gw0")


def test_screenshot_page_console_and_cdp_work_through_the_grid(
    remote: RemoteStarter, grid: LocalGrid, login_site: LoginSite
) -> None:
    driver = remote("gw0")
    assert isinstance(driver, GridDriver) and driver.grid_url == grid.url

    driver.get(f"{login_site.url}/")
    driver.execute_script("console.error('edgeprofile-grid-console-check')")

    assert driver.get_screenshot_as_png().startswith(b"\x89PNG\r\n\x1a\n")
    assert 'id="state"' in driver.page_source
    console = driver.get_log("browser")
    assert any("edgeprofile-grid-console-check" in entry["message"] for entry in console), console
    assert driver.execute_cdp_cmd("Browser.getVersion", {})["product"].startswith(("Chrome/", "HeadlessChrome/"))


def test_a_grid_gone_after_the_preflight_gets_one_sentence(chromium: tuple[Path, Path]) -> None:
    (port,) = free_ports(1)
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()

    with pytest.raises(GridError) as caught:
        start_remote(url, options_for(chromium), 30)  # type: ignore[arg-type]

    assert time.monotonic() - started < 5
    assert str(caught.value) == (
        f"the Selenium Grid at {url} did not answer the new session request (MaxRetryError); check that the Grid "
        "is running and grid-url is its address."
    )


def test_a_capability_no_node_matches_waits_in_the_queue_and_gets_its_sentence(
    grid: LocalGrid, chromium: tuple[Path, Path]
) -> None:
    """Grid 4.48 keeps such a request queued (for Grids that add nodes on demand) unless --reject-unsupported-caps."""
    with pytest.raises(BrowserStartError) as caught:
        start_remote(grid.url, options_for(chromium, {"platformName": "windows"}), 1.5)  # type: ignore[arg-type]

    assert "waited in the session queue" in str(caught.value) and "no node matching its capabilities" in str(
        caught.value
    )
    assert grid.sessions() == []


def test_a_browser_the_node_cannot_start_fails_at_once_with_the_grids_reason(
    grid: LocalGrid, chromium: tuple[Path, Path]
) -> None:
    options = options_for(chromium, {"goog:chromeOptions": {"edgeprofileNoSuchOption": 1}})
    started = time.monotonic()

    with pytest.raises(BrowserStartError) as caught:
        start_remote(grid.url, options, 30)  # type: ignore[arg-type]

    assert time.monotonic() - started < 15, "refused at once, not after the queue timeout"
    message = str(caught.value)
    assert message.startswith(f"the Selenium Grid at {grid.url} could not start a chrome session: ")
    assert "invalid argument" in message, "the driver's reason, as the Grid passed it on"
    assert "\n" not in message and "Traceback" not in message and caught.value.retryable
    assert grid.sessions() == []
    print(f"measured: {message}")
