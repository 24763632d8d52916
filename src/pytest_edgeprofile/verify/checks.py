"""Step 4: verification in the browser: it runs on the clone, and it is signed in (the files check is
``profile.integrity``, shared with the golden copy)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from ..errors import VerificationError, first_line
from ..profile.integrity import check_sqlite, verify_files

__all__ = ["LOGGED_OUT_CAUSES", "check_sqlite", "verify_auth", "verify_capabilities", "verify_files"]

LOGGED_OUT_CAUSES = (
    "Likely causes: the base itself is not logged in; on Windows, a default profile's app-bound (v20) cookies "
    "cannot be read from a copy (log in once into a dedicated, non-default base profile); the driver's "
    "password-store / use-mock-keychain switches hid the cookie key; the base was copied while its browser ran."
)


def verify_capabilities(capabilities: Mapping[str, Any], vendor: str, clone: Path | None) -> dict[str, str]:
    """The new browser's capabilities name the clone as the browser's user data dir (unless ``clone`` is None);
    returns versions."""
    vendor_caps = capabilities.get(vendor)
    reported = vendor_caps.get("userDataDir") if isinstance(vendor_caps, dict) else None
    if clone is not None and (not reported or os.path.realpath(str(reported)) != os.path.realpath(clone)):
        raise VerificationError(
            f"the browser reports {reported or 'no user data dir'} as its user data dir ({vendor}.userDataDir), "
            f"not the clone {clone}; another --user-data-dir in the browser arguments may override it.",
            clone,
            "capabilities",
        )
    driver_version = vendor_caps.get(f"{vendor}driverVersion", "") if isinstance(vendor_caps, dict) else ""
    return {
        "browser_version": str(capabilities.get("browserVersion", "")),
        "driver_version": str(driver_version).split(" ")[0],
    }


def verify_auth(driver: WebDriver, url: str, cookie: str | None, selector: str | None) -> None:
    """``url`` loads without a detour to a login page, ``cookie`` exists for its site, ``selector`` is there.

    Cookie values are never read into messages or logs: only the cookie's name is.
    """
    try:
        driver.get(url)
        current = driver.current_url
    except WebDriverException as exc:
        detail = first_line(exc)
        raise VerificationError(
            f"opening the auth URL {url} failed ({detail}); check that the site is up and the URL is right.",
            None,
            "auth",
        ) from None
    wanted, landed = urlsplit(url), urlsplit(current)
    if (landed.hostname, landed.path.rstrip("/")) != (wanted.hostname, wanted.path.rstrip("/")):
        raise VerificationError(
            f"opening the auth URL {url} led to {landed.scheme}://{landed.netloc}{landed.path} instead: the clone is "
            f"not logged in. {LOGGED_OUT_CAUSES}",
            None,
            "auth",
        )
    if cookie and driver.get_cookie(cookie) is None:
        raise VerificationError(
            f"the clone has no cookie named {cookie!r} for {wanted.hostname}: it is not logged in. {LOGGED_OUT_CAUSES}",
            None,
            "auth",
        )
    if selector and not driver.find_elements(By.CSS_SELECTOR, selector):
        raise VerificationError(
            f"the page {url} has no element matching {selector!r}: the clone is not logged in, or the selector is "
            f"wrong. {LOGGED_OUT_CAUSES}",
            None,
            "auth",
        )
