"""``ProfileManager`` makes, verifies and removes one run's profiles; ``WorkerProfile`` is one worker's clone."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from ..processes import end_processes, processes_using
from ..verify.model import VerificationConfig, VerificationResult
from ..verify.runner import BrowserFactory, run_verification
from .cleanup import Removal, remove_run
from .clone import make_clone
from .copying import CopyStats, Progress
from .golden import ensure_golden
from .layout import resolve_profile
from .run import RunFolder


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
    metrics: dict[str, float | int | str] = field(default_factory=dict)

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

    def ensure_golden(self, progress: Progress | None = None) -> CopyStats | None:
        """The golden copy, made by the first process that asks; stats only for the process that made it."""
        return ensure_golden(self.base_dir, self.profile, self.run, progress=progress, base_in_use=self.base_in_use)

    def clone(self, worker_id: str) -> WorkerProfile:
        """A fresh clone of the golden copy for ``worker_id`` (verification is the caller's next step)."""
        started = time.perf_counter()
        golden_stats = self.ensure_golden()
        golden_seconds = time.perf_counter() - started
        folder = resolve_profile(self.run.golden, self.profile).folder
        user_data_dir, stats = make_clone(self.run, worker_id)
        profile = WorkerProfile(worker_id, user_data_dir, folder)
        profile.metrics.update(
            clone_seconds=round(stats.seconds, 4),
            clone_files=stats.files,
            clone_bytes=stats.bytes,
            clone_method=stats.method,
        )
        if golden_stats is not None:
            profile.metrics.update(
                golden_seconds=round(golden_seconds, 4),
                golden_files=golden_stats.files,
                golden_bytes=golden_stats.bytes,
                skipped_entries=len(golden_stats.skipped),
            )
        return profile

    def verify(
        self,
        profile: WorkerProfile,
        config: VerificationConfig,
        *,
        browser: BrowserFactory | None = None,
        vendor: str = "chrome",
    ) -> VerificationResult:
        """Check one of this run's clones against the golden copy with each method of ``config``."""
        result = run_verification(
            config, profile.user_data_dir, profile.profile_directory, self.run.golden, browser=browser, vendor=vendor
        )
        profile.verification = result
        for method, method_result in result.results.items():
            profile.metrics[f"verify_{method.value}_seconds"] = round(method_result.duration, 4)
        profile.metrics.update(result.details)
        return result

    def discard(self, worker_id: str) -> None:
        """Remove one clone of this run (and end any browser still on it)."""
        path = self.run.worker(worker_id)
        end_processes(processes_using(path))
        shutil.rmtree(path, ignore_errors=True)

    def remove(self) -> Removal:
        """End the run's browsers and remove all its profiles (golden copy and every clone)."""
        return remove_run(self.run.path)
