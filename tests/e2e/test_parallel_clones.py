"""End to end on real Chromium: inner pytest runs (-n 0 and -n 3) on clones of a logged-in base profile."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.browsers import TEST_BROWSER
from tests.support.checks import driver_pids, leftover_processes, new_drivers_left, tree_digest
from tests.support.inner import run_inner

pytestmark = pytest.mark.browser
# What the browser calls itself in the new session's capabilities.
BROWSER_NAMES = ("msedge",) if TEST_BROWSER == "edge" else ("chrome", "chromium")


@pytest.mark.parametrize("workers", ["0", "3"])
def test_every_test_logged_in_on_its_own_workers_clone(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    base_profile: Path,
    clone_root: Path,
    plugin_env: dict[str, str],
    workers: str,
) -> None:
    before = tree_digest(base_profile)
    drivers_before = driver_pids()
    count = 6
    result, records = run_inner(pytester, monkeypatch, base_profile, clone_root, "-n", workers, count=count)

    result.assert_outcomes(passed=count)
    assert len(records) == count
    assert {r["heading"] for r in records} == {"Signed in as alice"}
    clones_by_worker: dict[str, set[str]] = {}
    for record in records:
        clones_by_worker.setdefault(str(record["worker"]), set()).add(str(record["clone"]))
        assert Path(str(record["browser_user_data_dir"])).resolve() == Path(str(record["clone"])).resolve()
        assert Path(str(record["clone"])).resolve().is_relative_to(clone_root.resolve())
        assert record["verification"] == {"files": "passed", "capabilities": "passed"}
        assert record["driver_class"] == "WebDriver" and record["browser_name"] in BROWSER_NAMES
        # Without the plugin's --disable-features, Chromium 156 keeps two hidden omnibox-popup pages here.
        assert not [url for url in record["hidden_ui_pages"] if "omnibox-popup" in url]
    if workers == "0":
        assert set(clones_by_worker) == {"main"}
    else:
        assert len(clones_by_worker) >= 2, "xdist should have spread six tests over several workers"
    # one clone per worker, never shared
    assert all(len(clones) == 1 for clones in clones_by_worker.values())
    all_clones = [next(iter(c)) for c in clones_by_worker.values()]
    assert len(set(all_clones)) == len(all_clones)

    assert tree_digest(base_profile) == before, "the base profile changed"
    assert list(clone_root.iterdir()) == [], "a run folder was left behind"
    assert leftover_processes(clone_root) == []
    assert new_drivers_left(drivers_before) == []
