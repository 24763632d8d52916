"""Docs that cannot rot: the troubleshooting guide, the README's settings table and Quick start follow the code.

Fast and without a browser: the messages are read from the source with ``ast``, never by running the plugin.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_edgeprofile import errors
from pytest_edgeprofile.settings import SPECS, Spec

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "pytest_edgeprofile"
TROUBLESHOOTING = ROOT / "docs" / "troubleshooting.md"
README = ROOT / "README.md"
MAKEFILE = ROOT / "Makefile"

# Settings the README's table is known to lack (e.g. {"artifacts"}); each is a strict xfail, so that fixing the
# README makes it fail until its name is taken out of here. Empty: the table has every setting.
README_LACKS: set[str] = set()
# A message opening shorter than this says too little to find ("the ", " (from "): the next chunk is used.
MIN_OPENING = 12
# Calls whose text reaches the user besides the package's own exceptions: pytest's usage error and fail(), and
# the plugin's end-of-run warnings (``_say(config, text)``); the value is the position of the message argument.
OTHER_MESSAGE_CALLS = {"UsageError": 0, "fail": 0, "_say": 1}
PUNCTUATION = " \t\n'\"()[]{}.,;:"


def normalised(text: str) -> str:
    """Case-folded, whitespace collapsed: how a message is looked for in a doc."""
    return re.sub(r"\s+", " ", text).strip().casefold()


def text_chunks(node: ast.expr) -> list[str | None]:
    """A message argument as its literal chunks in order; ``None`` stands for each placeholder."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else None for v in node.values]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return text_chunks(node.left) + text_chunks(node.right)
    return [None]  # a variable, a call (str(exc), exc.message...): nothing literal to document


def opening(chunks: list[str | None]) -> str | None:
    """The message's stable opening words: the first literal chunk long enough to mean something.

    A chunk runs up to the next placeholder. A message that begins with a placeholder (``{path} is not valid
    JSON``) or whose first chunk is shorter than ``MIN_OPENING`` (``the {what} {path}``) is known by its next
    chunk. Surrounding whitespace and punctuation are dropped (``"); valid values are: "``).
    """
    for chunk in chunks:
        if chunk is None:
            continue
        text = re.sub(r"\s+", " ", chunk).strip(PUNCTUATION)
        if len(text) >= MIN_OPENING:
            return text
    return None


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def package_error_classes() -> set[str]:
    """Every exception class defined anywhere in the package (the ProfileError family, UnsupportedChannelError)."""
    names = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.ClassDef) and node.name.endswith(("Error", "Exception")):
                names.add(node.name)
    return names


def message_openings() -> Iterator[tuple[str, str]]:
    """(where, opening) of each user-facing message in the source: exceptions raised or built, warnings printed,
    and messages rewritten in place (``exc.message = f"... (worker ...)"``)."""
    calls = {name: 0 for name in package_error_classes()} | OTHER_MESSAGE_CALLS
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC.parent).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            argument: ast.expr | None = None
            if isinstance(node, ast.Call):
                position = calls.get(_callee(node) or "")
                if position is not None and len(node.args) > position:
                    argument = node.args[position]
            elif isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Attribute) and target.attr == "message" for target in node.targets
            ):
                argument = node.value
            if argument is None:
                continue
            text = opening(text_chunks(argument))
            if text is not None:
                yield f"{relative}:{argument.lineno}", text


def readme_lines() -> list[str]:
    return README.read_text(encoding="utf-8").splitlines()


# -- (a) + (b): the troubleshooting guide ----------------------------------------------------------------------


def test_the_opening_rule() -> None:
    """The rule the guide is held to, on the shapes the source uses."""

    def first(source: str) -> str | None:
        return opening(text_chunks(ast.parse(source, mode="eval").body))

    assert first('f"the base user data dir {root}{where} does not exist; {what}."') == "the base user data dir"
    assert first('f"{path} is not valid JSON ({exc}); the profile is damaged"') == "is not valid JSON"
    assert first('f"the {what} {path} (from {source}) does not exist; fix the path"') == (
        "does not exist; fix the path"
    )
    assert first('f"{name} is {raw!r} (from {source}); valid values are: {choices}."') == "valid values are"
    assert first('"Microsoft Edge has no canary channel on Linux"') == "Microsoft Edge has no canary channel on Linux"
    assert first("str(exc)") is None


def test_every_exception_class_is_in_the_troubleshooting_guide() -> None:
    guide = TROUBLESHOOTING.read_text(encoding="utf-8")
    classes = sorted(
        name
        for name, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, BaseException) and cls.__module__ == errors.__name__
    )
    assert "ProfileError" in classes and len(classes) >= 8, classes
    missing = [name for name in classes if not re.search(rf"\b{name}\b", guide)]
    assert not missing, f"docs/troubleshooting.md does not name: {', '.join(missing)}"


def test_every_message_opening_is_in_the_troubleshooting_guide() -> None:
    guide = normalised(TROUBLESHOOTING.read_text(encoding="utf-8"))
    found = list(message_openings())
    assert len(found) >= 40, f"the extraction found only {len(found)} messages: is the rule still right?"
    missing = sorted({f"{where}: {text!r}" for where, text in found if normalised(text) not in guide})
    assert not missing, (
        f"{len(missing)} message opening(s) are not in docs/troubleshooting.md (case and spacing ignored); "
        "document each (message, cause, fix):\n  " + "\n  ".join(missing)
    )


# -- (c): the README's settings table --------------------------------------------------------------------------


def _spec_param(spec: Spec) -> object:
    if spec.name in README_LACKS:
        return pytest.param(
            spec, id=spec.name, marks=pytest.mark.xfail(strict=True, reason=f"README table lacks {spec.name}")
        )
    return pytest.param(spec, id=spec.name)


@pytest.mark.parametrize("spec", [_spec_param(spec) for spec in SPECS])
def test_every_setting_has_a_row_in_the_readme_table(spec: Spec) -> None:
    rows = [line for line in readme_lines() if line.startswith(f"| `{spec.name}`")]
    assert rows, f"README.md's settings table has no row starting with | `{spec.name}`"


def test_the_readme_spells_each_setting_the_way_the_code_does() -> None:
    """The README states the rule once (CLI, ini, env spellings); every setting's three names follow it."""
    readme = README.read_text(encoding="utf-8")
    for stated in ("`--edgeprofile-X`", "`edgeprofile_X`", "`PYTEST_EDGEPROFILE_X`"):
        assert stated in readme, f"README.md no longer states the spelling {stated}"
    for spec in SPECS:
        underscored = spec.name.replace("-", "_")
        assert (spec.cli, spec.ini, spec.env) == (
            f"--edgeprofile-{spec.name}",
            f"edgeprofile_{underscored}",
            f"PYTEST_EDGEPROFILE_{underscored.upper()}",
        ), spec.name


def test_the_readme_table_names_no_setting_the_code_lacks() -> None:
    """The other way round: a row for a setting that no longer exists is rot too."""
    known = {spec.name for spec in SPECS}
    lines = readme_lines()
    start = lines.index("| setting | values | default |")
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break  # the table ends at its first line that is not a row
        rows.append(line)
    names = [match.group(1) for match in (re.match(r"\| `([^`]+)`", row) for row in rows) if match]
    assert names and not set(names) - known, f"README.md's table names unknown settings: {set(names) - known}"


# -- (d): the README's Quick start -----------------------------------------------------------------------------


def quick_start_commands() -> list[str]:
    """The commands of the first code block under '## Quick start', comments dropped."""
    lines = readme_lines()
    start = lines.index("## Quick start")
    fence = next(i for i in range(start, len(lines)) if lines[i].startswith("```"))
    end = next(i for i in range(fence + 1, len(lines)) if lines[i].startswith("```"))
    return [line.split("#", 1)[0].strip() for line in lines[fence + 1 : end] if line.split("#", 1)[0].strip()]


def makefile_targets() -> set[str]:
    targets: set[str] = set()
    for line in MAKEFILE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+(?:\s+[A-Za-z0-9_.-]+)*)\s*:(?!=)", line)
        if match and not line.startswith(("\t", ".PHONY")):
            targets.update(match.group(1).split())
    return targets


def test_every_quick_start_command_is_a_makefile_target() -> None:
    commands = quick_start_commands()
    assert commands, "README.md's Quick start has no commands"
    targets = makefile_targets()
    for command in commands:
        words = command.split()
        assert words[0] == "make" and len(words) >= 2, f"Quick start runs {command!r}, which is not `make TARGET`"
        missing = [word for word in words[1:] if not word.startswith("-") and "=" not in word and word not in targets]
        assert not missing, f"Quick start runs {command!r}, but the Makefile has no target {', '.join(missing)}"


def test_the_install_section_names_the_wheel_make_dist_builds() -> None:
    """README's wheel line carries the version from its one place (the package), so a release cannot leave it stale."""
    from pytest_edgeprofile import __version__

    assert f"dist/pytest_edgeprofile-{__version__}-py3-none-any.whl" in README.read_text(encoding="utf-8")
