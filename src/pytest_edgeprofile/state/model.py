"""A profile's login state as data: its cookies and the localStorage of chosen origins.

Values are secrets (session tokens, API keys): no ``repr`` or ``str`` here ever shows one, so a state can be
logged, printed in a traceback or shown by a debugger without leaking the login.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..errors import SettingsError

SAME_SITE = ("Strict", "Lax", "None")
# scheme://host[:port], no path, query, fragment or user name; the host is a name, an IPv4 or a bracketed IPv6.
_ORIGIN = re.compile(r"^(https?)://(\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)(?::(\d{1,5}))?/?$", re.IGNORECASE)
DEFAULT_PORTS = {"http": 80, "https": 443}


def parse_origin(text: str, source: str = "--origin") -> str:
    """``text`` as an origin the way browsers write it (``http://127.0.0.1:8000``): lower case, no default port.

    Raises ``SettingsError`` naming the value, where it came from and the form wanted.
    """
    match = _ORIGIN.match(text.strip())
    port = int(match.group(3)) if match and match.group(3) else None
    if match is None or (port is not None and not 0 < port < 65536):
        hint = ""
        parts = urlsplit(text.strip())
        if parts.scheme in DEFAULT_PORTS and parts.netloc and "@" not in parts.netloc:
            hint = f" (for this URL: {parts.scheme}://{parts.netloc.lower()})"
        raise SettingsError(
            f"origin {text!r} (from {source}) is not an origin; give scheme://host[:port] with http or https and "
            f"no path{hint}.",
            "origin",
            source,
        )
    scheme, host = match.group(1).lower(), match.group(2).lower()
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def origin_of(url: str) -> str:
    """The origin of a full http(s) URL (``auth-url``'s), in the form ``parse_origin`` gives."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port is not None else ""
    return parse_origin(f"{parts.scheme}://{host}{port}", "auth-url")


@dataclass(frozen=True)
class Cookie:
    """One cookie as the browser holds it. ``domain`` has a leading dot for a domain cookie and none for a
    host-only one; ``expires`` is seconds since the epoch, None for a session cookie; ``same_site`` is None when
    the cookie set none (the browser then treats it as Lax). ``source_scheme`` / ``source_port`` are Chromium's
    record of where it was set, kept so an injected cookie is bound the same way."""

    name: str
    value: str = field(repr=False)
    domain: str
    path: str = "/"
    expires: float | None = None
    http_only: bool = False
    secure: bool = False
    same_site: str | None = None
    source_scheme: str | None = None
    source_port: int | None = None

    @property
    def host_only(self) -> bool:
        return not self.domain.startswith(".")

    @property
    def session(self) -> bool:
        return self.expires is None

    @classmethod
    def from_cdp(cls, data: Mapping[str, Any]) -> Cookie:
        """From a CDP ``Network.Cookie`` (``Storage.getCookies``, ``Network.getAllCookies``)."""
        expires = data.get("expires")
        session = bool(data.get("session")) or expires is None or float(expires) < 0
        same_site = data.get("sameSite")
        port = data.get("sourcePort")
        return cls(
            name=str(data["name"]),
            value=str(data.get("value", "")),
            domain=str(data["domain"]),
            path=str(data.get("path") or "/"),
            expires=None if session else float(expires),  # type: ignore[arg-type]
            http_only=bool(data.get("httpOnly")),
            secure=bool(data.get("secure")),
            same_site=same_site if same_site in SAME_SITE else None,
            source_scheme=str(data["sourceScheme"]) if data.get("sourceScheme") else None,
            source_port=int(port) if isinstance(port, int) and port > 0 else None,
        )

    def to_cdp_param(self) -> dict[str, Any]:
        """A CDP ``Network.CookieParam`` that recreates this cookie exactly (``Network.setCookies``).

        A host-only cookie is given by ``url`` without ``domain``: with a ``domain`` the browser would make it a
        domain cookie, sent to every subdomain too.
        """
        param: dict[str, Any] = {
            "name": self.name,
            "value": self.value,
            "path": self.path,
            "secure": self.secure,
            "httpOnly": self.http_only,
        }
        if self.host_only:
            scheme = "https" if self.secure or self.source_scheme == "Secure" else "http"
            host = self.domain
            port = f":{self.source_port}" if self.source_port and self.source_port not in (80, 443) else ""
            param["url"] = f"{scheme}://{host}{port}{self.path if self.path.startswith('/') else '/'}"
        else:
            param["domain"] = self.domain
        if self.expires is not None:
            param["expires"] = self.expires
        if self.same_site is not None:
            param["sameSite"] = self.same_site
        if self.source_scheme is not None:
            param["sourceScheme"] = self.source_scheme
        if self.source_port is not None:
            param["sourcePort"] = self.source_port
        return param

    def describe(self) -> str:
        """Name, site and flags, never the value: for messages and logs."""
        flags = [
            f for f, on in (("HttpOnly", self.http_only), ("Secure", self.secure), ("session", self.session)) if on
        ]
        if self.same_site:
            flags.append(f"SameSite={self.same_site}")
        return f"{self.name} ({self.domain}{self.path}{'; ' + ', '.join(flags) if flags else ''})"


@dataclass(frozen=True)
class OriginStorage:
    """The localStorage of one origin: (name, value) pairs in the browser's order."""

    origin: str
    items: tuple[tuple[str, str], ...] = ()

    def __repr__(self) -> str:
        return f"OriginStorage({self.origin!r}, {len(self.items)} item(s): {', '.join(n for n, _ in self.items)})"

    __str__ = __repr__

    def as_dict(self) -> dict[str, str]:
        return dict(self.items)


@dataclass(frozen=True)
class LoginState:
    """Every cookie of a profile and the localStorage of the origins asked for."""

    cookies: tuple[Cookie, ...] = ()
    origins: tuple[OriginStorage, ...] = ()

    def __repr__(self) -> str:
        return f"LoginState({self.summary()})"

    __str__ = __repr__

    @property
    def item_count(self) -> int:
        return sum(len(storage.items) for storage in self.origins)

    def cookie(self, name: str, domain: str | None = None) -> Cookie | None:
        """The first cookie called ``name`` (on ``domain`` when given)."""
        return next((c for c in self.cookies if c.name == name and domain in (None, c.domain)), None)

    def storage(self, origin: str) -> OriginStorage | None:
        return next((s for s in self.origins if s.origin == origin), None)

    def summary(self) -> str:
        """Counts and names, never a value: '3 cookies (2 sites), localStorage: http://x:1 (1 item)'."""
        sites = len({c.domain.lstrip(".") for c in self.cookies})
        text = f"{len(self.cookies)} cookie(s) of {sites} site(s)"
        if self.origins:
            text += ", localStorage: " + ", ".join(f"{s.origin} ({len(s.items)} item(s))" for s in self.origins)
        return text

    def log_fields(self) -> dict[str, object]:
        """What a log event may say about the state (counts and names only)."""
        return {
            "cookies": len(self.cookies),
            "http_only": sum(c.http_only for c in self.cookies),
            "session_cookies": sum(c.session for c in self.cookies),
            "origins": len(self.origins),
            "storage_items": self.item_count,
        }


def merge_origins(origins: Iterable[str]) -> tuple[str, ...]:
    """The origins once each, in the order first given."""
    return tuple(dict.fromkeys(origins))
