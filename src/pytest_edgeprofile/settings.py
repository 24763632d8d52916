"""Every setting, its three spellings, and their resolution (CLI > env > ini > default) into one frozen object.

This module does not import pytest: ``plugin.py`` hands it the raw values it read and turns a
``SettingsError`` into ``pytest.UsageError``.
"""

from __future__ import annotations

import getpass
import os
import shlex
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import platforms
from .errors import SettingsError

BROWSERS = ("edge", "chrome", "chromium")
CHANNELS = ("stable", "beta", "dev", "canary")
KEEP = ("never", "on-failure", "always")
VERIFY_METHODS = ("files", "capabilities", "auth")
DRIVER_SCOPES = ("test", "worker")
ISOLATIONS = ("worker", "test", "context")
ARTIFACTS = ("on-failure", "always", "never")
BASE_IN_USE = ("refuse", "snapshot")
GRID_PROFILES = ("inject", "path")
DEFAULT_GRID_QUEUE_TIMEOUT = 300.0  # the Grid's own default --session-request-timeout
# Settings that say which browser profile to use: setting any of them asks for the up-front check.
ENGAGING = (
    "browser",
    "channel",
    "user-data-dir",
    "profile",
    "binary",
    "driver",
    "verify",
    "auth-url",
    "auth-cookie",
    "auth-selector",
    "grid-url",
)
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off", "")


@dataclass(frozen=True)
class Spec:
    """One setting: ``name`` is its dashed name; kind is choice, path, flag, list, seconds or text."""

    name: str
    kind: str
    help: str
    choices: tuple[str, ...] = ()

    @property
    def cli(self) -> str:
        return f"--edgeprofile-{self.name}"

    @property
    def ini(self) -> str:
        return "edgeprofile_" + self.name.replace("-", "_")

    @property
    def env(self) -> str:
        return "PYTEST_EDGEPROFILE_" + self.name.replace("-", "_").upper()

    @property
    def dest(self) -> str:
        return self.ini


SPECS: tuple[Spec, ...] = (
    Spec("browser", "choice", "browser to drive (default: edge)", BROWSERS),
    Spec("channel", "choice", "release channel (default: stable)", CHANNELS),
    Spec("user-data-dir", "path", "the base 'User Data' directory (default: the platform's for browser+channel)"),
    Spec("profile", "text", "profile folder ('Default', 'Profile 1') or its display name (default: Default)"),
    Spec("binary", "path", "browser executable (default: found per platform, then on PATH)"),
    Spec("driver", "path", "driver executable (default: PATH, next to the browser, Selenium Manager last)"),
    Spec("headed", "flag", "show the browser windows (default: headless)"),
    Spec("arg", "list", "extra browser argument, repeatable (ini: one per line)"),
    Spec("clone-root", "path", "where clones are made (default: a private folder under the temp dir)"),
    Spec("keep", "choice", "keep the clones after the run (default: never)", KEEP),
    Spec("verify", "text", "comma list of files, capabilities, auth (default: files,capabilities[,auth])"),
    Spec("auth-url", "text", "a URL that only a logged-in browser can see"),
    Spec("auth-cookie", "text", "a cookie that must exist for auth-url's site"),
    Spec("auth-selector", "text", "a CSS selector that must be present on auth-url"),
    Spec("driver-scope", "choice", "test: a browser per test; worker: one per worker (default: test)", DRIVER_SCOPES),
    Spec(
        "isolation",
        "choice",
        "worker: a clone per worker; test: restored before each test; context: a fresh browser context per test "
        "in the worker's one browser (default: worker)",
        ISOLATIONS,
    ),
    Spec("output", "path", "folder for failure artifacts, logs and metrics (default: edgeprofile-results)"),
    Spec(
        "artifacts", "choice", "when to save screenshot, page, console and driver logs (default: on-failure)", ARTIFACTS
    ),
    Spec(
        "state-origins",
        "text",
        "comma list of origins whose localStorage the login state carries, besides auth-url's (default: none)",
    ),
    Spec(
        "base-in-use",
        "choice",
        "a base open in a running browser: refuse it, or snapshot it consistently (default: refuse)",
        BASE_IN_USE,
    ),
    Spec("grid-url", "text", "a Selenium Grid 4 address; browsers run there instead of locally (default: local)"),
    Spec(
        "grid-profile",
        "choice",
        "how the login reaches a Grid node: inject its state, or path (nodes mount the clone root) (default: inject)",
        GRID_PROFILES,
    ),
    Spec("capability", "list", "extra remote capability KEY=VALUE (VALUE may be JSON), repeatable (ini: one per line)"),
    Spec(
        "grid-queue-timeout",
        "seconds",
        "seconds a session request may wait in the Grid's queue before its test fails (default: 300)",
    ),
)
SPECS_BY_NAME = {spec.name: spec for spec in SPECS}


@dataclass(frozen=True)
class Settings:
    """The resolved settings of one run; ``sources`` says where each value came from."""

    browser: str = "edge"
    channel: str = "stable"
    user_data_dir: Path = Path()
    profile: str = "Default"
    binary: Path | None = None
    driver_path: Path | None = None  # the driver executable (setting "driver")
    headed: bool = False
    args: tuple[str, ...] = ()
    clone_root: Path = Path()
    keep: str = "never"
    verify: tuple[str, ...] = ("files", "capabilities")
    auth_url: str | None = None
    auth_cookie: str | None = None
    auth_selector: str | None = None
    driver_scope: str = "test"
    isolation: str = "worker"
    output: Path = Path("edgeprofile-results")
    artifacts: str = "on-failure"
    base_in_use: str = "refuse"
    state_origins: tuple[str, ...] = ()  # as browsers write origins; auth-url's is added where the state is read
    grid_url: str | None = None
    grid_profile: str = "inject"
    capabilities: Mapping[str, Any] = field(default_factory=dict)
    grid_queue_timeout: float = DEFAULT_GRID_QUEUE_TIMEOUT
    sources: Mapping[str, str] = field(default_factory=dict)

    @property
    def explicit(self) -> bool:
        """True when the user chose the browser or profile: then the base is checked before any worker starts.

        Settings about *how* (clone root, keep, headed, arg...) alone do not engage the check, so a CI-wide
        ``PYTEST_EDGEPROFILE_CLONE_ROOT`` does not make every unrelated pytest run look for a browser profile.
        """
        return any(self.sources.get(name, "default") != "default" for name in ENGAGING)

    def value(self, name: str) -> object:
        """The value of the setting ``name`` (``driver`` is the attribute ``driver_path``)."""
        return getattr(self, "driver_path" if name == "driver" else name.replace("-", "_"))

    def source(self, name: str) -> str:
        return self.sources.get(name, "default")


def default_clone_root() -> Path:
    """A per-user folder under the system temp dir, so users on one machine never share clones."""
    try:
        user = getpass.getuser()
    except Exception:  # getuser raises OSError or KeyError when no name can be found
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in user)
    return Path(tempfile.gettempdir()) / f"pytest-edgeprofile-{safe}"


def _parse(spec: Spec, raw: object, source: str, base_dir: Path) -> object:
    """Turn one raw value (a CLI value, an env string, an ini value) into its typed form."""
    if spec.kind == "flag":
        if isinstance(raw, bool):
            return raw
        word = str(raw).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise SettingsError(
            f"{spec.name} is {raw!r} (from {source}); use one of: true, false, 1, 0, yes, no.", spec.name, source
        )
    if spec.kind == "list":
        if isinstance(raw, str):
            try:
                return tuple(shlex.split(raw))
            except ValueError as exc:
                raise SettingsError(
                    f"{spec.name} is {raw!r} (from {source}) and cannot be split like a shell command line "
                    f"({exc}); balance its quotes.",
                    spec.name,
                    source,
                ) from None
        items = raw if isinstance(raw, (list, tuple)) else [raw]
        return tuple(str(item) for item in items if str(item).strip())
    text = str(raw).strip()
    if spec.kind == "seconds":
        try:
            seconds = float(text)
        except ValueError:
            seconds = -1.0
        if not seconds > 0 or seconds == float("inf"):
            raise SettingsError(
                f"{spec.name} is {text!r} (from {source}); give a number of seconds greater than 0, such as 300.",
                spec.name,
                source,
            )
        return seconds
    if spec.kind == "choice":
        value = text.lower()
        if value not in spec.choices:
            raise SettingsError(
                f"{spec.name} is {text!r} (from {source}); valid values are: {', '.join(spec.choices)}.",
                spec.name,
                source,
            )
        return value
    if spec.kind == "path":
        # Normalised (no "work/../prof") so messages and the report header show the folder a person recognises.
        path = Path(os.path.expandvars(text)).expanduser()
        return Path(os.path.normpath(path if path.is_absolute() else (base_dir / path)))
    return text


def resolve(
    cli: Mapping[str, object],
    env: Mapping[str, str],
    ini: Mapping[str, object],
    *,
    cwd: Path,
    ini_dir: Path | None = None,
    ini_name: str = "the ini file",
    system: str | None = None,
    home: Path | None = None,
    clone_root_default: Callable[[], Path] = default_clone_root,
    cli_source: Callable[[Spec], str] | None = None,
) -> Settings:
    """Resolve every setting from its three spellings; raises ``SettingsError`` on the first bad value.

    ``cli_source`` names where a value of ``cli`` came from in messages (default ``--edgeprofile-X``; the pool's
    keyword arguments say ``keyword argument x=``)."""
    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    for spec in SPECS:
        candidates = (
            (cli.get(spec.dest), cli_source(spec) if cli_source else spec.cli, cwd),
            (env.get(spec.env), f"env {spec.env}", cwd),
            (ini.get(spec.ini), f"{spec.ini} in {ini_name}", ini_dir or cwd),
        )
        for raw, source, base_dir in candidates:
            if raw is None or raw == "" or (isinstance(raw, (list, tuple)) and not raw):
                continue
            values[spec.name] = _parse(spec, raw, source, base_dir)
            sources[spec.name] = source
            break
        else:
            sources[spec.name] = "default"
    return _complete(values, sources, system=system, home=home, env=env, clone_root_default=clone_root_default, cwd=cwd)


def _complete(
    values: dict[str, object],
    sources: dict[str, str],
    *,
    system: str | None,
    home: Path | None,
    env: Mapping[str, str],
    clone_root_default: Callable[[], Path],
    cwd: Path,
) -> Settings:
    browser = str(values.get("browser", "edge"))
    channel = str(values.get("channel", "stable"))
    try:
        default_dir = platforms.default_user_data_dir(browser, channel, system=system, env=env, home=home)
    except platforms.UnsupportedChannelError as exc:
        raise SettingsError(
            f"{exc} (browser from {sources['browser']}, channel from {sources['channel']}).",
            "channel",
            sources["channel"],
        ) from None

    _check_http_url(
        values, sources, "auth-url", "a full http:// or https:// URL of a page only a signed-in browser sees"
    )
    _check_http_url(
        values,
        sources,
        "grid-url",
        "the Selenium Grid's full http:// or https:// address, such as http://127.0.0.1:4444",
    )
    verify = _verify_methods(values, sources)
    profile = _profile_name(values, sources)
    _check_scope(values, sources)
    return Settings(
        browser=browser,
        channel=channel,
        user_data_dir=_as_path(values.get("user-data-dir")) or Path(default_dir),
        profile=profile,
        binary=_as_path(values.get("binary")),
        driver_path=_as_path(values.get("driver")),
        headed=bool(values.get("headed", False)),
        args=tuple(values.get("arg", ())),  # type: ignore[arg-type]
        clone_root=_as_path(values.get("clone-root")) or clone_root_default(),
        keep=str(values.get("keep", "never")),
        verify=verify,
        auth_url=_as_text(values.get("auth-url")),
        auth_cookie=_as_text(values.get("auth-cookie")),
        auth_selector=_as_text(values.get("auth-selector")),
        driver_scope=str(values.get("driver-scope", "test")),
        isolation=str(values.get("isolation", "worker")),
        output=_as_path(values.get("output")) or cwd / "edgeprofile-results",
        artifacts=str(values.get("artifacts", "on-failure")),
        base_in_use=str(values.get("base-in-use", "refuse")),
        state_origins=_state_origins(values, sources),
        grid_url=_as_text(values.get("grid-url")),
        grid_profile=str(values.get("grid-profile", "inject")),
        capabilities=_capabilities(values, sources),
        grid_queue_timeout=float(values.get("grid-queue-timeout", DEFAULT_GRID_QUEUE_TIMEOUT)),  # type: ignore[arg-type]
        sources=dict(sources),
    )


def _profile_name(values: Mapping[str, object], sources: Mapping[str, str]) -> str:
    profile = str(values.get("profile", "Default"))
    if not profile or profile in (".", "..") or "/" in profile or "\\" in profile:
        raise SettingsError(
            f"profile is {profile!r} (from {sources['profile']}); give a profile folder name such as "
            "'Default' or 'Profile 1', or a display name from Local State, not a path.",
            "profile",
            sources["profile"],
        )
    return profile


def _check_scope(values: Mapping[str, object], sources: Mapping[str, str]) -> None:
    if values.get("isolation") == "test" and values.get("driver-scope") == "worker":
        raise SettingsError(
            f"isolation 'test' (from {sources['isolation']}) restores the clone before each test, which needs a "
            f"new browser per test, but driver-scope is 'worker' (from {sources['driver-scope']}); use "
            "driver-scope 'test' with it.",
            "isolation",
            sources["isolation"],
        )
    if values.get("isolation") != "context":
        return
    if values.get("driver-scope") == "test" and sources["driver-scope"] != "default":
        raise SettingsError(
            f"isolation 'context' (from {sources['isolation']}) runs each test in its own context of the worker's one "
            f"browser, but driver-scope is 'test' (from {sources['driver-scope']}); leave driver-scope unset or "
            "'worker'.",
            "isolation",
            sources["isolation"],
        )
    if values.get("grid-url") is not None:
        raise SettingsError(
            f"isolation 'context' (from {sources['isolation']}) needs a local browser, but grid-url is set (from "
            f"{sources['grid-url']}); on a Grid use isolation 'worker' or 'test'.",
            "isolation",
            sources["isolation"],
        )


def _capabilities(values: Mapping[str, object], sources: Mapping[str, str]) -> dict[str, Any]:
    """The ``capability`` items as a dict (here: the grid package imports Selenium, settings need not)."""
    if not values.get("capability"):
        return {}
    from .grid.capabilities import parse_capabilities

    return parse_capabilities(values.get("capability", ()), sources["capability"])  # type: ignore[arg-type]


def _check_http_url(values: Mapping[str, object], sources: Mapping[str, str], name: str, wanted: str) -> None:
    """``name``, when set, must be a full http:// or https:// URL; ``wanted`` says which one, as advice."""
    url = values.get(name)
    if url is None:
        return
    parts = urlsplit(str(url))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(
            f"{name} is {url!r} (from {sources[name]}); give {wanted}.",
            name,
            sources[name],
        )


def _state_origins(values: Mapping[str, object], sources: Mapping[str, str]) -> tuple[str, ...]:
    """Each origin of the comma list checked and written the way browsers write it, once each."""
    if "state-origins" not in values:
        return ()
    from .state.model import merge_origins, parse_origin  # here: the state package imports Selenium, settings need not

    source = sources["state-origins"]
    raw = str(values["state-origins"])
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if not items:
        raise SettingsError(
            f"state-origins is {raw!r} (from {source}) and names no origin; give a comma list of origins such as "
            "https://app.example.com,http://127.0.0.1:8000.",
            "state-origins",
            source,
        )
    origins = []
    for item in items:
        try:
            origins.append(parse_origin(item, f"state-origins, {source}"))
        except SettingsError as exc:
            raise SettingsError(exc.message, "state-origins", source) from None
    return merge_origins(origins)


def _verify_methods(values: Mapping[str, object], sources: Mapping[str, str]) -> tuple[str, ...]:
    has_auth_check = bool(values.get("auth-url"))
    if "verify" not in values:
        return ("files", "capabilities", "auth") if has_auth_check else ("files", "capabilities")
    source = sources["verify"]
    methods = tuple(dict.fromkeys(m.strip().lower() for m in str(values["verify"]).split(",") if m.strip()))
    if not methods:
        raise SettingsError(
            f"verify is {values['verify']!r} (from {source}) and names no method; give a comma list of "
            f"{', '.join(VERIFY_METHODS)}.",
            "verify",
            source,
        )
    unknown = [m for m in methods if m not in VERIFY_METHODS]
    if unknown:
        raise SettingsError(
            f"verify names {', '.join(map(repr, unknown))} (from {source}); valid methods are: "
            f"{', '.join(VERIFY_METHODS)}, separated by commas.",
            "verify",
            source,
        )
    if "auth" in methods and not has_auth_check:
        raise SettingsError(
            f"verify includes 'auth' (from {source}) but no auth-url is set; set --edgeprofile-auth-url "
            "(with --edgeprofile-auth-cookie and/or --edgeprofile-auth-selector) or drop 'auth'.",
            "verify",
            source,
        )
    return methods


def _as_path(value: object) -> Path | None:
    return value if isinstance(value, Path) else None


def _as_text(value: object) -> str | None:
    return str(value) if value else None
