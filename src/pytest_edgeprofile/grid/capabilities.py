"""What a remote session asks the Grid for: the local browser's options, re-addressed to a Grid node.

The Grid picks a node by ``browserName`` (``MicrosoftEdge`` for Edge, ``chrome`` for Chrome and Chromium) and the
node's driver reads its browser's options under ``ms:edgeOptions`` / ``goog:chromeOptions``. The binary the local
run found is a path on this machine, so it goes along only when the user set it explicitly; otherwise the node's
stereotype supplies its own (measured on Grid 4.48: a node merges its stereotype's binary into the request).
Every session also carries a marker naming the run and worker, which the Grid reports back in ``/status`` and
GraphQL, so the controller can find and delete the run's sessions after a crash.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from selenium.webdriver import ChromeOptions, EdgeOptions
from selenium.webdriver.chromium.options import ChromiumOptions

from ..errors import SettingsError
from ..settings import GRID_PROFILES
from .status import grid_browser_name

# A Selenium Grid capability: the Grid keeps ``se:`` capabilities in the session it reports (measured on 4.48, in
# /status and GraphQL sessionsInfo alike) and does not hand them on to the browser's driver.
RUN_MARKER = "se:edgeprofile"
# Arguments naming a folder on this machine: a node's browser in inject mode must make its own fresh profile.
LOCAL_PROFILE_ARGS = ("--user-data-dir=", "--profile-directory=")
KEYRING_SWITCHES = ("password-store", "use-mock-keychain")


def parse_capability(item: str, source: str) -> tuple[str, Any]:
    """One ``KEY=VALUE`` item: VALUE as JSON when it is valid JSON (``true``, ``3``, ``{"a": 1}``), else text."""
    key, sep, raw = item.partition("=")
    key = key.strip()
    if not sep or not key or any(ch.isspace() for ch in key):
        raise SettingsError(
            f"capability {item!r} (from {source}) is not KEY=VALUE; give it as, for example, "
            "platformName=linux or 'se:name=my run' (VALUE may be JSON).",
            "capability",
            source,
        )
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    if key in ("browserName", RUN_MARKER):
        raise SettingsError(
            f"capability {item!r} (from {source}) sets {key}, which the plugin sets itself "
            "(from browser and for this run's sessions); drop it and choose the browser with --edgeprofile-browser.",
            "capability",
            source,
        )
    return key, value


def parse_capabilities(items: Iterable[str], source: str) -> dict[str, Any]:
    """Every ``KEY=VALUE`` item in order; a later item for the same key wins."""
    return dict(parse_capability(item, source) for item in items)


def run_marker(run_id: str, worker_id: str) -> dict[str, str]:
    return {"run": run_id, "worker": worker_id}


def remote_options(
    options: ChromiumOptions,
    browser: str,
    capabilities: Mapping[str, Any],
    run_id: str,
    worker_id: str,
    *,
    mode: str = "inject",
    binary: Path | str | None = None,
) -> ChromiumOptions:
    """Options for ``webdriver.Remote`` built from the local ``options`` (``browser/options.build_options``, maybe
    changed by an ``edge_options`` override): same arguments, preferences and capabilities, addressed to a Grid
    node for ``browser``. ``mode`` inject: the arguments naming our clone are dropped (the node's browser makes a
    fresh profile, the login state is injected); path: kept (the node mounts the clone root at the same path).
    ``binary``: the user's explicit binary setting (None: the node's own browser). ``capabilities``: the
    ``capability`` setting's items; a ``goog:chromeOptions``/``ms:edgeOptions`` item adds to the options."""
    if mode not in GRID_PROFILES:
        raise ValueError(f"mode must be one of {GRID_PROFILES}, not {mode!r}")
    source = options.to_capabilities()
    vendor = dict(source.pop(type(options).KEY, None) or {})
    target: ChromiumOptions = EdgeOptions() if browser == "edge" else ChromeOptions()
    for arg in vendor.pop("args", ()):
        if mode == "path" or not arg.startswith(LOCAL_PROFILE_ARGS):
            target.add_argument(arg)
    for extension in vendor.pop("extensions", ()):
        target.add_encoded_extension(extension)
    vendor.pop("binary", None)
    if mode == "inject":
        _keep_driver_switches_for_a_fresh_profile(vendor)
    if binary is not None:
        target.binary_location = str(binary)
    for name, value in vendor.items():
        target.add_experimental_option(name, value)
    for key, value in source.items():
        if key != "browserName":
            target.set_capability(key, value)
    for key, value in capabilities.items():
        if key == target.KEY and isinstance(value, Mapping):
            _merge_vendor_options(target, value)
        else:
            target.set_capability(key, value)
    target.set_capability("browserName", grid_browser_name(browser))
    target.set_capability(RUN_MARKER, run_marker(run_id, worker_id))
    return target


def _keep_driver_switches_for_a_fresh_profile(vendor: dict[str, Any]) -> None:
    """The local options keep the driver from adding ``--password-store=basic`` / ``--use-mock-keychain`` so a
    real profile finds its cookie key; a node's fresh profile has no key to find, and the driver's switches spare
    its browser a desktop keyring (Linux) or Keychain (macOS) probe."""
    excluded = [switch for switch in vendor.pop("excludeSwitches", ()) if switch not in KEYRING_SWITCHES]
    if excluded:
        vendor["excludeSwitches"] = excluded


def _merge_vendor_options(target: ChromiumOptions, extra: Mapping[str, Any]) -> None:
    for name, value in extra.items():
        if name == "args":
            for arg in value:
                if arg not in target.arguments:
                    target.add_argument(arg)
        elif name == "binary":
            target.binary_location = str(value)
        elif name == "extensions":
            for extension in value:
                target.add_encoded_extension(extension)
        else:
            target.add_experimental_option(name, value)
