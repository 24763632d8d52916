"""Step 4: verification. Prove a clone is sound on disk, that the browser runs on it, and that it is signed in."""

from __future__ import annotations

from ..profile.verification import (
    MethodResult,
    VerificationConfig,
    VerificationMethod,
    VerificationResult,
    VerificationStatus,
)
from .checks import LOGGED_OUT_CAUSES, check_sqlite, verify_auth, verify_capabilities, verify_files
from .runner import run_verification

__all__ = [
    "LOGGED_OUT_CAUSES",
    "MethodResult",
    "VerificationConfig",
    "VerificationMethod",
    "VerificationResult",
    "VerificationStatus",
    "check_sqlite",
    "run_verification",
    "verify_auth",
    "verify_capabilities",
    "verify_files",
]
