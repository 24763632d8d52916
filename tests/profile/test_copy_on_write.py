"""Copy-on-write clones for real: an XFS image (reflink=1) on a loop device. Skipped where mounting is not allowed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_edgeprofile.profile.copying import copy_tree
from pytest_edgeprofile.profile.manager import ProfileManager
from pytest_edgeprofile.profile.run import new_run_id
from tests.support.checks import tree_digest
from tests.support.systems import LINUX


@pytest.fixture(scope="module")
def xfs_volume(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A mounted 300 MB XFS filesystem with reflinks, or a clean skip saying why there is none."""
    if not LINUX:
        pytest.skip(
            f"Linux only (this is {sys.platform}): an XFS image on a loop device; macOS clonefile and "
            "Windows block cloning are not tested on a volume of their own"
        )
    if not shutil.which("mkfs.xfs"):
        pytest.skip("mkfs.xfs is not installed (Debian: xfsprogs)")
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("mounting a loop device needs root (Linux)")
    work = tmp_path_factory.mktemp("xfs")
    image, mount_point = work / "volume.img", work / "mnt"
    mount_point.mkdir()
    with image.open("wb") as handle:
        handle.truncate(300 * 1024 * 1024)
    subprocess.run(["mkfs.xfs", "-q", "-m", "reflink=1", str(image)], check=True)
    mounted = subprocess.run(["mount", "-o", "loop", str(image), str(mount_point)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"this machine does not allow mounting a loop device: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


def used_bytes(path: Path) -> int:
    usage = shutil.disk_usage(path)
    return usage.total - usage.free


def test_a_copy_on_xfs_shares_extents_and_stays_independent(xfs_volume: Path) -> None:
    source = xfs_volume / "source"
    source.mkdir()
    payload = os.urandom(50 * 1024 * 1024)
    (source / "IndexedDB.ldb").write_bytes(payload)
    before = used_bytes(xfs_volume)

    stats = copy_tree(source, xfs_volume / "clone")

    assert stats.method == "reflink" and stats.methods == {"reflink": 1}
    assert used_bytes(xfs_volume) - before < 5 * 1024 * 1024, "a reflinked copy must not take the file's space"
    clone = xfs_volume / "clone" / "IndexedDB.ldb"
    assert clone.read_bytes() == payload
    with clone.open("r+b") as handle:  # copy-on-write: writing the clone leaves the source alone
        handle.write(b"changed")
    assert (source / "IndexedDB.ldb").read_bytes() == payload


def test_worker_clones_on_a_reflink_clone_root_are_reflinks_of_the_golden_copy(
    xfs_volume: Path, daily_base: Path
) -> None:
    before = tree_digest(daily_base)
    manager = ProfileManager(daily_base, "Default", xfs_volume / "clones", new_run_id())
    try:
        manager.ensure_golden()
        first, second = manager.clone("gw0"), manager.clone("gw1")
        # The base lives on another filesystem, so the golden copy is a real copy; clones of it are reflinks.
        assert first.metrics["clone_method"] == second.metrics["clone_method"] == "reflink"
        assert tree_digest(first.user_data_dir) == tree_digest(manager.run.golden)
    finally:
        manager.remove()
    assert tree_digest(daily_base) == before
