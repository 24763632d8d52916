"""The Grid's preflight: before any worker starts, the Grid answers ``/status`` as ready and offers the browser.

A Grid that is down, not ready or without a node for the browser gets one sentence (the URL, what the Grid
offers, what to do) instead of every worker's session request failing or waiting in the queue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import GridError
from .http import DEFAULT_TIMEOUT, base_url, request_json

# The W3C browserName a Grid node's stereotype carries for each of the plugin's browsers.
GRID_BROWSER_NAMES = {"edge": "MicrosoftEdge", "chrome": "chrome", "chromium": "chrome"}
AVAILABLE = "UP"


def grid_browser_name(browser: str) -> str:
    """``MicrosoftEdge`` for edge, ``chrome`` for chrome and chromium (Chromium has no browserName of its own)."""
    return GRID_BROWSER_NAMES[browser]


@dataclass(frozen=True)
class GridNode:
    """One node as ``/status`` reports it: its address, availability and, per slot, the browserName it offers."""

    uri: str
    availability: str
    slot_browsers: tuple[str, ...]
    busy: int

    @property
    def up(self) -> bool:
        return self.availability == AVAILABLE

    @property
    def browsers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.slot_browsers))

    def slots_for(self, browser_name: str) -> int:
        return sum(1 for name in self.slot_browsers if name.lower() == browser_name.lower())


@dataclass(frozen=True)
class GridStatus:
    """What a Grid offers: its address, readiness and nodes."""

    url: str
    ready: bool
    message: str
    nodes: tuple[GridNode, ...]

    def slots_for(self, browser_name: str) -> int:
        """Slots of nodes that are UP whose stereotype is ``browser_name``."""
        return sum(node.slots_for(browser_name) for node in self.nodes if node.up)

    def nodes_for(self, browser_name: str) -> tuple[GridNode, ...]:
        return tuple(node for node in self.nodes if node.up and node.slots_for(browser_name))

    def offers(self) -> str:
        """A short account of what the Grid offers, for messages: ``chrome (4 slots on 2 nodes)``."""
        counts: dict[str, list[int]] = {}
        for node in self.nodes:
            if not node.up:
                continue
            for name in node.browsers:
                slots_and_nodes = counts.setdefault(name, [0, 0])
                slots_and_nodes[0] += node.slots_for(name)
                slots_and_nodes[1] += 1
        if not counts:
            return "no browser (no node is UP)"
        parts = [
            f"{name} ({_plural(slots, 'slot')} on {_plural(nodes, 'node')})" for name, (slots, nodes) in counts.items()
        ]
        return ", ".join(parts)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def parse_status(url: str, answer: Any) -> GridStatus:
    """The typed form of a ``/status`` answer; GridError when it is not a Selenium Grid 4's."""
    value = answer.get("value") if isinstance(answer, Mapping) else None
    if not isinstance(value, Mapping) or "ready" not in value:
        raise GridError(
            f"the server at {base_url(url)} answered /status, but not as a Selenium Grid does (no 'ready' value); "
            "check that grid-url is a Selenium Grid 4's address (hub or standalone).",
            url,
        )
    nodes = []
    for node in value.get("nodes") or ():
        if not isinstance(node, Mapping):
            continue
        slots = [slot for slot in node.get("slots") or () if isinstance(slot, Mapping)]
        nodes.append(
            GridNode(
                uri=str(node.get("uri", "")),
                availability=str(node.get("availability", "")),
                slot_browsers=tuple(str((slot.get("stereotype") or {}).get("browserName", "")) for slot in slots),
                busy=sum(1 for slot in slots if slot.get("session")),
            )
        )
    return GridStatus(base_url(url), bool(value["ready"]), str(value.get("message", "")), tuple(nodes))


def read_status(url: str, timeout: float = DEFAULT_TIMEOUT) -> GridStatus:
    return parse_status(url, request_json(url, "/status", timeout=timeout))


def check_grid(url: str, browser: str, timeout: float = DEFAULT_TIMEOUT) -> GridStatus:
    """The Grid's status when it is ready and has at least one slot for ``browser`` (edge, chrome, chromium) on a
    node that is UP; else GridError with one sentence."""
    status = read_status(url, timeout)
    wanted = grid_browser_name(browser)
    if not status.ready:
        said = f": {status.message.rstrip('.')}" if status.message else ""
        raise GridError(
            f"the Selenium Grid at {status.url} is not ready{said} (it offers {status.offers()}); wait until its "
            f"nodes have registered (its /status says ready) or check the hub's and nodes' logs.",
            url,
        )
    if not status.slots_for(wanted):
        hint = "" if browser == "edge" else " (Chrome and Chromium both ask for browserName chrome)"
        raise GridError(
            f"the Selenium Grid at {status.url} offers no {wanted} slot for browser '{browser}'{hint}; it offers "
            f"{status.offers()}; add a node for {wanted} (for example selenium/node-"
            f"{'edge' if browser == 'edge' else 'chrome'}) or choose a browser the Grid offers.",
            url,
        )
    return status
