"""LevelDB folders copied while their writer works: the MANIFEST read as LevelDB reads it, and a copy that starts
again when a flush or compaction lands under it. Folders here are written byte for byte in LevelDB's format."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from pytest_edgeprofile.profile.leveldb import UnsettledError, copy_leveldb, read_manifest


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def slice_(data: bytes) -> bytes:
    return varint(len(data)) + data


def new_file(number: int, size: int, level: int = 0) -> bytes:
    return varint(7) + varint(level) + varint(number) + varint(size) + slice_(b"a\x01" + bytes(7)) + slice_(b"z" * 9)


def deleted_file(number: int, level: int = 0) -> bytes:
    return varint(6) + varint(level) + varint(number)


def log_number(number: int) -> bytes:
    return varint(2) + varint(number)


def record(payload: bytes, kind: int = 1) -> bytes:
    """One physical record of LevelDB's log format (the checksum is not checked by the reader under test)."""
    return struct.pack("<IHB", 0, len(payload), kind) + payload


def make_leveldb(folder: Path, edits: list[bytes], tables: dict[int, int], logs: dict[int, bytes]) -> Path:
    folder.mkdir(parents=True)
    (folder / "CURRENT").write_bytes(b"MANIFEST-000002\n")
    (folder / "MANIFEST-000002").write_bytes(b"".join(record(edit) for edit in edits))
    for number, size in tables.items():
        (folder / f"{number:06d}.ldb").write_bytes(bytes([number % 256]) * size)
    for number, data in logs.items():
        (folder / f"{number:06d}.log").write_bytes(data)
    (folder / "LOCK").write_bytes(b"")
    (folder / "LOG").write_text("leveldb's own diary\n")
    return folder


def test_the_manifest_is_replayed_edit_by_edit() -> None:
    comparator = varint(1) + slice_(b"leveldb.BytewiseComparator")
    edits = [comparator + log_number(3), new_file(5, 100) + new_file(7, 70) + log_number(8), deleted_file(5)]
    data = b"".join(record(edit) for edit in edits)
    manifest = read_manifest(data)
    assert (manifest.log_number, manifest.tables) == (8, {7: 70})
    # A record still being written (cut short at the end) is not part of the state, as in LevelDB itself.
    assert read_manifest(data + record(deleted_file(7))[:-1]).tables == {7: 70}


def test_a_record_split_over_blocks_is_joined() -> None:
    big = new_file(9, 90) + varint(1) + slice_(b"x" * 40000)  # longer than one 32 KiB block
    first = 32768 - 7
    data = record(big[:first], kind=2)
    rest = big[first:]
    data += record(rest, kind=4)
    assert read_manifest(data).tables == {9: 90}


def copy_bytes(src: Path, dst: Path) -> int:
    dst.write_bytes(src.read_bytes())
    return dst.stat().st_size


def test_only_what_leveldb_needs_is_copied(tmp_path: Path) -> None:
    src = make_leveldb(
        tmp_path / "src", [log_number(4) + new_file(5, 50)], tables={5: 50, 6: 60}, logs={3: b"old", 4: b"new writes"}
    )
    dst = tmp_path / "dst"
    dst.mkdir()
    done = copy_leveldb(src, dst, copy_bytes, wait=1)
    # 000006.ldb is not in the MANIFEST (a compaction's output not yet recorded), 000003.log is behind log 4.
    assert sorted(p.name for p in dst.iterdir()) == ["000004.log", "000005.ldb", "CURRENT", "MANIFEST-000002"]
    assert (done.files, done.attempts) == (4, 1)
    assert (dst / "MANIFEST-000002").read_bytes() == (src / "MANIFEST-000002").read_bytes()


def test_a_compaction_during_the_copy_makes_it_start_again(tmp_path: Path) -> None:
    src = make_leveldb(tmp_path / "src", [log_number(4) + new_file(5, 50)], tables={5: 50}, logs={4: b"w"})
    dst = tmp_path / "dst"
    dst.mkdir()
    calls = []

    def copy_while_compacting(a: Path, b: Path) -> int:
        calls.append(a.name)
        if len(calls) == 1:  # the writer compacts 5 into 8 just as the copy reads table 5
            (src / "000008.ldb").write_bytes(b"\x08" * 80)
            with (src / "MANIFEST-000002").open("ab") as manifest:
                manifest.write(record(deleted_file(5) + new_file(8, 80, level=1)))
        return copy_bytes(a, b)

    done = copy_leveldb(src, dst, copy_while_compacting, wait=5)
    assert done.attempts == 2 and calls == ["000005.ldb", "000008.ldb"]
    assert sorted(p.name for p in dst.iterdir()) == ["000004.log", "000008.ldb", "CURRENT", "MANIFEST-000002"]
    assert read_manifest((dst / "MANIFEST-000002").read_bytes()).tables == {8: 80}


def test_a_folder_that_never_settles_gives_up_at_its_deadline(tmp_path: Path) -> None:
    src = make_leveldb(tmp_path / "src", [log_number(4) + new_file(5, 50)], tables={}, logs={4: b"w"})
    dst = tmp_path / "dst"
    dst.mkdir()
    with pytest.raises(UnsettledError, match=r"kept changing for 0.2 s \(table 000005 is gone\)"):
        copy_leveldb(src, dst, copy_bytes, wait=0.2)
    assert list(dst.iterdir()) == [], "a failed copy left files behind"
