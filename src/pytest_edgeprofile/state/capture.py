"""Reading a profile's login state: a local browser on a throwaway clone, never on the base.

The browser starts like every browser of a run (``build_options``: ``--restore-last-session`` keeps session
cookies alive), every cookie is read through CDP (HttpOnly and session ones included, which no page script
sees), and the localStorage of each origin through a tab whose request the browser answers itself, so no request
reaches the site. The browser is always quit and the throwaway copies removed, whatever happens.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from .. import platforms, processes
from ..browser.launch import start_browser
from ..browser.options import build_options
from ..errors import LoginStateError
from ..log import get_logger
from ..profile.base import BaseProfile
from ..profile.cleanup import remove_run
from ..profile.clone import discard_clone, forget_open_tabs, make_clone
from ..profile.golden import ensure_golden
from ..profile.layout import needs_keyring, resolve_profile
from ..profile.run import RunFolder, new_run_id
from .cdp import DEFAULT_TIMEOUT, CdpConnection, first_line
from .formats import read_state_file, write_state_file
from .model import Cookie, LoginState, OriginStorage
from .tabs import answered_tab, storage_id

CAPTURE_CLONE = "login-state"  # the throwaway clone's name inside a run folder
RUN_STATE_FILE = "login-state.json"  # a run's captured state, shared by its workers (0600, in the 0700 run folder)
RUN_STATE_LOCK_TIMEOUT = 600.0
EXIT_TIMEOUT = 5.0  # for the browser's processes to exit after quit, before they are ended


@dataclass(frozen=True)
class Launch:
    """How to start a local browser: ``browser`` (edge, chrome, chromium), its executable, its driver, extra
    arguments (the ``arg`` setting)."""

    browser: str
    binary: Path
    driver_path: Path
    extra_args: tuple[str, ...] = ()


def read_cookies(driver: Any, browser_context_id: str | None = None) -> tuple[Cookie, ...]:
    """Every cookie of the browser's default context (or of ``browser_context_id``), through CDP."""
    params = {"browserContextId": browser_context_id} if browser_context_id is not None else {}
    try:
        answer = driver.execute_cdp_cmd("Storage.getCookies", params)
    except Exception as exc:  # a WebDriverException, or a driver without CDP (not Chromium)
        raise LoginStateError(
            f"the browser did not give its cookies (Storage.getCookies: {first_line(exc)}); "
            "only Chromium-based browsers (Edge, Chrome, Chromium) can."
        ) from None
    return tuple(Cookie.from_cdp(item) for item in answer.get("cookies", ()))


def read_local_storage(
    connection: CdpConnection,
    origins: Iterable[str],
    browser_context_id: str | None = None,
    timeout: float | None = None,
) -> tuple[OriginStorage, ...]:
    """The localStorage of each origin, read in a locally answered tab of it; origins without items are left out."""
    found = []
    for origin in origins:
        with answered_tab(connection, origin, browser_context_id, timeout) as tab:
            answer = connection.send(
                "DOMStorage.getDOMStorageItems", {"storageId": storage_id(connection, tab, origin)}, tab
            )
        items = tuple((str(name), str(value)) for name, value in answer.get("entries", ()))
        if items:
            found.append(OriginStorage(origin, items))
    return tuple(found)


def read_state(
    driver: Any, origins: Sequence[str] = (), browser_context_id: str | None = None, timeout: float = DEFAULT_TIMEOUT
) -> LoginState:
    """The login state of a running browser (a WebDriver session on Chromium, Chrome or Edge, local or remote)."""
    cookies = read_cookies(driver, browser_context_id)
    storage: tuple[OriginStorage, ...] = ()
    if origins:
        with CdpConnection.for_driver(driver, timeout) as connection:
            storage = read_local_storage(connection, origins, browser_context_id)
    return LoginState(cookies, storage)


def capture_state(
    user_data_dir: Path,
    profile_folder: str,
    launch: Launch,
    origins: Sequence[str] = (),
    *,
    run_path: Path,
    timeout: float = DEFAULT_TIMEOUT,
) -> LoginState:
    """Start a headless browser on the clone ``user_data_dir`` (never a base: the browser writes to its profile),
    read its state and quit it. ``run_path`` is the run folder, where the driver's pid is recorded for cleanup."""
    started = time.perf_counter()
    profile_path = user_data_dir / profile_folder
    forget_open_tabs(profile_path)
    options = build_options(
        launch.browser,
        launch.binary,
        user_data_dir,
        profile_folder,
        extra_args=launch.extra_args,
        keyring=needs_keyring(profile_path, platforms.current_system()),
    )
    driver = start_browser(launch.browser, options, launch.driver_path, run_path)
    try:
        state = read_state(driver, origins, timeout=timeout)
    finally:
        quit_browser(driver, user_data_dir)
    get_logger(worker=CAPTURE_CLONE).info(
        "state_captured", seconds=round(time.perf_counter() - started, 4), **state.log_fields()
    )
    return state


def quit_browser(driver: Any, user_data_dir: Path, timeout: float = EXIT_TIMEOUT) -> None:
    """Quit the browser; whatever still runs on ``user_data_dir`` after ``timeout`` is ended."""
    try:
        driver.quit()
    except Exception as exc:  # a browser that died: its driver may be gone too, its leftovers are ended below
        get_logger(worker=CAPTURE_CLONE).warning("quit_failed", error=exc.__class__.__name__)
    processes.end_stragglers(processes.processes_using(user_data_dir), timeout)


def capture_from_golden(
    run: RunFolder, profile: str, launch: Launch, origins: Sequence[str] = (), *, timeout: float = DEFAULT_TIMEOUT
) -> LoginState:
    """The state of a run's golden copy, read on a throwaway clone of it that is removed afterwards."""
    clone, _stats = make_clone(run, CAPTURE_CLONE)
    try:
        folder = resolve_profile(run.golden, profile).folder
        return capture_state(clone, folder, launch, origins, run_path=run.path, timeout=timeout)
    finally:
        discard_clone(run, CAPTURE_CLONE)


def capture_from_base(
    user_data_dir: Path,
    profile: str,
    clone_root: Path,
    launch: Launch,
    origins: Sequence[str] = (),
    *,
    timeout: float = DEFAULT_TIMEOUT,
    base: BaseProfile | None = None,
    base_in_use: str = "refuse",
) -> LoginState:
    """The state of the base profile: a private run folder under ``clone_root`` holds a golden copy and a clone
    (the base is checked, only read, and never opened by a browser); the folder is removed at the end. ``base``:
    the base as the caller already checked it; ``base_in_use``: the setting (``snapshot`` copies a base in use)."""
    run = RunFolder(clone_root, new_run_id())
    try:
        ensure_golden(user_data_dir, profile, run, base_in_use=base_in_use, base=base)
        return capture_from_golden(run, profile, launch, origins, timeout=timeout)
    finally:
        remove_run(run.path)


def capture_for_run(
    run: RunFolder,
    profile: str,
    launch: Launch,
    origins: Sequence[str] = (),
    *,
    timeout: float = DEFAULT_TIMEOUT,
    lock_timeout: float = RUN_STATE_LOCK_TIMEOUT,
) -> LoginState:
    """The run's login state, read once from its golden copy by whichever worker asks first (under a file lock)
    and kept in the run folder (0600; removed with it) for the others: per-test contexts need it in every worker,
    and reading it costs a browser start. ``origins``: the same in every worker (the run's settings)."""
    path = run.path / RUN_STATE_FILE
    run.ensure()
    try:
        with FileLock(str(run.lock("login-state")), timeout=lock_timeout):
            if path.is_file():
                return read_state_file(path)
            state = capture_from_golden(run, profile, launch, origins, timeout=timeout)
            write_state_file(path, state, "cdp")
            return state
    except Timeout:
        raise LoginStateError(
            f"the run's login state was not read within {lock_timeout:.0f} s: another process of the run holds "
            f"{run.lock('login-state')}; if no worker is reading it, end the run's leftover processes and run again.",
            run.path,
        ) from None
