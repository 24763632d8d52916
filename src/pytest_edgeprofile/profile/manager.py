"""``ProfileManager`` makes, verifies and removes one run's profiles; ``WorkerProfile`` is one worker's clone."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from ..metrics import GoldenMetrics, WorkerMetrics
from .base import BaseProfile
from .cleanup import Removal, remove_run
from .clone import discard_clone, make_clone
from .copying import Progress
from .golden import ensure_golden
from .layout import NEVER_COPY, resolve_profile
from .run import RunFolder
from .verification import VerificationResult


class ProfileType(str, Enum):
    """Where a profile stands in the flow: the user's base, the run's golden copy, or a worker's clone."""

    BASE = "base"
    GOLDEN = "golden"
    WORKER = "worker"


@dataclass
class WorkerProfile:
    """One worker's clone: a user data dir of its own holding the chosen profile folder."""

    worker_id: str
    user_data_dir: Path
    profile_directory: str
    profile_type: ProfileType = ProfileType.WORKER
    verification: VerificationResult = field(default_factory=VerificationResult)
    metrics: WorkerMetrics = field(default_factory=WorkerMetrics)

    @property
    def profile_path(self) -> Path:
        return self.user_data_dir / self.profile_directory


class ProfileManager:
    """The profiles of one run: golden copy made once under a lock, a clone per worker, removal at the end."""

    def __init__(
        self,
        user_data_dir: Path,
        profile: str,
        clone_root: Path,
        run_id: str,
        owner_pid: int | None = None,
        *,
        base_in_use: str = "refuse",
    ) -> None:
        self.base_dir = user_data_dir
        self.profile = profile
        self.base_in_use = base_in_use
        self.run = RunFolder(clone_root, run_id, owner_pid)

    def path(self, profile_type: ProfileType, worker_id: str | None = None) -> Path:
        if profile_type is ProfileType.BASE:
            return self.base_dir
        if profile_type is ProfileType.GOLDEN:
            return self.run.golden
        if worker_id is None:
            raise ValueError("a worker profile needs a worker id")
        return self.run.worker(worker_id)

    def ensure_golden(self, progress: Progress | None = None, base: BaseProfile | None = None) -> GoldenMetrics | None:
        """The golden copy (base checked, files verified), made by the first process that asks, under the run's
        lock; its metrics only for the process that made it. ``base``: the base as the preflight already checked it."""
        started = time.perf_counter()
        stats = ensure_golden(
            self.base_dir, self.profile, self.run, progress=progress, base_in_use=self.base_in_use, base=base
        )
        if stats is None:
            return None
        return GoldenMetrics.from_stats(stats, time.perf_counter() - started, NEVER_COPY)

    @property
    def profile_folder(self) -> str:
        """The chosen profile's folder name in the golden copy (a display name resolved)."""
        return resolve_profile(self.run.golden, self.profile).folder

    def clone(self, worker_id: str) -> WorkerProfile:
        """A fresh clone of the golden copy for ``worker_id`` (the golden copy must exist: ``ensure_golden``)."""
        user_data_dir, stats = make_clone(self.run, worker_id)
        profile = WorkerProfile(worker_id, user_data_dir, self.profile_folder)
        profile.metrics.record_clone(stats)
        return profile

    def discard(self, worker_id: str) -> None:
        """Remove one clone of this run (and end any browser still on it)."""
        discard_clone(self.run, worker_id)

    def remove(self) -> Removal:
        """End the run's browsers and remove all its profiles (golden copy and every clone)."""
        return remove_run(self.run.path)
