"""The auth check opens the site before any test, so the site must already run: here on a fixed port, started
when pytest configures (in the controller, and in each worker for its tests)."""

from __future__ import annotations

import pytest

from demo.site import LoginSite

PORT = 8766
_site: LoginSite | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _site
    if not hasattr(config, "workerinput"):  # the controller: the check runs there, before any worker starts
        _site = LoginSite(port=PORT).start()


def pytest_unconfigure(config: pytest.Config) -> None:
    if _site is not None:
        _site.stop()
