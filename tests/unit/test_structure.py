"""The architecture as rules a change can break: which package may import which, what stays pytest-free, and
no function or class grown past the size a reader can hold."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import pytest_edgeprofile

PACKAGE = Path(pytest_edgeprofile.__file__).parent
# The core every front end (the pytest plugin, the worker pool, the CLI) shares: none of it may import pytest.
PYTEST_FREE = (
    "pytest_edgeprofile.owner",
    "pytest_edgeprofile.coordinator",
    "pytest_edgeprofile.metrics",
    "pytest_edgeprofile.settings",
    "pytest_edgeprofile.browser.launcher",
    "pytest_edgeprofile.browser.scopes",
    "pytest_edgeprofile.browser.blank_tab",
    "pytest_edgeprofile.verify.runner",
    "pytest_edgeprofile.state.capture",
    "pytest_edgeprofile.cli",
    "pytest_edgeprofile.pool",
    "pytest_edgeprofile.grid",
)
MAX_FUNCTION_LINES, MAX_CLASS_LINES = 60, 160


def imported_modules(path: Path) -> set[str]:
    """The package-relative modules ``path`` imports (``..verify.runner`` from profile/x.py -> ``verify.runner``)."""
    package = path.relative_to(PACKAGE).parent.parts
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - node.level + 1]
            found.add(".".join([*base, *(node.module or "").split(".")]).strip("."))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pytest_edgeprofile."):
            found.add(str(node.module).removeprefix("pytest_edgeprofile."))
    return found


def test_profile_never_imports_verify_or_browser() -> None:
    """profile/ is the bottom layer (files on disk); verify/ and browser/ build on it, never the other way."""
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(m for m in imported_modules(path) if m.startswith(("verify", "browser")))
        for path in (PACKAGE / "profile").glob("*.py")
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_the_core_imports_no_pytest() -> None:
    code = f"import sys; import {', '.join(PYTEST_FREE)}; print('pytest' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert (done.returncode, done.stdout.strip()) == (0, "False"), done.stderr


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_function_or_class_outgrows_a_reading(path: Path) -> None:
    too_long = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        limit = {ast.FunctionDef: MAX_FUNCTION_LINES, ast.ClassDef: MAX_CLASS_LINES}.get(type(node))
        if limit is not None and node.end_lineno - node.lineno + 1 > limit:  # type: ignore[attr-defined]
            too_long.append(f"{node.name} ({node.end_lineno - node.lineno + 1} lines)")  # type: ignore[attr-defined]
    assert too_long == []


def test_tests_take_helpers_from_tests_support_only() -> None:
    """A test module or conftest imports shared helpers from tests/support, never from another test module or a
    conftest (fixtures reach tests through pytest, not through imports)."""
    tests = Path(__file__).resolve().parents[1]
    offenders = []
    for path in sorted(tests.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            if module and module.startswith("tests.") and not module.startswith("tests.support"):
                offenders.append(f"{path.relative_to(tests)}: from {module}")
    assert offenders == []
