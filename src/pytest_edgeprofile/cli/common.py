"""What the commands share: settings resolved like the plugin's, one line per check, messages in the CLI's words."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .. import processes, settings
from ..settings import SPECS_BY_NAME, Settings

# The plugin's settings the command line takes, under the same names (``--browser`` is ``--edgeprofile-browser``).
CLI_SETTINGS = ("browser", "channel", "user-data-dir", "profile", "clone-root", "binary", "driver", "base-in-use")
# Settings only some commands take, under the same names: export-state reads auth-url's origin.
COMMAND_SETTINGS = {"export-state": ("auth-url",)}
_ALL_CLI_SETTINGS = CLI_SETTINGS + tuple(name for names in COMMAND_SETTINGS.values() for name in names)
OK, WARN, FAIL = "ok", "warn", "FAIL"
_PLUGIN_OPTION = re.compile(r"--edgeprofile-(" + "|".join(map(re.escape, _ALL_CLI_SETTINGS)) + r")(?![\w-])")


@dataclass(frozen=True)
class Check:
    """One doctor finding: ``status`` is ok, warn or FAIL."""

    status: str
    name: str
    detail: str

    def line(self) -> str:
        return f"{self.status}  {self.name}: {self.detail}"


def in_cli_words(message: str) -> str:
    """A message from the plugin's modules, with its ``--edgeprofile-X`` advice spelled as this command's ``--X``."""
    return _PLUGIN_OPTION.sub(r"--\1", message)


def load_settings(
    given: Mapping[str, object], env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Settings:
    """Resolve the command's options like the plugin does: CLI > env PYTEST_EDGEPROFILE_* > default (no ini)."""
    cli = {
        SPECS_BY_NAME[name].dest: given[name.replace("-", "_")]
        for name in _ALL_CLI_SETTINGS
        if given.get(name.replace("-", "_")) is not None
    }
    return settings.resolve(cli=cli, env=os.environ if env is None else env, ini={}, cwd=cwd or Path.cwd())


def origin(resolved: Settings, name: str) -> str:
    """'(from --x)', '(from env X)' or '(the default)' for one setting."""
    source = resolved.source(name)
    return "(the default)" if source == "default" else f"(from {in_cli_words(source)})"


def megabytes(size: int) -> str:
    return f"{size / 1e6:.1f}"


def holder_text(user_data_dir: Path) -> str | None:
    """'pid N (program)' of the browser that holds ``user_data_dir``, or None when none does."""
    holder = processes.profile_holder(user_data_dir)
    return holder.describe() if holder is not None else None
