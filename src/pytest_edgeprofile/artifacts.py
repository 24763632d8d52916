"""Failure artifacts: what the browser showed when a test failed, saved where a person (or CI) can look.

One folder per test under the ``output`` setting: ``screenshot.png``, ``page.html``, ``console.log`` (the browser
console), ``driver.log`` (the driver's own log) and ``info.json`` (test, worker, clone, URL). Each piece is taken
on its own, so a browser that died still leaves whatever could be saved, and ``info.json`` says what could not.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from selenium.webdriver.remote.webdriver import WebDriver

from .errors import first_line
from .profile.run import write_private

SCREENSHOT, PAGE, CONSOLE, DRIVER_LOG, INFO = "screenshot.png", "page.html", "console.log", "driver.log", "info.json"


def folder_for(output: Path, nodeid: str) -> Path:
    """A readable, unique, filesystem-safe folder name for a test id (file and test name; the hash tells apart)."""
    path, sep, name = nodeid.partition("::")
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", path.rsplit("/", 1)[-1] + sep + name).strip("_")[-100:]
    digest = hashlib.sha1(nodeid.encode("utf-8")).hexdigest()[:8]
    return output / f"{readable}-{digest}"


def capture(driver: WebDriver, folder: Path, info: dict[str, Any], driver_log: Path | None = None) -> dict[str, Path]:
    """Save what ``driver`` shows into ``folder``; returns the files written by kind.

    Screenshots and pages of a signed-in site are private: the folder is 0700 and its files 0600.
    """
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    files: dict[str, Path] = {}
    problems: dict[str, str] = {}

    def attempt(kind: str, name: str, take: Any) -> None:
        try:
            data = take()
        except Exception as exc:  # a dead or blocked browser: note it and keep what else can be saved
            problems[kind] = f"{exc.__class__.__name__}: {first_line(exc)}"
            return
        path = folder / name
        write_private(path, data if isinstance(data, bytes) else str(data).encode("utf-8"))
        files[kind] = path

    attempt("screenshot", SCREENSHOT, driver.get_screenshot_as_png)
    attempt("page", PAGE, lambda: driver.page_source)
    attempt(
        "console",
        CONSOLE,
        lambda: "".join(
            f"{entry.get('level', '')}\t{entry.get('timestamp', '')}\t{entry.get('message', '')}\n"
            for entry in driver.get_log("browser")  # type: ignore[attr-defined]
        ),
    )
    if driver_log is not None and driver_log.is_file():
        write_private(folder / DRIVER_LOG, driver_log.read_bytes())
        files["driver log"] = folder / DRIVER_LOG
    with contextlib.suppress(Exception):  # the browser is gone; the test's own record still stands
        info = {**info, "url": driver.current_url, "title": driver.title}
    info["unavailable"] = problems
    write_private(folder / INFO, json.dumps(info, indent=2, default=str).encode("utf-8"))
    files["info"] = folder / INFO
    return files


def html_extras(files: dict[str, Path]) -> list[dict[str, Any]]:
    """pytest-html extras: the screenshot embedded, the other files linked (same shape as pytest_html.extras)."""
    import base64

    extras: list[dict[str, Any]] = []
    screenshot = files.get("screenshot")
    if screenshot is not None:
        extras.append(
            {
                "name": "Screenshot",
                "format_type": "image",
                "mime_type": "image/png",
                "extension": "png",
                "content": base64.b64encode(screenshot.read_bytes()).decode("ascii"),
            }
        )
    for kind, path in files.items():
        if kind != "screenshot":
            extras.append(
                {
                    "name": kind,
                    "format_type": "url",
                    "mime_type": None,
                    "extension": None,
                    "content": path.resolve().as_uri(),
                }
            )
    return extras
