"""After a worker dies with its session open, the Grid still holds the session; the controller finds it by the
run marker and deletes it through the Grid."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pytest_edgeprofile.grid import delete_run_sessions, run_sessions
from tests.support.browsers import QUIET_LIST
from tests.support.checks import wait_for
from tests.support.grid import LocalGrid

pytestmark = pytest.mark.browser

WORKER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from pytest_edgeprofile.browser.options import build_options
    from pytest_edgeprofile.grid import remote_options, start_remote
    url, binary, run_id, *args = sys.argv[1:]
    local = build_options("chromium", Path(binary), Path("/nonexistent"), "Default", extra_args=args)
    driver = start_remote(url, remote_options(local, "chromium", {}, run_id, "gw7"), 60)
    print(driver.session_id, flush=True)
    sys.stdin.read()
    """
)


def test_a_killed_workers_session_is_found_and_deleted(
    grid: LocalGrid, chromium: tuple[Path, Path], run_id: str
) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", WORKER, grid.url, str(chromium[0]), run_id, *QUIET_LIST],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as worker:
        try:
            assert worker.stdout is not None
            session_id = worker.stdout.readline().strip()
        finally:
            worker.kill()  # SIGKILL: no quit, no cleanup of its own
            worker.wait(10)
    assert session_id

    left = run_sessions(grid.url, run_id)

    assert [(s.session_id, s.worker_id) for s in left] == [(session_id, "gw7")], "the Grid still holds it"
    assert left[0].node_uri in grid.node_uris
    assert delete_run_sessions(grid.url, run_id) == 1
    assert run_sessions(grid.url, run_id) == ()
    assert wait_for(lambda: grid.sessions() == [], 10), "and /status shows no session either"
