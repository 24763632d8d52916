"""isolation context's policy without a browser: the login state read once per worker, the websockets kept per
browser and renewed after a failure, a dead browser replaced."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_edgeprofile import state as state_package
from pytest_edgeprofile.browser import scopes
from pytest_edgeprofile.errors import BrowserContextError
from pytest_edgeprofile.state import LoginState
from pytest_edgeprofile.state import contexts as contexts_module


@dataclass
class FakeDriver:
    name: str
    alive: bool = True


@dataclass
class FakeLauncher:
    started: list[FakeDriver] = field(default_factory=list)
    quit_ones: list[str] = field(default_factory=list)

    class log:  # the launcher's structlog logger, as the scope uses it
        @staticmethod
        def info(*_args: object, **_kwargs: object) -> None: ...

        @staticmethod
        def warning(*_args: object, **_kwargs: object) -> None: ...

    def start(self, _options: object, _profile: object) -> FakeDriver:
        self.started.append(FakeDriver(f"browser-{len(self.started) + 1}"))
        return self.started[-1]

    def quit(self, driver: FakeDriver, _profile: object) -> None:
        self.quit_ones.append(driver.name)


@dataclass
class FakeConnections:
    driver: FakeDriver
    closed: bool = False

    def close(self) -> None:
        self.closed = True


@dataclass
class World:
    """What the scope asked of the (faked) state package."""

    reads: list[str] = field(default_factory=list)
    connections: list[FakeConnections] = field(default_factory=list)
    opened: list[tuple[str, int]] = field(default_factory=list)  # (browser, index of the connections used)
    failures: list[BrowserContextError] = field(default_factory=list)  # raised by the next opens, in order


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    found = World()

    def read_state(driver: FakeDriver, origins: tuple[str, ...]) -> LoginState:
        found.reads.append(f"{driver.name} {origins}")
        return LoginState(())

    def open_connections(driver: FakeDriver, timeout: float = 0) -> FakeConnections:
        found.connections.append(FakeConnections(driver))
        return found.connections[-1]

    def open_context(driver: FakeDriver, _state: LoginState, connections: FakeConnections) -> object:
        if found.failures:
            raise found.failures.pop(0)
        assert connections.driver is driver and not connections.closed
        found.opened.append((driver.name, found.connections.index(connections)))
        return object()

    monkeypatch.setattr(state_package, "read_state", read_state)
    monkeypatch.setattr(contexts_module.Connections, "open", staticmethod(open_connections))
    monkeypatch.setattr(contexts_module, "open_context", open_context)
    monkeypatch.setattr(contexts_module, "context_support", lambda driver: None)
    monkeypatch.setattr(contexts_module, "close_context", lambda driver, context: "tab")
    monkeypatch.setattr(scopes, "is_usable", lambda driver: driver.alive)
    return found


PROFILE: Any = type("Profile", (), {"user_data_dir": Path("/clone")})()


def test_the_state_is_read_once_from_the_first_browser_and_its_websockets_serve_every_test(world: World) -> None:
    launcher = FakeLauncher()
    scope = scopes.PerTestContext(launcher, ("http://site",))  # type: ignore[arg-type]
    warm = FakeDriver("verified")
    for first in (True, False, False):
        driver = scope.acquire(None, PROFILE, warm if first else None)  # type: ignore[arg-type]
        scope.release(driver, PROFILE)
    assert world.reads == ["verified ('http://site',)"]
    assert world.opened == [("verified", 0)] * 3 and len(world.connections) == 1
    assert launcher.started == [], "no browser besides the verified one"
    scope.close(PROFILE)
    assert world.connections[0].closed and launcher.quit_ones == ["verified"]


def test_a_failed_open_renews_the_websockets_and_a_dead_browser_is_replaced(world: World) -> None:
    launcher = FakeLauncher()
    scope = scopes.PerTestContext(launcher)  # type: ignore[arg-type]
    first = scope.acquire(None, PROFILE, FakeDriver("verified"))  # type: ignore[arg-type]
    scope.release(first, PROFILE)

    world.failures.append(BrowserContextError("refused", browser_gone=False))
    with pytest.raises(BrowserContextError, match="refused"):
        scope.acquire(None, PROFILE, None)  # type: ignore[arg-type]
    assert world.connections[0].closed, "a connection that failed is not used again"
    again = scope.acquire(None, PROFILE, None)  # type: ignore[arg-type]
    assert again is first and world.opened[-1] == ("verified", 1)
    scope.release(again, PROFILE)

    world.failures.append(BrowserContextError("gone"))  # the browser died while the context was being opened
    replaced = scope.acquire(None, PROFILE, None)  # type: ignore[arg-type]
    assert replaced.name == "browser-1" and world.opened[-1] == ("browser-1", 2)
    assert launcher.quit_ones == ["verified"] and world.connections[1].closed
    assert len(world.reads) == 1, "the worker's state outlives its browser"
