"""``edgeprofile login URL``: make a dedicated base profile by signing in once in a visible browser.

A new, non-default user data dir is the base that works everywhere: on Windows a default profile's app-bound
cookies cannot be read from a copy, and a browser the user keeps open on a base blocks every run.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .. import platforms, processes
from ..browser.launch import is_usable, start_browser
from ..browser.locate import find_binary, find_driver
from ..browser.options import build_options
from ..errors import ProfileError, SettingsError, first_line
from ..profile.layout import LOCAL_STATE
from ..settings import BROWSERS, CHANNELS, SPECS_BY_NAME, Settings
from .common import origin

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

PROMPT = "Sign in in the browser window, then press Enter here (or close the browser)."
POLL_INTERVAL = 0.5
EXIT_TIMEOUT = 30.0  # for the browser to exit and release its profile after quit
SINGLETONS = ("SingletonLock", "SingletonSocket", "SingletonCookie")
# Printed with the new base when the user set them, so a run uses the same browser as the login did.
ALSO_PRINTED = ("channel", "profile", "binary", "driver")
Wait = Callable[["WebDriver"], str]


def login_target(resolved: Settings, home: Path) -> Path:
    """The new base: --user-data-dir (or its env var) when given, else ``~/.edgeprofile/<browser>-base``."""
    if resolved.source("user-data-dir") == "default":
        return home / ".edgeprofile" / f"{resolved.browser}-base"
    return resolved.user_data_dir


def _same(a: Path | str, b: Path | str) -> bool:
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def check_target(target: Path, resolved: Settings, *, env: Mapping[str, str], home: Path) -> None:
    """Refuse a browser's own default user data dir and a folder that already holds something."""
    where = origin(resolved, "user-data-dir")
    suggestion = home / ".edgeprofile" / f"{resolved.browser}-base"
    for browser in BROWSERS:
        for channel in CHANNELS:
            try:
                default = platforms.default_user_data_dir(browser, channel, env=env, home=home)
            except platforms.UnsupportedChannelError:
                continue
            if _same(target, str(default)):
                raise SettingsError(
                    f"{target} {where} is {browser}'s own default user data dir, and login makes a new, dedicated "
                    f"base profile, so give --user-data-dir a new folder such as {suggestion}.",
                    "user-data-dir",
                    resolved.source("user-data-dir"),
                )
    if target.exists() and not target.is_dir():
        raise SettingsError(
            f"{target} {where} is a file, so give --user-data-dir a new or empty folder.",
            "user-data-dir",
            resolved.source("user-data-dir"),
        )
    if target.is_dir() and any(target.iterdir()):
        raise SettingsError(
            f"{target} {where} already exists and is not empty, and login makes a new base profile, so give "
            "--user-data-dir a new or empty folder.",
            "user-data-dir",
            resolved.source("user-data-dir"),
        )


def check_display(*, headless: bool, env: Mapping[str, str], system: str | None = None) -> None:
    """A visible browser on Linux needs a desktop: without one it dies at start with a bare 'instance exited'."""
    if headless or (system or platforms.current_system()) != platforms.LINUX:
        return
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return
    raise ProfileError(
        "login opens a visible browser to sign in, but there is no display here (DISPLAY and "
        "WAYLAND_DISPLAY are unset); run it in a desktop session (or with ssh -X), or add --headless "
        "when no one needs to sign in by hand (tests, CI)."
    )


class StdinWatcher:
    """Waits, up to a timeout, for a line on stdin: ``select`` where it works on stdin, else a reader thread."""

    def __init__(self, stdin: TextIO, use_select: bool | None = None) -> None:
        self.stdin = stdin
        if use_select is None:
            use_select = os.name != "nt" and _has_fileno(stdin)
        self.use_select = use_select
        self._line: str | None = None
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def _read(self) -> None:
        try:
            self._line = self.stdin.readline()
        except (OSError, ValueError):
            self._line = ""
        self._done.set()

    def wait(self, timeout: float) -> str | None:
        """'line' when a line came, 'eof' when stdin ended, None when ``timeout`` passed first."""
        if self.use_select:
            ready, _, _ = select.select([self.stdin], [], [], timeout)
            if not ready:
                return None
            return "line" if self.stdin.readline() else "eof"
        if self._thread is None:  # daemon: a reader still blocked when the browser closes must not hold the exit
            self._thread = threading.Thread(target=self._read, name="edgeprofile-stdin", daemon=True)
            self._thread.start()
        if not self._done.wait(timeout):
            return None
        return "line" if self._line else "eof"


def _has_fileno(stream: TextIO) -> bool:
    try:
        stream.fileno()
    except (OSError, ValueError, AttributeError):
        return False
    return True


def wait_for_user(
    stdin: TextIO,
    browser_open: Callable[[], bool],
    *,
    interval: float = POLL_INTERVAL,
    eof_ends: bool = False,
    use_select: bool | None = None,
) -> str:
    """Until Enter ('enter') or the browser is closed ('closed'), whichever comes first.

    At the end of stdin only the browser's closing ends the wait, unless ``eof_ends`` (a headless browser, which
    no one can close), then 'eof'.
    """
    watcher: StdinWatcher | None = StdinWatcher(stdin, use_select)
    idle = threading.Event()  # never set: waits ``interval`` between looks at the browser once stdin has ended
    while True:
        if watcher is not None:
            got = watcher.wait(interval)
            if got == "line":
                return "enter"
            if got == "eof":
                if eof_ends:
                    return "eof"
                watcher = None
        else:
            idle.wait(interval)
        if not browser_open():
            return "closed"


def _open(driver: WebDriver, url: str, target: Path) -> None:
    from selenium.common.exceptions import WebDriverException

    try:
        driver.get(url)
    except WebDriverException as exc:
        raise ProfileError(
            f"the browser on {target} could not open {url}: {first_line(exc)}",
            target,
        ) from None


def _wait_for_user_on(stdin: TextIO, headless: bool) -> Wait:
    return lambda driver: wait_for_user(stdin, lambda: is_usable(driver), eof_ends=headless)


def close_browser(driver: WebDriver, target: Path, timeout: float = EXIT_TIMEOUT) -> None:
    """Quit the browser and wait until it has released ``target``; end what is left after ``timeout``."""
    with contextlib.suppress(Exception):  # a browser the user closed makes quit fail; the driver still stops
        driver.quit()
    deadline = time.monotonic() + timeout
    while os.path.lexists(target / "SingletonLock") or processes.processes_using(target):
        if time.monotonic() > deadline:
            processes.end_processes(processes.processes_using(target))
            holder = processes.profile_holder(target)
            if holder is not None:
                raise ProfileError(
                    f"the browser on {target} ({holder.describe()}) did not exit; close it before using the new base.",
                    target,
                )
            for name in SINGLETONS:  # left by the browser just ended: stale, and this new folder is ours
                with contextlib.suppress(OSError):
                    os.unlink(target / name)
            break
        time.sleep(0.05)  # polling the browser's exit, bounded by the deadline


def _posix_quoted(value: str) -> str:
    return '"' + "".join("\\" + ch if ch in '\\"$`' else ch for ch in value) + '"'


def settings_text(values: Mapping[str, str]) -> str:
    """The settings that select the new base, in their three spellings: pytest options, ini lines, env vars."""
    specs = [(SPECS_BY_NAME[name], value) for name, value in values.items()]
    quote = (lambda v: f'"{v}"') if os.name == "nt" else _posix_quoted
    cli = " ".join(f"{spec.cli} {quote(v) if spec.kind == 'path' else v}" for spec, v in specs)
    ini = "\n".join(f"    {spec.ini} = {v}" for spec, v in specs)
    if os.name == "nt":
        env = "\n".join(f'    set "{spec.env}={v}"' for spec, v in specs)
    else:
        env = "\n".join(f"    export {spec.env}={quote(v) if spec.kind == 'path' else v}" for spec, v in specs)
    return (
        f"Use it as the base profile with any one of:\n  pytest options:\n    {cli}\n"
        f"  ini file ([pytest] section of pytest.ini):\n{ini}\n  environment:\n{env}"
    )


def _sign_in(
    resolved: Settings,
    url: str,
    target: Path,
    binary: Path,
    driver_path: Path,
    *,
    headless: bool,
    out: TextIO,
    wait: Wait,
) -> str:
    """Open ``url`` in a browser on ``target``, ``wait`` for the user, close the browser; how the wait ended."""
    made_here = not target.exists()
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    # The browser as the user runs it, on the new folder (no password-store / mock-keychain switches: the cookie
    # key comes from the keyring / Keychain, as in a run); a new folder has no last session to restore.
    options = build_options(
        resolved.browser,
        binary,
        target,
        resolved.profile,
        headed=not headless,
        extra_args=resolved.args,
        restore_last_session=False,
    )
    try:  # no run folder: login's browser is its own, ended below whatever happens
        driver = start_browser(resolved.browser, options, driver_path, None, place="the new base")
    except ProfileError:
        if made_here:  # so that the next attempt is not refused for a folder this one left
            shutil.rmtree(target, ignore_errors=True)
        raise
    opened = False
    try:
        _open(driver, url, target)
        opened = True
        print(PROMPT, file=out, flush=True)
        how = wait(driver)
    finally:
        close_browser(driver, target)
        if not opened and made_here:  # nothing was signed in: leave no folder that a retry would be refused for
            shutil.rmtree(target, ignore_errors=True)
    return how


def run(
    resolved: Settings,
    url: str,
    *,
    headless: bool,
    out: TextIO,
    stdin: TextIO,
    env: Mapping[str, str],
    home: Path,
    wait: Wait | None = None,
) -> int:
    """Open ``url`` in a browser on a new user data dir, wait for the user, close it, print how to use it."""
    target = login_target(resolved, home)
    check_target(target, resolved, env=env, home=home)
    check_display(headless=headless, env=env)
    binary = find_binary(resolved.browser, resolved.channel, resolved.binary, resolved.source("binary"), env=env)
    driver_path = find_driver(resolved.browser, binary, resolved.driver_path, resolved.source("driver"), env=env)
    how = _sign_in(
        resolved,
        url,
        target,
        binary,
        driver_path,
        headless=headless,
        out=out,
        wait=wait or _wait_for_user_on(stdin, headless),
    )
    if not (target / LOCAL_STATE).is_file():
        raise ProfileError(
            f"the browser left no Local State in {target}, so it is not a profile yet; run login "
            "again and sign in before closing the browser.",
            target,
        )
    ended = {"enter": "Enter pressed", "closed": "the browser was closed", "eof": "input ended"}.get(how, how)
    print(f"{ended}: the new base profile is ready in {target}.", file=out)
    values = {"browser": resolved.browser, "user-data-dir": str(target)}
    for name in ALSO_PRINTED:
        if resolved.source(name) != "default":
            values[name] = str(resolved.value(name))
    print(settings_text(values), file=out)
    return 0
