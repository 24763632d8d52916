"""The worker pool on real Chromium and real processes: signed-in tasks on distinct clones, a worker killed mid-task,
Ctrl-C and SIGTERM during ``map``, an exception in a task, and bad input refused before any worker starts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from demo.site import USERNAME, LoginSite, token_for
from pytest_edgeprofile import (
    CloneError,
    PoolEvent,
    ProfileAwareWorkerPool,
    ProfileInUseError,
    ProfileNotFoundError,
    VerificationError,
    WorkerLostError,
)
from pytest_edgeprofile.pool import RemoteTraceback
from pytest_edgeprofile.pool.options import window_for
from pytest_edgeprofile.pool.workers import Slot, session_members
from pytest_edgeprofile.resilience import RetryConfig
from tests.support import pool_tasks as tasks
from tests.support.browsers import QUIET_ARGS, QUIET_LIST, TEST_BROWSER
from tests.support.checks import leftover_processes, tree_digest, wait_for

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parent.parent.parent
SIGNED_IN = "Signed in as alice"


def settings(base: Path, tmp_path: Path, **extra: Any) -> dict[str, Any]:
    """The pool's settings for a test: the browser under test, the base, a clone root and output of its own."""
    return {
        "browser": TEST_BROWSER,
        "user_data_dir": base,
        "clone_root": tmp_path / "clones",
        "arg": QUIET_LIST,
        "output": tmp_path / "results",
        **extra,
    }


def nothing_left(clone_root: Path) -> None:
    assert list(clone_root.iterdir()) == [], list(clone_root.rglob("*"))[:20]
    assert leftover_processes(clone_root) == []


def by_worker(seen: list[PoolEvent]) -> dict[str, list[str]]:
    kinds: dict[str, list[str]] = {}
    for event in seen:
        kinds.setdefault(event.worker, []).append(event.kind)
    return kinds


def test_four_workers_run_twenty_signed_in_tasks_on_four_clones(
    base_profile: Path, login_site: LoginSite, tmp_path: Path
) -> None:
    digest = tree_digest(base_profile)
    seen: list[PoolEvent] = []
    with ProfileAwareWorkerPool(workers=4, on_event=seen.append, **settings(base_profile, tmp_path)) as pool:
        run_path = pool.run_path
        results = list(pool.map(tasks.account, [login_site.url] * 20, range(20), timeout=180))
        # An exception in a task comes back from its future, with the worker's traceback as its cause ...
        with pytest.raises(ValueError, match=r"^on purpose$") as raised:
            pool.submit(tasks.fail, "on purpose").result(60)
        assert isinstance(raised.value.__cause__, RemoteTraceback)
        assert "tasks.py" in str(raised.value.__cause__) and "raise ValueError(message)" in str(raised.value.__cause__)
        # A result that cannot leave the worker is one sentence, from the future too.
        with pytest.raises(TypeError) as unsendable:
            pool.submit(tasks.element).result(60)
        assert str(unsendable.value).startswith("the result of the task (WebElement) cannot be sent back from its ")
        # ... and the worker lives on: later tasks run in the same four processes.
        later = {future.result(60) for future in [pool.submit(tasks.pid) for _ in range(4)]}
        reports = pool.metrics()
    assert run_path is not None
    assert [r["text"] for r in results] == [SIGNED_IN] * 20
    clones = {r["clone"] for r in results}
    assert len(clones) == 4 and all(Path(c).parent == run_path / "workers" for c in clones), clones
    pids = {r["pid"] for r in results}
    assert len(pids) == 4 and later <= pids and os.getpid() not in pids
    kinds = by_worker(seen)
    assert sorted(kinds) == ["pool-0", "pool-1", "pool-2", "pool-3"]
    for worker, order in kinds.items():
        assert order == ["worker_started", "verification", "profile_ready", "worker_stopped"], (worker, order)
    ready = [e for e in seen if e.kind == "verification"]
    assert all(e.data["status"] == "passed" and e.data["files"] == "passed" for e in ready)
    workers = [r for r in reports if r["worker"] != "controller"]
    assert sorted(r["worker"] for r in workers) == sorted(kinds) and all(r["status"] == "passed" for r in workers)
    assert sum(r["metrics"]["browser_starts"] for r in workers) >= 25  # a browser per task (driver-scope test)
    assert (tmp_path / "results" / "edgeprofile-metrics.json").is_file()
    logs = tmp_path / "results" / "logs"
    events = [json.loads(line) for line in (logs / "pool.jsonl").read_text().splitlines()]
    assert {"worker_started", "verification", "profile_ready", "worker_stopped", "cleanup"} <= {
        e["event"] for e in events
    }
    assert sorted(path.name for path in logs.glob("pool-*.jsonl")) == [f"pool-{n}.jsonl" for n in range(4)]
    token = token_for(USERNAME, login_site.secret)
    assert not [path for path in logs.iterdir() if token in path.read_text()]  # no session cookie in any log
    assert tree_digest(base_profile) == digest
    nothing_left(tmp_path / "clones")


@pytest.mark.parametrize("retries", [1, 0])
def test_a_worker_killed_mid_task_is_replaced_and_its_task_run_again_or_failed(
    base_profile: Path, login_site: LoginSite, tmp_path: Path, retries: int
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    seen: list[PoolEvent] = []
    pool = ProfileAwareWorkerPool(workers=2, retries=retries, on_event=seen.append, **settings(base_profile, tmp_path))
    with pool:
        futures = [pool.submit(tasks.marked_account, login_site.url, page, str(marks), 2.0) for page in range(4)]
        assert wait_for(lambda: any(marks.iterdir()), 90), "no task started"
        mark = next(marks.iterdir())
        victim, page = int(mark.name), int(mark.read_text())
        os.kill(victim, signal.SIGKILL)
        outcomes = [future.exception(120) or future.result() for future in futures]
        assert wait_for(lambda: any(e.kind == "profile_ready" and "." in e.worker for e in seen), 60)
        after = pool.submit(tasks.pid).result(60)  # the pool goes on with its replacement
        # The dead worker's browser and driver are ended and its clone removed at once, not at the end.
        [dead] = [e.worker for e in seen if e.kind == "worker_replaced"]
        assert pool.run_path is not None
        assert wait_for(lambda: not (pool.run_path / "workers" / dead).exists(), 10)
        assert wait_for(lambda: session_members(victim) == [], 10), session_members(victim)
    lost = outcomes.pop(page)
    if retries:
        assert lost["text"] == SIGNED_IN and lost["pid"] != victim  # run again, on another worker
    else:
        assert isinstance(lost, WorkerLostError) and lost.pid == victim and lost.exitcode == -signal.SIGKILL
        assert str(lost).endswith(
            "a new worker on a new clone took its place, and the task has no retries left (retries=0)."
        )
    assert [r["text"] for r in outcomes] == [SIGNED_IN] * 3  # the other tasks are unaffected
    assert after != victim
    replaced = [e for e in seen if e.kind == "worker_replaced"]
    assert len(replaced) == 1 and replaced[0].data["pid"] == victim, replaced
    assert replaced[0].data["exitcode"] == -signal.SIGKILL and replaced[0].data["by"].endswith(".1")
    nothing_left(tmp_path / "clones")


def test_a_task_whose_browser_died_runs_again_on_a_new_browser(
    base_profile: Path, login_site: LoginSite, tmp_path: Path
) -> None:
    seen: list[PoolEvent] = []
    with ProfileAwareWorkerPool(workers=1, on_event=seen.append, **settings(base_profile, tmp_path)) as pool:
        result = pool.submit(tasks.kill_browser_once, login_site.url, str(tmp_path)).result(120)
        [report] = [r for r in pool.metrics() if r["worker"] == "pool-0"]
    assert (tmp_path / "killed").exists() and result["text"] == SIGNED_IN
    assert report["metrics"]["browser_deaths"] == 1
    remediated = [e for e in seen if e.kind == "worker_remediated"]
    assert [e.data.get("browser_deaths") for e in remediated] == [1], seen
    nothing_left(tmp_path / "clones")


def test_driver_scope_worker_shares_one_browser_per_worker_across_many_tasks(
    base_profile: Path, tmp_path: Path
) -> None:
    with ProfileAwareWorkerPool(workers=2, driver_scope="worker", **settings(base_profile, tmp_path)) as pool:
        pids = [future.result(60) for future in [pool.submit(tasks.pid) for _ in range(100)]]
        reports = [r for r in pool.metrics() if r["worker"] != "controller"]
    assert len(pids) == 100 and len(set(pids)) <= 2
    assert [r["metrics"]["browser_starts"] for r in reports] == [1] * len(reports), reports  # the verified one
    nothing_left(tmp_path / "clones")


def test_when_every_workers_clone_fails_every_task_fails_with_its_sentence(base_profile: Path, tmp_path: Path) -> None:
    """A browser that cannot start on the clones (here: told to print its version and exit) fails each worker's
    verification after its retries on fresh clones; the tasks fail with that sentence instead of waiting."""
    seen: list[PoolEvent] = []
    extra = {"arg": [*QUIET_LIST, "--version"], "retry": RetryConfig(attempts=2, backoff=0.01)}
    with ProfileAwareWorkerPool(workers=2, on_event=seen.append, **(settings(base_profile, tmp_path) | extra)) as pool:
        first = pool.submit(tasks.pid)
        with pytest.raises(VerificationError) as raised:
            first.result(120)
        with pytest.raises(VerificationError):
            pool.submit(tasks.pid).result(10)  # at once: no worker is left to run it
    message = str(raised.value)
    assert "did not start on the clone" in message and ": 2 attempts, each on a fresh clone)" in message, message
    assert raised.value.check == "capabilities"
    kinds = by_worker(seen)
    assert kinds == {w: ["worker_started", "verification", "worker_stopped"] for w in ("pool-0", "pool-1")}, kinds
    assert all(e.data["status"] == "failed" for e in seen if e.kind == "verification")
    nothing_left(tmp_path / "clones")


def test_an_exception_in_the_with_block_ends_the_workers_and_removes_everything(
    base_profile: Path, login_site: LoginSite, tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    seen: list[PoolEvent] = []
    started = time.monotonic()
    pool = ProfileAwareWorkerPool(workers=2, on_event=seen.append, **settings(base_profile, tmp_path))
    with pytest.raises(RuntimeError, match="the caller's own error"), pool:
        futures = [pool.submit(tasks.marked_account, login_site.url, n, str(marks), 60.0) for n in range(4)]
        assert wait_for(lambda: len(list(marks.iterdir())) == 2, 90)
        raise RuntimeError("the caller's own error")
    assert time.monotonic() - started < 60  # the 60 s tasks were not waited for
    assert all(future.done() and (future.cancelled() or future.exception()) for future in futures)
    workers = {e.data["pid"] for e in seen if e.kind == "worker_started"}
    assert len(workers) == 2 and not any(psutil.pid_exists(pid) for pid in workers)
    nothing_left(tmp_path / "clones")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_or_sigterm_during_map_ends_everything_within_seconds(
    base_profile: Path, login_site: LoginSite, tmp_path: Path, signum: signal.Signals
) -> None:
    marks, clone_root = tmp_path / "marks", tmp_path / "clones"
    marks.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env |= {"PYTEST_EDGEPROFILE_BROWSER": TEST_BROWSER, "PYTEST_EDGEPROFILE_ARG": QUIET_ARGS}
    args = [login_site.url, str(base_profile), str(clone_root), str(marks), str(tmp_path / "results")]
    script = subprocess.Popen(
        [sys.executable, "-m", "tests.support.pool_interrupted", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a command started from a terminal
    )
    try:
        assert wait_for(lambda: len(list(marks.iterdir())) == 2, 90), "the two workers did not start their tasks"
        workers = psutil.Process(script.pid).children()
        sent = time.monotonic()
        if signum == signal.SIGINT:
            os.killpg(script.pid, signum)  # a terminal's Ctrl-C: the whole foreground process group
        else:
            script.send_signal(signum)  # a CI runner cancelling the job: the process it started, only
        _, stderr = script.communicate(timeout=30)
        took = time.monotonic() - sent
    finally:
        if script.poll() is None:
            script.kill()
            script.wait(10)
    assert took < 15, f"the pool took {took:.1f} s to end"
    assert script.returncode != 0 and "KeyboardInterrupt" in stderr, stderr[-2000:]
    assert wait_for(lambda: not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in workers), 10)
    nothing_left(clone_root)


def test_headed_windows_are_placed_side_by_side(base_profile: Path, tmp_path: Path) -> None:
    """headed=True places each worker's windows in its own cell. No display here: the browsers get --headless=new
    from ``arg`` on top, which keeps the window geometry the pool gives them."""
    extra = {"headed": True, "window_size": (500, 400), "arg": [*QUIET_LIST, "--headless=new"]}
    with ProfileAwareWorkerPool(workers=3, **(settings(base_profile, tmp_path) | extra)) as pool:
        seen = list(pool.map(tasks.window, [1.0] * 6, timeout=120))
    slots = {int(Path(s["clone"]).name.split("-")[1]) for s in seen}
    assert len(slots) >= 2, seen
    for result in seen:
        x, y, width, height = window_for(int(Path(result["clone"]).name.split("-")[1]), 3, (500, 400))
        assert result["rect"] == {"x": x, "y": y, "width": width, "height": height}, result
    nothing_left(tmp_path / "clones")


@pytest.fixture
def no_worker_may_start(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Fails the test if the pool starts a worker process (the worker processes are not started, only counted)."""
    started: list[str] = []
    monkeypatch.setattr(Slot, "launch", lambda self, context, spec_for: started.append("launch"))
    yield started
    assert started == [], "a worker process was started"


def base_missing(base: Path, tmp_path: Path) -> tuple[dict[str, Any], type[Exception], str]:
    missing = tmp_path / "no such User Data"
    return (
        {"user_data_dir": missing},
        ProfileNotFoundError,
        f"the base user data dir {missing} (from keyword argument user_data_dir=) does not exist; ",
    )


def profile_unknown(base: Path, tmp_path: Path) -> tuple[dict[str, Any], type[Exception], str]:
    return (
        {"profile": "Profile 9"},
        ProfileNotFoundError,
        f"profile 'Profile 9' (from keyword argument profile=) is not in {base}; available profiles: 'Default'",
    )


def clone_root_is_a_file(base: Path, tmp_path: Path) -> tuple[dict[str, Any], type[Exception], str]:
    blocker = tmp_path / "a file"
    blocker.write_text("")
    return (
        {"clone_root": blocker / "clones"},
        CloneError,
        f"the clone root {blocker / 'clones'} (from keyword argument clone_root=) cannot be made: {blocker} is not a "
        "folder; choose another",
    )


@pytest.mark.parametrize("case", [base_missing, profile_unknown, clone_root_is_a_file])
def test_bad_input_is_one_sentence_before_any_worker_starts(
    case: Any, base_profile: Path, tmp_path: Path, no_worker_may_start: list[str]
) -> None:
    extra, error, opening = case(base_profile, tmp_path)
    seen: list[PoolEvent] = []
    pool = ProfileAwareWorkerPool(workers=2, on_event=seen.append, **(settings(base_profile, tmp_path) | extra))
    with pytest.raises(error) as raised, pool:
        pytest.fail("entered a pool whose base or clone root is wrong")
    message = str(raised.value)
    assert message.startswith(opening) and "\n" not in message, message
    assert seen == []
    assert not (tmp_path / "clones").exists() or list((tmp_path / "clones").iterdir()) == []


def test_a_base_in_use_is_refused_before_any_worker_starts(
    base_copy: Path, running_browser: subprocess.Popen[bytes], tmp_path: Path, no_worker_may_start: list[str]
) -> None:
    with pytest.raises(ProfileInUseError) as raised, ProfileAwareWorkerPool(workers=2, **settings(base_copy, tmp_path)):
        pytest.fail("entered a pool whose base is open in a browser")
    assert str(raised.value).startswith(f"the base profile {base_copy} is in use by "), str(raised.value)
    assert running_browser.poll() is None  # the user's browser is never touched
    assert not (tmp_path / "clones").exists() or list((tmp_path / "clones").iterdir()) == []
