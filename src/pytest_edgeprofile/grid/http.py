"""Plain HTTP to a Selenium Grid's own endpoints (``/status``, ``/graphql``, ``DELETE /session``): the standard
library only, so the preflight and the session janitor work without a WebDriver session and before any worker."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from ..errors import GridError

DEFAULT_TIMEOUT = 10.0


def base_url(url: str) -> str:
    """The Grid's root address without a trailing slash or the old ``/wd/hub`` suffix (Grid 4 serves both)."""
    root = url.strip().rstrip("/")
    return root[: -len("/wd/hub")] if root.endswith("/wd/hub") else root


def request_json(
    url: str, path: str, *, method: str = "GET", body: Any = None, timeout: float = DEFAULT_TIMEOUT
) -> Any:
    """The JSON answer of ``method`` ``url + path``; GridError naming the Grid when it does not answer with JSON.

    An HTTP error status with a JSON body (WebDriver errors are such) is returned like a success: the caller
    reads the ``value``.
    """
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
    request = urllib.request.Request(base_url(url) + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            raw = answer.read()
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        exc.close()
        if not raw:
            raise GridError(
                f"the server at {base_url(url)} answered {method} {path} with HTTP {exc.code} and no body; "
                "check that grid-url is the Grid's address (hub or standalone), not a node's.",
                url,
            ) from None
    except (OSError, ValueError) as exc:  # refused, reset, timed out, a name that does not resolve, a bad URL
        reason = getattr(exc, "reason", None) or exc
        raise GridError(
            f"the Selenium Grid at {base_url(url)} did not answer {method} {path} ({_short(reason)}); "
            "start the Grid (hub and nodes, or a standalone server) or correct grid-url.",
            url,
        ) from None
    try:
        return json.loads(raw)
    except ValueError:
        raise GridError(
            f"the server at {base_url(url)} answered {method} {path} with something that is not JSON; "
            "check that grid-url is a Selenium Grid 4's address.",
            url,
        ) from None


def _short(reason: object) -> str:
    text = str(reason).strip() or reason.__class__.__name__
    return text.splitlines()[0][:160]
