"""The pool's keyword arguments: the plugin's settings (resolved by ``settings.resolve``, the same order and the
same sentences) plus the pool's own (``workers``, ``retries``, ``window_size``), and where headed windows go."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path

from ..errors import SettingsError
from ..settings import SPECS, Settings, Spec, resolve

# A keyword argument is a setting's name with underscores: user_data_dir -> the setting user-data-dir.
KEYWORDS: dict[str, Spec] = {spec.name.replace("-", "_"): spec for spec in SPECS}
POOL_KEYWORDS = ("workers", "retries", "on_event", "window_size", "retry")


def keyword_source(spec: Spec) -> str:
    return f"keyword argument {spec.name.replace('-', '_')}="


def resolve_settings(
    keywords: Mapping[str, object], env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Settings:
    """The settings from keyword arguments > ``PYTEST_EDGEPROFILE_*`` environment > defaults (no ini file here);
    ``SettingsError`` (one sentence) for an unknown keyword or a bad value."""
    cli: dict[str, object] = {}
    for name, value in keywords.items():
        spec = KEYWORDS.get(name)
        if spec is None:
            raise SettingsError(
                f"ProfileAwareWorkerPool has no keyword argument {name!r}; its settings are the plugin's, named "
                f"with underscores ({', '.join(sorted(KEYWORDS))}), besides {', '.join(POOL_KEYWORDS)}.",
                name,
                "keyword argument",
            )
        cli[spec.dest] = _raw(spec, value)
    return resolve(
        cli=cli,
        env=os.environ if env is None else env,
        ini={},
        cwd=cwd or Path.cwd(),
        cli_source=keyword_source,
    )


def _raw(spec: Spec, value: object) -> object:
    """A Python value in the form the resolver takes from a command line: paths and names as text, the
    ``verify`` methods as a comma list, ``arg`` as a list."""
    if value is None or spec.kind == "flag":
        return value
    if spec.kind == "list":
        return [str(item) for item in value] if isinstance(value, (list, tuple)) else [str(value)]
    if spec.name == "verify" and isinstance(value, (list, tuple)):
        return ",".join(str(item) for item in value)
    return os.fspath(value) if isinstance(value, os.PathLike) else str(value)


def check_count(name: str, value: object, least: int) -> int:
    """``workers`` (1 or more) and ``retries`` (0 or more) as whole numbers, or one sentence."""
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise SettingsError(
            f"{name} is {value!r} (from keyword argument {name}=); give a whole number of {least} or more.",
            name,
            f"keyword argument {name}=",
        )
    return value


def check_window_size(value: object) -> tuple[int, int]:
    if (
        not isinstance(value, (tuple, list))
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
    ):
        raise SettingsError(
            f"window_size is {value!r} (from keyword argument window_size=); give (width, height) in pixels, "
            "for example (800, 600).",
            "window_size",
            "keyword argument window_size=",
        )
    return int(value[0]), int(value[1])


def window_for(slot: int, workers: int, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """Where worker ``slot``'s windows go when headed: a grid of ``size`` cells, as square as the count allows,
    so a person sees every worker at once and no window covers another."""
    columns = math.ceil(math.sqrt(workers))
    width, height = size
    return (slot % columns) * width, (slot // columns) * height, width, height
