"""The public fixtures: ``edge_profile`` (this worker's clone), ``edge_options``, ``edge_driver``.

They are layered like pytest-playwright's: a conftest can override ``edge_options`` (asking for the original
by the same name) and ``edge_driver`` will use the result.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NoReturn

import pytest
from selenium.webdriver.chromium.options import ChromiumOptions
from selenium.webdriver.chromium.webdriver import ChromiumDriver

from .errors import ProfileError
from .profile.manager import WorkerProfile
from .worker import FIXTURE_NAMES, Worker

WORKER: pytest.StashKey[Worker] = pytest.StashKey()

__all__ = ["FIXTURE_NAMES", "WORKER", "edge_driver", "edge_options", "edge_profile"]


def _worker(request: pytest.FixtureRequest) -> Worker:
    return request.config.stash[WORKER]


def _fail(exc: ProfileError) -> NoReturn:
    pytest.fail(f"pytest-edgeprofile: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def edge_profile(request: pytest.FixtureRequest) -> WorkerProfile:
    """This worker's verified clone of the base profile (path, profile folder, verification, metrics).

    Prepared by the worker role at session setup, which this returns (see ``worker.Worker``). Its browsers are
    closed at session finish by that role, not in a teardown here: under xdist session fixtures are torn down
    inside a worker's last test, whose report then waits for every browser of the worker to exit (measured: 0.4 s
    more wall time at -n 6, ``python -m benchmarks.ab``)."""
    try:
        return _worker(request).owner.prepare()
    except ProfileError as exc:
        error = exc
    _fail(error)  # outside the except: no "During handling of ..." second copy


@pytest.fixture
def edge_options(request: pytest.FixtureRequest, edge_profile: WorkerProfile) -> ChromiumOptions:
    """The browser options ``edge_driver`` will use; override or extend them in a conftest."""
    return _worker(request).owner.options(edge_profile)


@pytest.fixture
def edge_driver(
    request: pytest.FixtureRequest, edge_profile: WorkerProfile, edge_options: ChromiumOptions
) -> Iterator[ChromiumDriver]:
    """A Selenium WebDriver on this worker's clone: new per test, or per worker (reset between tests). The first
    test gets the browser that passed verification when it wants the same options. After a failed test its
    screenshot, page and logs are saved (``artifacts``) before the browser is released."""
    worker = _worker(request)
    owner = worker.owner
    try:
        driver = owner.scope.acquire(edge_options, edge_profile, owner.take_warm(edge_options))
    except ProfileError as exc:
        error = exc
    else:
        yield driver
        try:
            worker.save_artifacts(request.node, driver)
        finally:
            owner.scope.release(driver, edge_profile)
        return
    _fail(error)
