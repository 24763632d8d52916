"""Shared by the examples: the demo login site, one per worker (same secret, so the profile's cookie works)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from demo.site import LoginSite


@pytest.fixture(scope="session")
def site() -> Iterator[LoginSite]:
    """The demo login site on 127.0.0.1."""
    server = LoginSite().start()
    yield server
    server.stop()
