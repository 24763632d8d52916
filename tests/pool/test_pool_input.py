"""The pool's keyword arguments and its import, without a browser: the settings resolve as the plugin's do (keyword >
environment > default, the same sentences naming the keyword), a bad task is refused at ``submit``, headed
windows are laid out side by side, and importing the pool imports no pytest."""

from __future__ import annotations

import itertools
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_edgeprofile import (
    ProfileAwareWorkerPool,
    ProfileInUseError,
    SettingsError,
    VerificationError,
    WorkerLostError,
)
from pytest_edgeprofile.pool.options import resolve_settings, window_for

ROOT = Path(__file__).resolve().parent.parent.parent


def test_keywords_win_over_the_environment_which_wins_over_defaults(tmp_path: Path) -> None:
    env = {"PYTEST_EDGEPROFILE_BROWSER": "chrome", "PYTEST_EDGEPROFILE_KEEP": "always", "PYTEST_EDGEPROFILE_ARG": "-a"}
    s = resolve_settings(
        {"browser": "chromium", "user_data_dir": tmp_path / "User Data", "verify": ["files"], "arg": ["--x", "--y"]},
        env=env,
        cwd=tmp_path,
    )
    assert (s.browser, s.keep, s.verify, s.args) == ("chromium", "always", ("files",), ("--x", "--y"))
    assert s.user_data_dir == tmp_path / "User Data"
    assert s.source("browser") == "keyword argument browser=" and s.source("keep") == "env PYTEST_EDGEPROFILE_KEEP"
    assert s.source("channel") == "default"


def test_a_bad_value_names_its_keyword() -> None:
    with pytest.raises(SettingsError) as raised:
        ProfileAwareWorkerPool(browser="firefox")
    assert str(raised.value) == (
        "browser is 'firefox' (from keyword argument browser=); valid values are: edge, chrome, chromium."
    )
    assert (raised.value.setting, raised.value.source) == ("browser", "keyword argument browser=")


def test_an_unknown_keyword_is_one_sentence_naming_it() -> None:
    with pytest.raises(SettingsError) as raised:
        ProfileAwareWorkerPool(user_data=Path("x"))
    message = str(raised.value)
    assert message.startswith("ProfileAwareWorkerPool has no keyword argument 'user_data'; its settings are")
    assert "user_data_dir" in message and "\n" not in message


@pytest.mark.parametrize(
    ("keyword", "value", "expected"),
    [
        ("workers", 0, "workers is 0 (from keyword argument workers=); give a whole number of 1 or more."),
        ("retries", -1, "retries is -1 (from keyword argument retries=); give a whole number of 0 or more."),
        (
            "window_size",
            (800,),
            "window_size is (800,) (from keyword argument window_size=); give (width, height) in pixels, "
            "for example (800, 600).",
        ),
    ],
)
def test_the_pools_own_keywords_are_checked(keyword: str, value: object, expected: str) -> None:
    with pytest.raises(SettingsError) as raised:
        ProfileAwareWorkerPool(**{keyword: value})  # type: ignore[arg-type]
    assert str(raised.value) == expected


def test_a_task_that_cannot_be_pickled_is_refused_at_submit() -> None:
    pool = ProfileAwareWorkerPool(workers=1)
    with pytest.raises(TypeError) as raised:
        pool.submit(lambda driver: driver.title)
    message = str(raised.value)
    assert message.startswith(
        "the task 'test_a_task_that_cannot_be_pickled_is_refused_at_submit.<locals>.<lambda>' cannot be sent to a "
        "worker process ("
    )
    assert message.endswith(
        "a task must be a function defined at module level (not a lambda or a nested function) "
        "and its arguments plain, picklable data."
    )
    with open(__file__) as handle, pytest.raises(TypeError, match="cannot be sent to a worker process"):
        pool.submit(len, handle)  # an open file is the classic argument that cannot be pickled


@pytest.mark.parametrize("workers", [1, 2, 4, 6, 9])
def test_headed_windows_never_overlap(workers: int) -> None:
    windows = [window_for(slot, workers, (640, 480)) for slot in range(workers)]
    assert windows[0] == (0, 0, 640, 480) and all(x >= 0 and y >= 0 for x, y, _, _ in windows)
    for (ax, ay, aw, ah), (bx, by, _, _) in itertools.combinations(windows, 2):
        assert abs(ax - bx) >= aw or abs(ay - by) >= ah


def test_importing_the_pool_imports_no_pytest() -> None:
    code = (
        "import sys, pytest_edgeprofile\n"
        "from pytest_edgeprofile import ProfileAwareWorkerPool\n"
        "import pytest_edgeprofile.pool.process\n"
        "assert ProfileAwareWorkerPool.__module__ == 'pytest_edgeprofile.pool.pool'\n"
        "assert 'pytest' not in sys.modules and '_pytest' not in sys.modules, sorted(sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_every_profile_error_crosses_a_process_boundary_with_its_attributes(tmp_path: Path) -> None:
    """Workers send these to the caller pickled; subclasses whose __init__ takes more than a message must survive."""
    sent = [
        SettingsError("browser is 'x' (from keyword argument browser=)", "browser", "keyword argument browser="),
        ProfileInUseError("in use", tmp_path, 42, "msedge"),
        VerificationError("auth failed", tmp_path, "auth", critical=False),
        WorkerLostError("lost", tmp_path, "pool-1", 7, -9),
    ]
    for error in sent:
        back = pickle.loads(pickle.dumps(error))
        assert type(back) is type(error) and str(back) == str(error) and back.args == error.args
        assert vars(back) == vars(error)
