"""``edgeprofile list``: the profiles of a user data dir, how big each is, and how much of it a clone copies."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from ..errors import ProfileNotFoundError
from ..profile.base import version_page
from ..profile.golden import golden_filter
from ..profile.layout import LOCAL_STATE, list_profiles
from ..settings import Settings
from .common import holder_text, megabytes, origin


@dataclass(frozen=True)
class ProfileSize:
    """Bytes of a profile folder, and bytes the golden copy would take of it (with Local State)."""

    total: int
    clone: int


def _file_size(path: str) -> int | None:
    """Size of a regular file; None for links, sockets and whatever cannot be read (never followed)."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def profile_size(user_data_dir: Path, folder: str) -> ProfileSize:
    """Walk ``folder`` with the golden copy's own filter, so 'clone' is what a run would really copy."""
    include = golden_filter(folder)
    clone = 0
    with os.scandir(user_data_dir) as entries:  # Local State and the few root files the golden copy keeps
        for entry in entries:
            size = _file_size(entry.path)
            if size is not None and include(entry.name, False):
                clone += size
    total = 0
    pending: list[tuple[str, bool]] = [(folder, include(folder, True))]
    while pending:
        rel_dir, kept = pending.pop()
        try:
            entries_list = list(os.scandir(user_data_dir / rel_dir))
        except OSError:
            continue
        for entry in entries_list:
            rel = f"{rel_dir}/{entry.name}"
            if entry.is_symlink():
                continue  # the copy never follows a link, and neither does this count
            if entry.is_dir(follow_symlinks=False):
                pending.append((rel, kept and include(rel, True)))
                continue
            size = _file_size(entry.path)
            if size is None:
                continue
            total += size
            if kept and include(rel, False):
                clone += size
    return ProfileSize(total, clone)


def table(rows: list[list[str]], right: frozenset[int]) -> list[str]:
    """Rows as aligned text columns; the columns in ``right`` (numbers) are right-aligned."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return lines


def run(resolved: Settings, out: TextIO) -> int:
    root = resolved.user_data_dir
    if not root.is_dir():
        raise ProfileNotFoundError(
            f"the user data dir {root} {origin(resolved, 'user-data-dir')} does not exist; "
            "set --user-data-dir to the browser's 'User Data' folder "
            f"({version_page(resolved.browser)} shows it as the parent of 'Profile path').",
            root,
        )
    if not (root / LOCAL_STATE).is_file():
        raise ProfileNotFoundError(
            f"{root} {origin(resolved, 'user-data-dir')} is not a browser user data dir: it "
            "has no 'Local State' file; set --user-data-dir to the folder that holds it "
            f"({version_page(resolved.browser)} shows it as the parent of 'Profile path').",
            root,
        )
    profiles = list_profiles(root)
    in_use = holder_text(root) or "no"
    print(f"profiles in {root} {origin(resolved, 'user-data-dir')}:", file=out)
    if not profiles:
        print("none", file=out)
        return 0
    rows = [["folder", "name", "size MB", "clone MB", "in use"]]
    for info in profiles:
        size = profile_size(root, info.folder)
        rows.append([info.folder, info.display_name, megabytes(size.total), megabytes(size.clone), in_use])
    for line in table(rows, frozenset({2, 3})):
        print(line, file=out)
    return 0
