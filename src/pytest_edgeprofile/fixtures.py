"""The public fixtures: ``edge_profile`` (this worker's clone), ``edge_options``, ``edge_driver``.

They are layered like pytest-playwright's: a conftest can override ``edge_options`` (asking for the original
by the same name) and ``edge_driver`` will use the result.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.webdriver.chromium.options import ChromiumOptions
from selenium.webdriver.chromium.webdriver import ChromiumDriver

from .errors import ProfileError
from .profile.manager import WorkerProfile
from .session import WorkerSession

FIXTURE_NAMES = ("edge_driver", "edge_options", "edge_profile")
SESSION: pytest.StashKey[WorkerSession] = pytest.StashKey()


def _session(request: pytest.FixtureRequest) -> WorkerSession:
    return request.config.stash[SESSION]


@pytest.fixture(scope="session")
def edge_profile(request: pytest.FixtureRequest) -> WorkerProfile:
    """This worker's verified clone of the base profile (path, profile folder, verification, metrics)."""
    try:
        return _session(request).prepare()
    except ProfileError as exc:
        message = f"pytest-edgeprofile: {exc}"
    pytest.fail(message, pytrace=False)  # outside the except: no "During handling of ..." second copy


@pytest.fixture
def edge_options(request: pytest.FixtureRequest, edge_profile: WorkerProfile) -> ChromiumOptions:
    """The browser options ``edge_driver`` will use; override or extend them in a conftest."""
    return _session(request).options(edge_profile)


@pytest.fixture
def edge_driver(
    request: pytest.FixtureRequest, edge_profile: WorkerProfile, edge_options: ChromiumOptions
) -> Iterator[ChromiumDriver]:
    """A Selenium WebDriver on this worker's clone: new per test, or per worker (reset between tests)."""
    session = _session(request)
    try:
        driver = session.acquire(edge_options, edge_profile)
    except ProfileError as exc:
        message = f"pytest-edgeprofile: {exc}"
    else:
        yield driver
        session.release(driver, edge_profile)
        return
    pytest.fail(message, pytrace=False)
