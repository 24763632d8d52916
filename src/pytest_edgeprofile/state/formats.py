"""A login state as a file: Playwright's storage state, or CDP's own cookie parameters.

``playwright``: what ``browser.new_context(storage_state=...)`` takes::

    {"cookies": [{"name", "value", "domain", "path", "expires" (-1: session), "httpOnly", "secure",
                  "sameSite" ("Strict" | "Lax" | "None")}],
     "origins": [{"origin": "https://host", "localStorage": [{"name", "value"}]}]}

``cdp``: the cookie parameters ``Network.setCookies`` takes as they are, and localStorage by origin::

    {"format": "cdp", "cookies": [Network.CookieParam], "localStorage": {"https://host": {"name": "value"}}}

Files are written readable by their owner only (0600): they hold the login.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import LoginStateError
from ..profile.run import write_private
from .model import SAME_SITE, Cookie, LoginState, OriginStorage

FORMATS = ("playwright", "cdp")
CDP_MARK = "cdp"


def to_playwright(state: LoginState) -> dict[str, Any]:
    cookies = [
        {
            "name": c.name,
            "value": c.value,
            "domain": c.domain,
            "path": c.path,
            "expires": -1 if c.expires is None else c.expires,
            "httpOnly": c.http_only,
            "secure": c.secure,
            # A cookie that set no SameSite is Lax to Chromium; Playwright wants one of its three words.
            "sameSite": c.same_site or "Lax",
        }
        for c in state.cookies
    ]
    origins = [
        {"origin": s.origin, "localStorage": [{"name": n, "value": v} for n, v in s.items]} for s in state.origins
    ]
    return {"cookies": cookies, "origins": origins}


def from_playwright(data: Mapping[str, Any]) -> LoginState:
    cookies = []
    for item in data.get("cookies", ()):
        expires = item.get("expires", -1)
        same_site = item.get("sameSite")
        cookies.append(
            Cookie(
                name=str(item["name"]),
                value=str(item["value"]),
                domain=str(item["domain"]),
                path=str(item.get("path") or "/"),
                expires=None if expires is None or float(expires) < 0 else float(expires),
                http_only=bool(item.get("httpOnly")),
                secure=bool(item.get("secure")),
                same_site=same_site if same_site in SAME_SITE else None,
            )
        )
    origins = tuple(
        OriginStorage(
            str(entry["origin"]), tuple((str(i["name"]), str(i["value"])) for i in entry.get("localStorage", ()))
        )
        for entry in data.get("origins", ())
    )
    return LoginState(tuple(cookies), origins)


def to_cdp(state: LoginState) -> dict[str, Any]:
    return {
        "format": CDP_MARK,
        "cookies": [c.to_cdp_param() for c in state.cookies],
        "localStorage": {s.origin: s.as_dict() for s in state.origins},
    }


def from_cdp(data: Mapping[str, Any]) -> LoginState:
    cookies = []
    for item in data.get("cookies", ()):
        if "domain" in item:
            domain = str(item["domain"])
        else:  # a host-only cookie, given by its URL
            from urllib.parse import urlsplit

            domain = urlsplit(str(item["url"])).hostname or ""
        cookies.append(Cookie.from_cdp({**item, "domain": domain}))
    origins = tuple(
        OriginStorage(str(origin), tuple((str(k), str(v)) for k, v in items.items()))
        for origin, items in (data.get("localStorage") or {}).items()
    )
    return LoginState(tuple(cookies), origins)


def dump_state(state: LoginState, fmt: str = "playwright") -> dict[str, Any]:
    """``state`` as the JSON object of format ``fmt`` (``playwright`` or ``cdp``)."""
    if fmt == "playwright":
        return to_playwright(state)
    if fmt == "cdp":
        return to_cdp(state)
    raise ValueError(f"unknown login state format {fmt!r}; known: {', '.join(FORMATS)}")


def load_state(data: Mapping[str, Any]) -> LoginState:
    """A state from either format's JSON object (told apart by the cdp format's mark)."""
    return from_cdp(data) if data.get("format") == CDP_MARK else from_playwright(data)


def write_state_file(path: Path, state: LoginState, fmt: str = "playwright") -> None:
    """Write ``state`` to ``path`` in format ``fmt``, readable by its owner only (0600, also when it existed)."""
    text = json.dumps(dump_state(state, fmt), indent=2) + "\n"
    try:
        write_private(path, text.encode("utf-8"))
    except OSError as exc:
        raise LoginStateError(
            f"the login state cannot be written to {path} ({exc.strerror or exc}); give -o a "
            "file in a folder that exists and that you can write to.",
            path,
        ) from None


def read_state_file(path: Path) -> LoginState:
    """A state from a file written by ``write_state_file`` (or by Playwright's ``storage_state(path=...)``)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LoginStateError(
            f"the login state file {path} cannot be read ({exc.__class__.__name__}); export it "
            "again with `edgeprofile export-state`.",
            path,
        ) from None
    if not isinstance(data, dict):
        raise LoginStateError(
            f"the login state file {path} does not hold a JSON object; export it again with "
            "`edgeprofile export-state`.",
            path,
        )
    try:
        return load_state(data)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise LoginStateError(
            f"the login state file {path} is not in the playwright or cdp format; export it "
            "again with `edgeprofile export-state`.",
            path,
        ) from None
