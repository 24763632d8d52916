"""pytest wiring: the options, then the roles that do the work, registered the way xdist registers its DSession.

    pytest_addoption     every setting as --edgeprofile-X, ini edgeprofile_X (env PYTEST_EDGEPROFILE_X)
    pytest_configure     settings resolved (one sentence when wrong), then the roles registered:
                           controller.Controller  the process that runs the session: preflight, golden copy, blank
                                                  tab, workers' reports, summary, cleanup (coordinator.py)
                           worker.Worker          a process that runs tests: its clone and browsers (owner.py),
                                                  used by the fixtures (fixtures.py)
                         without xdist one process has both roles; an xdist worker has only the second.

The work lives in modules that do not import pytest; this file and the two roles only wire them to pytest.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .browser.locate import Executables
from .controller import Controller
from .coordinator import RunCoordinator
from .errors import ProfileError
from .fixtures import WORKER, edge_driver, edge_options, edge_profile
from .log import close_event_log, open_event_log
from .owner import CloneOwner
from .profile.manager import ProfileManager
from .profile.run import new_run_id
from .settings import SPECS, Settings, resolve
from .worker import Worker

__all__ = ["edge_driver", "edge_options", "edge_profile"]

SINGLE_PROCESS_ID = "main"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("edgeprofile", "pytest-edgeprofile: browsers on clones of a real profile")
    for spec in SPECS:
        help_text = f"{spec.help} [ini {spec.ini}, env {spec.env}]"
        if spec.kind == "flag":
            group.addoption(spec.cli, action="store_true", default=None, dest=spec.dest, help=help_text)
            parser.addini(spec.ini, spec.help, type="string")
        elif spec.kind == "list":
            group.addoption(spec.cli, action="append", default=None, dest=spec.dest, metavar="ARG", help=help_text)
            parser.addini(spec.ini, spec.help, type="linelist")
        else:
            group.addoption(spec.cli, default=None, dest=spec.dest, metavar=spec.name.upper(), help=help_text)
            parser.addini(spec.ini, spec.help, type="string")


def _resolve_settings(config: pytest.Config) -> Settings:
    ini_path = config.inipath
    return resolve(
        cli={spec.dest: config.getoption(spec.dest) for spec in SPECS},
        env=os.environ,
        ini={spec.ini: config.getini(spec.ini) for spec in SPECS},
        cwd=config.invocation_params.dir,
        ini_dir=ini_path.parent if ini_path else None,
        ini_name=ini_path.name if ini_path else "the ini file",
    )


def _runs_workers(config: pytest.Config) -> bool:
    """True in an xdist controller that will start workers (``-n N``, ``--dist``), set before our configure."""
    return getattr(config.option, "dist", "no") != "no"


def _seeded(worker_input: dict[str, object]) -> Executables | None:
    """The executables the controller found, so workers do not search again."""
    binary, driver_path = worker_input.get("edgeprofile_binary"), worker_input.get("edgeprofile_driver")
    if binary and driver_path:
        return Executables(Path(str(binary)), Path(str(driver_path)))
    return None


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("help"):
        return  # `pytest --help` must work even when a setting is wrong
    try:
        settings = _resolve_settings(config)
    except ProfileError as exc:
        raise pytest.UsageError(f"pytest-edgeprofile: {exc}") from None
    worker_input = getattr(config, "workerinput", None)
    if worker_input is not None:
        run_id = str(worker_input.get("edgeprofile_run_id") or new_run_id())
        worker_id, owner_pid = str(worker_input["workerid"]), worker_input.get("edgeprofile_controller_pid")
    else:
        run_id, worker_id, owner_pid = new_run_id(), SINGLE_PROCESS_ID, os.getpid()
    manager = ProfileManager(
        settings.user_data_dir,
        settings.profile,
        settings.clone_root,
        run_id,
        int(str(owner_pid)) if owner_pid else None,
        base_in_use=settings.base_in_use,
    )
    log_name = worker_id if worker_input is not None else "controller"
    event_log = open_event_log(settings.output / "logs" / f"{log_name}.jsonl")
    config.add_cleanup(lambda: close_event_log(event_log))
    worker = None
    if worker_input is not None or not _runs_workers(config):
        owner = CloneOwner(settings, manager, worker_id, _seeded(worker_input or {}))
        worker = Worker(config, settings, owner, in_xdist=worker_input is not None)
        config.stash[WORKER] = worker
        config.pluginmanager.register(worker, "edgeprofile-worker")
    if worker_input is None:
        controller = Controller(config, settings, RunCoordinator(settings, manager), worker)
        config.pluginmanager.register(controller, "edgeprofile-controller")
        controller.start()
