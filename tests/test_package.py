"""The package as a user installs it: the BUILT wheel in a fresh venv, never the source tree.

Selected with ``-m package`` (about a minute: a wheel build, a venv, its dependencies from the package index, and
the demo suite on two workers). The wheel comes from ``python -m build``, as ``make dist`` makes it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from demo import run as demo_run
from demo.site import LoginSite
from pytest_edgeprofile import __version__
from tests.support.browsers import QUIET_ARGS, TEST_BROWSER
from tests.support.checks import leftover_processes

pytestmark = pytest.mark.package

ROOT = Path(__file__).resolve().parent.parent
BIN = "Scripts" if os.name == "nt" else "bin"
EXE = ".exe" if os.name == "nt" else ""


@dataclass(frozen=True)
class Installed:
    """A fresh venv with only the built wheel (and its dependencies) installed."""

    wheel: Path
    venv: Path

    @property
    def python(self) -> Path:
        return self.venv / BIN / f"python{EXE}"

    @property
    def script(self) -> Path:
        return self.venv / BIN / f"edgeprofile{EXE}"

    def run(
        self, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.python), *args],
            capture_output=True,
            text=True,
            cwd=cwd or self.venv,
            env=env or clean_env(),
            timeout=timeout,
            check=False,
        )


def clean_env(**extra: str) -> dict[str, str]:
    """No PYTHONPATH (which could bring the source tree back), no settings or xdist variables of this run."""
    drop = ("PYTHONPATH", "PYTEST_ADDOPTS", "VIRTUAL_ENV")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in drop and not k.startswith(("PYTEST_EDGEPROFILE_", "PYTEST_XDIST"))
    }
    return {**env, **extra}


def step(command: list[str], what: str, timeout: float = 600) -> None:
    done = subprocess.run(command, capture_output=True, text=True, env=clean_env(), timeout=timeout, check=False)
    assert done.returncode == 0, f"{what} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """Build the wheel from this checkout, then install it (by its file, so nothing else can stand in for it)."""
    work = tmp_path_factory.mktemp("package")
    step([sys.executable, "-m", "build", "--wheel", "--outdir", str(work / "dist"), str(ROOT)], "python -m build")
    wheels = list((work / "dist").glob("*.whl"))
    assert [w.name for w in wheels] == [f"pytest_edgeprofile-{__version__}-py3-none-any.whl"]
    venv = work / "venv"
    step([sys.executable, "-m", "venv", str(venv)], "python -m venv")
    target = Installed(wheels[0], venv)
    step([str(target.python), "-m", "pip", "install", "--quiet", str(wheels[0])], "pip install of the wheel")
    return target


def test_the_wheel_holds_the_package_its_types_marker_and_entry_points(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
        entry_points = next(wheel.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt"))
        metadata = next(wheel.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
    assert "pytest_edgeprofile/py.typed" in names and "pytest_edgeprofile/plugin.py" in names
    assert not [n for n in names if n.startswith(("tests/", "demo/", "benchmarks/"))], "only the package ships"
    assert "[pytest11]\nedgeprofile = pytest_edgeprofile.plugin" in entry_points
    assert "[console_scripts]\nedgeprofile = pytest_edgeprofile.cli:main" in entry_points
    assert f"Version: {__version__}\n" in metadata and "License-Expression: MIT\n" in metadata


def test_the_installed_package_is_the_wheels_not_the_source_tree(installed: Installed) -> None:
    probe = (
        "import importlib.metadata as m, json, pathlib, pytest_edgeprofile as p\n"
        "eps = [e.value for e in m.entry_points(group='pytest11') if e.name == 'edgeprofile']\n"
        "here = pathlib.Path(p.__file__).parent\n"
        "print(json.dumps({'file': str(here), 'typed': (here / 'py.typed').is_file(), 'entry': eps,\n"
        "                  'version': p.__version__, 'dist': m.version('pytest-edgeprofile')}))\n"
    )
    done = installed.run("-c", probe)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert Path(found["file"]).is_relative_to(installed.venv), found
    assert not Path(found["file"]).is_relative_to(ROOT), found
    assert found["typed"] and found["entry"] == ["pytest_edgeprofile.plugin"]
    assert found["version"] == found["dist"] == __version__


def test_the_console_script_and_the_pytest_plugin_are_installed(installed: Installed) -> None:
    script = subprocess.run(
        [str(installed.script), "--version"], capture_output=True, text=True, timeout=60, env=clean_env(), check=False
    )
    assert (script.returncode, script.stdout) == (0, f"edgeprofile {__version__}\n")
    helped = installed.run("-m", "pytest", "--help")
    assert helped.returncode == 0 and "--edgeprofile-browser" in helped.stdout


def test_the_demo_suite_runs_on_the_installed_wheel(
    installed: Installed, base_profile: Path, login_site: LoginSite, tmp_path: Path
) -> None:
    """The demo (outside the package) as `make demo` runs it, auth check included, with the plugin from the wheel
    (two workers instead of six, to spare the machine): every test signed in, nothing left."""
    clone_root = tmp_path / "clones"
    # PATH values joined with "=": pytest would otherwise take them for test paths when it looks for the rootdir,
    # and miss the demo's pytest.ini.
    overrides = [
        "-n=2",
        f"--edgeprofile-browser={TEST_BROWSER}",
        f"--edgeprofile-user-data-dir={base_profile}",
        f"--edgeprofile-clone-root={clone_root}",
        f"--edgeprofile-output={tmp_path / 'results'}",
    ]
    done = installed.run(
        "-m", "pytest", *demo_run.pytest_args(login_site.url), *overrides,
        cwd=ROOT / "demo", env=clean_env(PYTEST_EDGEPROFILE_ARG=QUIET_ARGS),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "13 passed" in done.stdout.splitlines()[-1], done.stdout[-2000:]
    assert list(clone_root.iterdir()) == [] and leftover_processes(clone_root) == []
    events = [
        line for log in (tmp_path / "results" / "logs").glob("gw*.jsonl") for line in log.read_text().splitlines()
    ]
    checked = [json.loads(line) for line in events if '"verify"' in line]
    assert len(checked) >= 2 and all(event.get("auth") == "passed" for event in checked), checked
