"""The Grid's preflight against a real Grid (a hub and two nodes on 127.0.0.1), a closed port and a web server that
is no Grid: ready and offering the browser, or one sentence naming the URL, what it offers and what to do."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from demo.site import LoginSite
from pytest_edgeprofile.errors import GridError, ProfileError
from pytest_edgeprofile.grid import check_grid, run_sessions
from pytest_edgeprofile.grid.status import parse_status
from tests.support.grid import LocalGrid, free_ports


def one_sentence(text: str) -> bool:
    return "\n" not in text and "Traceback" not in text and text.endswith(".")


def test_a_ready_grid_offering_the_browser_is_described(grid: LocalGrid) -> None:
    status = check_grid(grid.url + "/", "chromium")

    assert status.url == grid.url and status.ready
    assert sorted(node.uri for node in status.nodes) == sorted(grid.node_uris)
    assert all(node.up and node.browsers == ("chrome",) and node.slots_for("chrome") == 2 for node in status.nodes)
    assert status.slots_for("chrome") == 4 and status.slots_for("MicrosoftEdge") == 0
    assert status.offers() == "chrome (4 slots on 2 nodes)"
    assert check_grid(grid.url + "/wd/hub", "chrome").nodes_for("chrome") == status.nodes


def test_edge_asked_of_a_chromium_only_grid_gets_one_sentence(grid: LocalGrid) -> None:
    with pytest.raises(GridError) as caught:
        check_grid(grid.url, "edge")

    message = str(caught.value)
    assert message == (
        f"the Selenium Grid at {grid.url} offers no MicrosoftEdge slot for browser 'edge'; it offers chrome "
        "(4 slots on 2 nodes); add a node for MicrosoftEdge (for example selenium/node-edge) or choose a browser "
        "the Grid offers."
    )
    assert isinstance(caught.value, ProfileError) and caught.value.url == grid.url and one_sentence(message)


def test_a_grid_that_is_down_gets_one_sentence_quickly() -> None:
    (port,) = free_ports(1)
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()

    with pytest.raises(GridError) as caught:
        check_grid(url, "chromium")

    assert time.monotonic() - started < 2, "a closed port is known at once"
    message = str(caught.value)
    assert re.fullmatch(
        rf"the Selenium Grid at {re.escape(url)} did not answer GET /status \(.*refused.*\); start the Grid "
        r"\(hub and nodes, or a standalone server\) or correct grid-url\.",
        message,
    ), message
    assert one_sentence(message)


def test_a_web_server_that_is_no_grid_gets_one_sentence(login_site: LoginSite) -> None:
    with pytest.raises(GridError) as caught:
        check_grid(login_site.url, "chromium")

    message = str(caught.value)
    assert message.startswith(f"the server at {login_site.url} answered GET /status with something that is not JSON")
    assert one_sentence(message)


def test_a_hub_without_nodes_is_not_ready_and_says_what_it_offers(tmp_path: Path, chromium: tuple[Path, Path]) -> None:
    hub = LocalGrid(tmp_path / "hub", chromium[0], chromium[1], nodes=0).start()
    try:
        with pytest.raises(GridError) as caught:
            check_grid(hub.url, "chromium")
    finally:
        hub.stop()

    message = str(caught.value)
    assert message == (
        f"the Selenium Grid at {hub.url} is not ready: Selenium Grid not ready (it offers no browser (no node is "
        "UP)); wait until its nodes have registered (its /status says ready) or check the hub's and nodes' logs."
    )


def status_answer(*nodes: tuple[str, str, list[str], int]) -> dict[str, object]:
    """A /status answer as Grid 4.48 gives it: per node its uri, availability, slot browsers, busy slots."""
    return {
        "value": {
            "ready": True,
            "message": "Selenium Grid ready.",
            "nodes": [
                {
                    "uri": uri,
                    "availability": availability,
                    "slots": [
                        {"stereotype": {"browserName": name}, "session": {"sessionId": "s"} if index < busy else None}
                        for index, name in enumerate(browsers)
                    ],
                }
                for uri, availability, browsers, busy in nodes
            ],
        }
    }


def test_only_nodes_that_are_up_count_and_each_browser_is_told_apart() -> None:
    answer = status_answer(
        ("http://edge-1:5555", "UP", ["MicrosoftEdge", "MicrosoftEdge"], 1),
        ("http://chrome-1:5555", "DOWN", ["chrome"] * 4, 0),
        ("http://mixed:5555", "DRAINING", ["chrome", "MicrosoftEdge"], 0),
    )
    status = parse_status("http://grid:4444/", answer)

    assert status.url == "http://grid:4444"
    assert status.slots_for("MicrosoftEdge") == 2 and status.slots_for("chrome") == 0
    assert [node.uri for node in status.nodes_for("MicrosoftEdge")] == ["http://edge-1:5555"]
    assert status.nodes[0].busy == 1 and status.nodes[1].browsers == ("chrome",)
    assert status.offers() == "MicrosoftEdge (2 slots on 1 node)"


def test_a_status_without_ready_is_not_a_grids() -> None:
    with pytest.raises(GridError, match=r"^the server at http://x:1 answered /status, but not as a Selenium Grid"):
        parse_status("http://x:1", {"value": {"build": {"version": "3.141"}}})


def test_a_server_without_graphql_gets_one_sentence_from_the_janitor(login_site: LoginSite) -> None:
    with pytest.raises(GridError) as caught:
        run_sessions(login_site.url, "run-x")
    assert str(caught.value) == (
        f"the server at {login_site.url} answered POST /graphql with HTTP 404 and no body; check that grid-url is "
        "the Grid's address (hub or standalone), not a node's."
    )
