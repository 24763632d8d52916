"""``edgeprofile export-state``: the profile's login as a file Playwright's ``storage_state=`` takes.

The state is read on a throwaway clone in a private run folder under the clone root (the base is checked and
only read), then the folder is removed. The file holds credentials: it is written 0600, and no value is printed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from ..browser.locate import find_binary, find_driver
from ..errors import SettingsError
from ..profile.base import check_base, check_clone_root
from ..settings import Settings
from ..state import Launch, LoginState, capture_from_base, origin_of, parse_origin, write_state_file
from ..state.model import merge_origins

OUTPUT = "-o"  # the option naming the file to write: both the "setting" and the source of a bad value
USE_IT = {
    "playwright": 'Playwright: browser.new_context(storage_state="{file}"), or pytest-playwright\'s '
    'browser_context_args fixture returning {{**browser_context_args, "storage_state": "{file}"}}.',
    "cdp": "CDP: Network.setCookies with its cookies, then each origin's localStorage items.",
}


def wanted_origins(given: Sequence[str], resolved: Settings) -> tuple[str, ...]:
    """The --origin values (checked, normalised), then auth-url's origin when it is set."""
    origins = [parse_origin(text, "--origin") for text in given]
    if resolved.auth_url:
        origins.append(origin_of(resolved.auth_url))
    return merge_origins(origins)


def _within(path: Path, root: Path) -> bool:
    real, base = os.path.realpath(path), os.path.realpath(root)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def check_output(target: Path, resolved: Settings) -> None:
    """The file can be written, and not into the base (the base is only ever read).

    A bad ``-o`` is a wrong value on the command line: ``SettingsError``, exit status 2 (like a bad --origin).
    """
    if target.is_dir():
        raise SettingsError(f"-o {target} is a folder; give the name of the file to write.", OUTPUT, OUTPUT)
    if not target.parent.is_dir():
        raise SettingsError(
            f"the folder of -o {target} does not exist; create it or give a file in an existing folder.",
            OUTPUT,
            OUTPUT,
        )
    if _within(target, resolved.user_data_dir):
        raise SettingsError(
            f"-o {target} is inside the base user data dir {resolved.user_data_dir}, which is "
            "only ever read; write the file elsewhere.",
            OUTPUT,
            OUTPUT,
        )


def summary(state: LoginState, origins: Sequence[str]) -> str:
    """What was read, in counts and names; never a value."""
    cookies = state.cookies
    text = (
        f"{len(cookies)} cookie(s) ({sum(c.http_only for c in cookies)} HttpOnly, "
        f"{sum(c.session for c in cookies)} session) of {len({c.domain.lstrip('.') for c in cookies})} site(s)"
    )
    for origin in origins:
        storage = state.storage(origin)
        text += f"; localStorage of {origin}: {len(storage.items) if storage else 0} item(s)"
    return text


def run(resolved: Settings, *, origins: Sequence[str], fmt: str, output: Path, out: TextIO) -> int:
    """Read the base profile's login state on a throwaway clone and write it to ``output`` in format ``fmt``."""
    wanted = wanted_origins(origins, resolved)
    check_output(output, resolved)
    check_clone_root(resolved.clone_root, resolved.user_data_dir, resolved.sources)
    base = check_base(
        resolved.user_data_dir,
        resolved.profile,
        sources=resolved.sources,
        browser=resolved.browser,
        base_in_use=resolved.base_in_use,
    )
    binary = find_binary(resolved.browser, resolved.channel, resolved.binary, resolved.source("binary"))
    driver_path = find_driver(
        resolved.browser,
        binary,
        resolved.driver_path,
        resolved.source("driver"),
        lock_path=resolved.clone_root / "selenium-manager.lock",
    )
    launch = Launch(resolved.browser, binary, driver_path, resolved.args)
    state = capture_from_base(
        base.user_data_dir,
        base.profile.folder,
        resolved.clone_root,
        launch,
        wanted,
        base=base,
        base_in_use=resolved.base_in_use,
    )
    write_state_file(output, state, fmt)
    print(
        f"Read the login state of {base.user_data_dir} (profile {base.profile.folder!r}) on a throwaway clone: "
        f"{summary(state, wanted)}.",
        file=out,
    )
    if not state.cookies:
        print("The profile holds no cookies: it may not be signed in anywhere.", file=out)
    print(f"Wrote {output} ({fmt} format, readable by you only).", file=out)
    print(
        "It holds credentials (your signed-in sessions): keep it private and out of version control, and delete "
        "it when you no longer need it.",
        file=out,
    )
    print("Use it with " + USE_IT[fmt].format(file=output), file=out)
    return 0
