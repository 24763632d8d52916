"""Step 4: verification. Prove a clone is sound on disk and that the browser really runs on it."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from ..errors import ProfileCorruptError, VerificationError, first_line
from ..profile.layout import LOCAL_STATE, PREFERENCES, read_json

# Without these the clone is logged out; damage to the others (saved passwords, autofill) only degrades it.
CRITICAL_SQLITE = ("Cookies", "Network/Cookies")
OTHER_SQLITE = ("Login Data", "Web Data")
LOGGED_OUT_CAUSES = (
    "Likely causes: the base itself is not logged in; on Windows, a default profile's app-bound (v20) cookies "
    "cannot be read from a copy (log in once into a dedicated, non-default base profile); the driver's "
    "password-store / use-mock-keychain switches hid the cookie key; the base was copied while its browser ran."
)


def _encrypted_key(local_state: Mapping[str, Any]) -> object:
    os_crypt = local_state.get("os_crypt")
    return os_crypt.get("encrypted_key") if isinstance(os_crypt, dict) else None


def check_sqlite(path: Path) -> None:
    """Open a database read-only and run SQLite's quick integrity check."""
    # immutable: SQLite takes no lock and writes nothing, not even a journal (this may read the user's base)
    uri = f"file:{quote(str(path))}?mode=ro&immutable=1"
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=5)
        try:
            rows = connection.execute("PRAGMA quick_check").fetchall()
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise VerificationError(f"{path} is not a readable SQLite database ({exc}).", path, "files") from None
    if [row[0] for row in rows] != ["ok"]:
        raise VerificationError(f"{path} fails SQLite's integrity check: {rows[0][0]}.", path, "files")


def verify_files(clone: Path, profile_folder: str, reference: Path) -> None:
    """The clone's key files are sound, it has the reference's encryption key, and no link leaves it."""
    try:
        state = read_json(clone / LOCAL_STATE)
        read_json(clone / profile_folder / PREFERENCES)
        expected_key = _encrypted_key(read_json(reference / LOCAL_STATE))
    except ProfileCorruptError as exc:
        raise VerificationError(str(exc), exc.path, "files") from None
    if expected_key is not None and _encrypted_key(state) != expected_key:
        raise VerificationError(
            f"{clone / LOCAL_STATE} lacks the base's cookie encryption key (os_crypt.encrypted_key); the clone "
            "would start logged out.",
            clone / LOCAL_STATE,
            "files",
        )
    for name in CRITICAL_SQLITE:
        if (clone / profile_folder / name).is_file():
            check_sqlite(clone / profile_folder / name)
    real_clone = os.path.realpath(clone)
    for root, dirs, files in os.walk(clone):
        for name in dirs + files:
            path = os.path.join(root, name)
            target = os.path.realpath(path)
            if os.path.islink(path) and target != real_clone and not target.startswith(real_clone + os.sep):
                raise VerificationError(f"{path} is a link that points outside the clone, to {target}.", path, "files")
    for name in OTHER_SQLITE:
        if (clone / profile_folder / name).is_file():
            try:
                check_sqlite(clone / profile_folder / name)
            except VerificationError as exc:
                raise VerificationError(exc.message, exc.path, "files", critical=False) from None


def verify_capabilities(capabilities: Mapping[str, Any], vendor: str, clone: Path) -> dict[str, str]:
    """The new session's capabilities name the clone as the browser's user data dir; returns versions."""
    vendor_caps = capabilities.get(vendor)
    reported = vendor_caps.get("userDataDir") if isinstance(vendor_caps, dict) else None
    if not reported or os.path.realpath(str(reported)) != os.path.realpath(clone):
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
