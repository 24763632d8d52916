"""The ``edgeprofile`` command (also ``python -m pytest_edgeprofile``): ``doctor``, ``list``, ``clean``, ``login URL``,
``export-state``.

Its options are the plugin's settings under the same names (``--browser`` is ``--edgeprofile-browser``) and are
resolved the same way, with the ``PYTEST_EDGEPROFILE_*`` environment variables and the same defaults. It does not
import pytest. An error is one line on stderr. Exit status: 0 done; 1 this machine or profile is not ready (a
doctor check failed, a folder is missing, the browser could not start: the same answer from every command); 2 the
command line or a setting is wrong (an unknown option, a bad value).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .. import __version__
from ..errors import ProfileError, SettingsError
from ..settings import SPECS_BY_NAME
from ..state import FORMATS
from . import clean, doctor, export_state, listing, login
from .common import CLI_SETTINGS, COMMAND_SETTINGS, in_cli_words, load_settings

COMMANDS = {
    "doctor": "check that the browser, its driver, the base profile and the clone root are ready for a run",
    "list": "list the profiles of the user data dir with their sizes and what a clone would copy",
    "clean": "remove the clones and golden copies that finished or killed runs left under the clone root",
    "login": "make a new, dedicated base profile: sign in once in a browser on a new user data dir",
    "export-state": "write the profile's login (cookies, localStorage) to a file Playwright's storage_state takes",
}


def build_parser() -> argparse.ArgumentParser:
    # The settings are accepted before and after the command; SUPPRESS keeps an absent option out of the result,
    # so the command's value never overwrites the one given before it with None.
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    group = common.add_argument_group("settings (the plugin's --edgeprofile-X; env PYTEST_EDGEPROFILE_X applies too)")
    for name in CLI_SETTINGS:
        spec = SPECS_BY_NAME[name]
        metavar = "{" + ",".join(spec.choices) + "}" if spec.choices else name.replace("-", "_").upper()
        group.add_argument(f"--{name}", metavar=metavar, help=spec.help)
    parser = argparse.ArgumentParser(
        prog="edgeprofile",
        parents=[common],
        description="Check, list, clean and make the browser profiles pytest-edgeprofile clones.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, text in COMMANDS.items():
        command = commands.add_parser(name, parents=[common], help=text, description=text[0].upper() + text[1:] + ".")
        if name == "login":
            command.add_argument("url", metavar="URL", help="the page to sign in on")
            command.add_argument(
                "--headless",
                action="store_true",
                default=False,
                help="run the browser headless (for tests and CI; no one can sign in by hand)",
            )
        if name == "export-state":
            command.add_argument(
                "-o",
                dest="state_file",
                metavar="FILE",
                required=True,
                type=Path,
                help="the file to write (mode 0600: it holds credentials)",
            )
            command.add_argument(
                "--origin",
                dest="origins",
                metavar="URL",
                action="append",
                default=[],
                help="an origin (scheme://host[:port]) whose localStorage to include, repeatable; "
                "auth-url's origin is always included",
            )
            command.add_argument(
                "--format",
                dest="state_format",
                choices=FORMATS,
                default="playwright",
                help="playwright: Playwright's storage state (default); cdp: Network.setCookies "
                "parameters and localStorage by origin",
            )
            for setting in COMMAND_SETTINGS[name]:
                command.add_argument(f"--{setting}", metavar="URL", help=SPECS_BY_NAME[setting].help)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # usage errors (2), --help and --version (0): argparse has printed them
        return exc.code if isinstance(exc.code, int) else 2
    given = vars(args)
    out, err = sys.stdout, sys.stderr
    try:
        resolved = load_settings(given)
        if args.command == "doctor":
            return doctor.run(resolved, out, err)
        if args.command == "list":
            return listing.run(resolved, out)
        if args.command == "clean":
            return clean.run(resolved, out)
        if args.command == "export-state":
            return export_state.run(
                resolved, origins=args.origins, fmt=args.state_format, output=Path.cwd() / args.state_file, out=out
            )
        return login.run(
            resolved, args.url, headless=args.headless, out=out, stdin=sys.stdin, env=os.environ, home=Path.home()
        )
    except SettingsError as exc:
        print(f"edgeprofile: {in_cli_words(str(exc))}", file=err)
        return 2
    except ProfileError as exc:
        print(f"edgeprofile: {in_cli_words(str(exc))}", file=err)
        return 1
    except KeyboardInterrupt:
        print("edgeprofile: interrupted", file=err)
        return 130


__all__ = ["build_parser", "main"]
