"""pytest-edgeprofile: every pytest-xdist worker's browser on its own clone of your logged-in profile."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import (
    BrowserNotFoundError,
    CloneError,
    GridError,
    LoginStateError,
    ProfileCorruptError,
    ProfileError,
    ProfileInUseError,
    ProfileNotFoundError,
    SettingsError,
    VerificationError,
    WorkerLostError,
)
from .profile.manager import ProfileManager, ProfileType, WorkerProfile

if TYPE_CHECKING:
    from .pool import PoolEvent, ProfileAwareWorkerPool

__version__ = "0.1.0"

__all__ = [
    "BrowserNotFoundError",
    "CloneError",
    "GridError",
    "LoginStateError",
    "PoolEvent",
    "ProfileAwareWorkerPool",
    "ProfileCorruptError",
    "ProfileError",
    "ProfileInUseError",
    "ProfileManager",
    "ProfileNotFoundError",
    "ProfileType",
    "SettingsError",
    "VerificationError",
    "WorkerLostError",
    "WorkerProfile",
]


def __getattr__(name: str) -> Any:
    """The pool is imported on first use: the plugin, loaded by every pytest run, never needs it."""
    if name in ("ProfileAwareWorkerPool", "PoolEvent"):
        from . import pool

        return getattr(pool, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
