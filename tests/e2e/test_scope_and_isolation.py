"""driver-scope worker (one browser per worker, reset between tests) and isolation test (a restored clone per test)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.checks import leftover_processes
from tests.support.inner import run_files

pytestmark = pytest.mark.browser

SHARED = """
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait


@pytest.mark.parametrize("n", range(4))
def test_shared_browser_is_reset_and_still_signed_in(edge_driver, edge_profile, worker_id, n):
    # What the previous test on this worker left behind is gone...
    handles = edge_driver.window_handles
    url = edge_driver.current_url
    assert signed_in(edge_driver)
    record(f"shared-{n}", edge_profile, worker_id, session=edge_driver.session_id, handles=len(handles), url=url,
           starts=edge_profile.metrics.get("browser_starts"))
    # ...and this test leaves a mess: an open alert (in an extra window for n 1), or, for n 2, it closes the window
    # it is in, leaving the driver in no window and another one open.
    if n == 2:
        first = edge_driver.current_window_handle
        edge_driver.switch_to.new_window("window")
        edge_driver.switch_to.window(first)
        edge_driver.close()
        return
    if n == 1:
        edge_driver.switch_to.new_window("window")
    edge_driver.execute_script("setTimeout(() => alert('left open'), 0)")
    WebDriverWait(edge_driver, 10).until(expected_conditions.alert_is_present())


def test_z_kill_the_shared_browser(edge_driver):
    for child in psutil.Process(edge_driver.service.process.pid).children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):  # a helper may exit on its own first
            child.kill()


def test_zz_after_the_kill(edge_driver, edge_profile, worker_id):
    assert signed_in(edge_driver)
    record("after-kill", edge_profile, worker_id, session=edge_driver.session_id)
"""


def test_driver_scope_worker_shares_one_browser_per_worker_resets_it_and_replaces_a_dead_one(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    base_profile: Path,
    clone_root: Path,
    plugin_env: dict[str, str],
) -> None:
    result, records = run_files(
        pytester, monkeypatch, base_profile, clone_root, {"test_shared": SHARED}, "--edgeprofile-driver-scope", "worker"
    )
    result.assert_outcomes(passed=6)
    shared = [records[f"shared-{n}"] for n in range(4)]
    assert len({r["session"] for r in shared}) == 1, "one browser for all the worker's tests"
    assert [r["handles"] for r in shared] == [1, 1, 1, 1]
    assert [r["url"] for r in shared[1:]] == ["about:blank"] * 3, [r["url"] for r in shared]
    assert [r["starts"] for r in shared] == [1, 1, 1, 1]  # the browser verified in session setup is the shared one
    assert records["after-kill"]["session"] != shared[0]["session"], "a dead browser must be replaced"
    assert list(clone_root.iterdir()) == [] and leftover_processes(clone_root) == []


NEW_BROWSER = """
@pytest.fixture
def edge_options(edge_options):
    edge_options.add_argument("--window-size=1234,777")  # not seen by the browser that made the blank tab
    return edge_options


def pages(driver):
    return [t["url"] for t in driver.execute_cdp_cmd("Target.getTargets", {})["targetInfos"] if t["type"] == "page"]


def test_a_leaves_pages_open(edge_driver, edge_profile, worker_id):
    record("a-start", edge_profile, worker_id, pages=pages(edge_driver), handles=len(edge_driver.window_handles))
    assert signed_in(edge_driver)
    edge_driver.get(SITE + "/account?left-open-by=a")
    edge_driver.switch_to.new_window("tab")
    edge_driver.get(SITE + "/?left-open-by=a")
    record("a", edge_profile, worker_id, session=edge_driver.session_id)


def test_b_gets_a_new_browser_with_none_of_them(edge_driver, edge_profile, worker_id):
    opened = pages(edge_driver)
    handles = len(edge_driver.window_handles)
    edge_driver.back()  # the restored blank tab has no history to go back to
    record("b", edge_profile, worker_id, session=edge_driver.session_id, pages=opened, handles=handles,
           after_back=edge_driver.current_url, blank_starts=edge_profile.metrics.get("blank_starts"),
           starts=edge_profile.metrics.get("browser_starts"), size=edge_driver.get_window_size())
    assert signed_in(edge_driver)
"""


@pytest.mark.parametrize("xdist", [[], ["-n", "1"]], ids=["one-process", "xdist"])
def test_a_tests_browser_opens_one_blank_tab_and_none_of_the_pages_the_previous_tests_browser_left_open(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    base_profile: Path,
    clone_root: Path,
    plugin_env: dict[str, str],
    xdist: list[str],
) -> None:
    # The plugin starts browsers with --restore-last-session (the base's session cookies need it), which on its
    # own reopens the tabs the last browser on the clone had open: here, test a's pages in test b's browser.
    result, records = run_files(pytester, monkeypatch, base_profile, clone_root, {"test_new": NEW_BROWSER}, *xdist)
    result.assert_outcomes(passed=2)
    assert records["a"]["session"] != records["b"]["session"]
    assert records["b"]["handles"] == 1
    assert not [url for url in records["b"]["pages"] if "left-open-by" in url], records["b"]["pages"]
    # Browsers restore the run's blank tab instead: one about:blank tab, not the new tab page (which costs a
    # third of a browser's start-up CPU), and nothing to go back to. An xdist worker waits for the controller to
    # make it; one process starts its first browser alongside instead, so only its later browsers are sure of it.
    starts = ("a-start", "b") if xdist else ("b",)
    for start in starts:
        assert (records[start]["pages"], records[start]["handles"]) == (["about:blank"], 1), records[start]
    assert records["b"]["after_back"] == "about:blank"
    # Every start restored it, but for the first without xdist (the browser verified in session setup, which the
    # options override here keeps from serving test a).
    assert records["b"]["blank_starts"] == records["b"]["starts"] - (0 if xdist else 1)
    blank, starts = records["b"]["blank_starts"], records["b"]["starts"]
    result.stdout.fnmatch_lines(["worker *  starts  blank  deaths*", f"* {starts} *{blank} *passed"])
    assert records["b"]["size"] == {"width": 1234, "height": 777}, "the restored window must not override options"
    assert list(clone_root.iterdir()) == [] and leftover_processes(clone_root) == []


ISOLATION = """
def test_a_signs_out_and_changes_a_setting(edge_driver, edge_profile, worker_id):
    assert signed_in(edge_driver)
    edge_driver.execute_script("localStorage.setItem('changed-by', 'test a')")
    edge_driver.get(SITE + "/logout")


def test_b_sees_none_of_it(edge_driver, edge_profile, worker_id):
    edge_driver.get(SITE + "/")
    changed = edge_driver.execute_script("return localStorage.getItem('changed-by')")
    record("b", edge_profile, worker_id, changed=changed, restores=edge_profile.metrics.get("restores", 0))
    assert changed is None
    assert signed_in(edge_driver)
"""


@pytest.mark.parametrize("isolation", ["test", "worker"])
def test_isolation_test_restores_the_clone_before_each_test(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    base_profile: Path,
    clone_root: Path,
    plugin_env: dict[str, str],
    isolation: str,
) -> None:
    result, records = run_files(
        pytester,
        monkeypatch,
        base_profile,
        clone_root,
        {"test_isolation": ISOLATION},
        "--edgeprofile-isolation",
        isolation,
    )
    if isolation == "test":
        result.assert_outcomes(passed=2)
        assert records["b"]["restores"] == 1  # test a used the verified browser on the untouched clone
    else:
        # The contrast that proves the test above can fail: without isolation, test a's sign-out leaks into b.
        result.assert_outcomes(passed=1, failed=1)
        assert records["b"]["changed"] == "test a"
    assert list(clone_root.iterdir()) == [] and leftover_processes(clone_root) == []


DYNAMIC = """
@pytest.fixture
def browser(request):
    return request.getfixturevalue("edge_driver")  # not among the test's fixture names at collection


@pytest.mark.parametrize("n", range(3))
def test_through_another_fixture(browser, request, n):
    assert signed_in(browser)
    profile = request.getfixturevalue("edge_profile")
    metrics = profile.metrics
    record(f"d{n}", profile, "main", blank=metrics.get("blank_starts"), starts=metrics.get("browser_starts"))
"""


def test_without_xdist_the_blank_tab_is_made_also_for_a_browser_asked_for_through_another_fixture(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    base_profile: Path,
    clone_root: Path,
    plugin_env: dict[str, str],
) -> None:
    result, records = run_files(pytester, monkeypatch, base_profile, clone_root, {"test_dynamic": DYNAMIC})
    result.assert_outcomes(passed=3)
    last = records["d2"]
    # The first browser starts alongside the blank tab; every later one opens it.
    assert (last["starts"], last["blank"]) == (3, 2), records
