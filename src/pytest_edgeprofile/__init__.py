"""pytest-edgeprofile: every pytest-xdist worker's browser on its own clone of your logged-in profile."""

from __future__ import annotations

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
)
from .profile.manager import ProfileManager, ProfileType, WorkerProfile

__version__ = "0.1.0"

__all__ = [
    "BrowserNotFoundError",
    "CloneError",
    "GridError",
    "LoginStateError",
    "ProfileCorruptError",
    "ProfileError",
    "ProfileInUseError",
    "ProfileManager",
    "ProfileNotFoundError",
    "ProfileType",
    "SettingsError",
    "VerificationError",
    "WorkerProfile",
]
