"""A consistent copy of a LevelDB folder while a running browser writes it (Local Storage, IndexedDB, Session Storage).

LevelDB's own rules make this possible without taking its LOCK: table files (``.ldb``, ``.sst``) are written once
and never changed; the write-ahead log (``.log``) and the ``MANIFEST`` are only appended to; ``CURRENT`` (the name
of the live MANIFEST) is replaced by rename. The MANIFEST says which tables make the database and from which log
on the newer writes are kept. A table is deleted only after a MANIFEST record has dropped it, and a log only after
one has moved past it. So a copy reads CURRENT and the whole MANIFEST, copies the tables it lists and the logs it
still needs (the newest last: what it holds when read is a prefix of its writes, and LevelDB drops a record cut
short at a log's end), then checks that CURRENT and the MANIFEST did not change meanwhile. If they did (a flush or
compaction ran), it starts again. ``LOCK`` and the text ``LOG`` files are never copied: the clone's browser makes
its own. Only the source's files are read; nothing in it is opened for writing.
"""

from __future__ import annotations

import os
import re
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .run import write_private

CURRENT = "CURRENT"
_MANIFEST_NAME = re.compile(r"MANIFEST-[0-9]+")
_BLOCK = 32768  # LevelDB's log format: 32 KiB blocks of records, each with a 7-byte header
_HEADER = 7
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4
# VersionEdit tags (leveldb db/version_edit.cc)
_COMPARATOR, _LOG_NUMBER, _NEXT_FILE, _LAST_SEQUENCE, _COMPACT_POINTER = 1, 2, 3, 4, 5
_DELETED_FILE, _NEW_FILE, _PREV_LOG_NUMBER = 6, 7, 9
RETRY_INTERVAL = 0.05

CopyFile = Callable[[Path, Path], int]
"""Copies one file to a new private file; returns the bytes copied."""


class Moved(Exception):
    """The folder changed under the copy (a flush or compaction): the copy starts again."""


class UnsettledError(Exception):
    """The folder kept changing until the deadline: no consistent copy was made."""


@dataclass
class Manifest:
    """What a MANIFEST says the database is: its live tables (number -> size) and the logs it still needs."""

    log_number: int = 0
    prev_log_number: int = 0
    tables: dict[int, int] = field(default_factory=dict)


def _records(data: bytes) -> Iterator[bytes]:
    """The logical records of a LevelDB log-format file; a record cut short at the end is left out, as LevelDB does."""
    pos, pending = 0, bytearray()
    in_fragment = False
    while pos + _HEADER <= len(data):
        left_in_block = _BLOCK - pos % _BLOCK
        if left_in_block < _HEADER:
            pos += left_in_block  # a block's tail too short for a header is zero padding
            continue
        _crc, length, kind = struct.unpack_from("<IHB", data, pos)
        end = pos + _HEADER + length
        if kind == 0 and length == 0:
            pos += left_in_block  # preallocated zeros: nothing more in this block
            continue
        if end > len(data):
            break  # being written now: its tail is not there yet
        payload = data[pos + _HEADER : end]
        pos = end
        if kind == _FULL:
            in_fragment = False
            yield payload
        elif kind == _FIRST:
            pending, in_fragment = bytearray(payload), True
        elif kind == _MIDDLE and in_fragment:
            pending += payload
        elif kind == _LAST and in_fragment:
            in_fragment = False
            yield bytes(pending + payload)


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("a varint runs past the end of its record")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def _skip_slice(data: bytes, pos: int) -> int:
    length, pos = _varint(data, pos)
    return pos + length


def read_manifest(data: bytes) -> Manifest:
    """Replay a MANIFEST's version edits; raises ``ValueError`` on a record LevelDB would not accept either."""
    manifest = Manifest()
    for record in _records(data):
        pos = 0
        while pos < len(record):
            tag, pos = _varint(record, pos)
            if tag == _COMPARATOR:
                pos = _skip_slice(record, pos)
            elif tag == _LOG_NUMBER:
                manifest.log_number, pos = _varint(record, pos)
            elif tag == _PREV_LOG_NUMBER:
                manifest.prev_log_number, pos = _varint(record, pos)
            elif tag in (_NEXT_FILE, _LAST_SEQUENCE):
                _, pos = _varint(record, pos)
            elif tag == _COMPACT_POINTER:
                _, pos = _varint(record, pos)
                pos = _skip_slice(record, pos)
            elif tag == _DELETED_FILE:
                _, pos = _varint(record, pos)
                number, pos = _varint(record, pos)
                manifest.tables.pop(number, None)
            elif tag == _NEW_FILE:
                _, pos = _varint(record, pos)
                number, pos = _varint(record, pos)
                size, pos = _varint(record, pos)
                pos = _skip_slice(record, _skip_slice(record, pos))  # the smallest and largest keys
                manifest.tables[number] = size
            else:
                raise ValueError(f"unknown MANIFEST tag {tag}")
    return manifest


@dataclass
class FolderCopy:
    """What one consistent copy of a LevelDB folder took: files, bytes and how many tries."""

    files: int = 0
    bytes: int = 0
    attempts: int = 0


def _needed_logs(names: list[str], manifest: Manifest) -> list[str]:
    logs = []
    for name in names:
        stem, dot, ext = name.partition(".")
        if dot and ext == "log" and stem.isdigit():
            number = int(stem)
            if number >= manifest.log_number or (manifest.prev_log_number and number == manifest.prev_log_number):
                logs.append((number, name))
    return [name for _number, name in sorted(logs)]


def _table_name(number: int, names: set[str]) -> str:
    for ext in ("ldb", "sst"):
        name = f"{number:06d}.{ext}"
        if name in names:
            return name
    raise Moved(f"table {number:06d} is gone")


def _attempt(src: Path, dst: Path, copy_file: CopyFile) -> FolderCopy:
    current = (src / CURRENT).read_bytes()
    manifest_name = current.decode("ascii", "replace").strip()
    if not current.endswith(b"\n") or not _MANIFEST_NAME.fullmatch(manifest_name):
        raise Moved("CURRENT is being replaced")
    try:
        manifest_bytes = (src / manifest_name).read_bytes()
    except FileNotFoundError:
        raise Moved("the MANIFEST was replaced") from None
    try:
        manifest = read_manifest(manifest_bytes)
    except ValueError as exc:
        raise Moved(f"the MANIFEST cannot be read yet ({exc})") from None
    names = sorted(entry.name for entry in os.scandir(src) if entry.is_file(follow_symlinks=False))
    present = set(names)
    done = FolderCopy()
    try:
        for number, size in sorted(manifest.tables.items()):
            name = _table_name(number, present)
            copied = copy_file(src / name, dst / name)
            if copied != size:
                raise Moved(f"table {name} is {copied} bytes, the MANIFEST says {size}")
            done.files += 1
            done.bytes += copied
        for name in _needed_logs(names, manifest):  # oldest first: only the newest can still grow
            data = (src / name).read_bytes()
            write_private(dst / name, data)
            done.files += 1
            done.bytes += len(data)
    except FileNotFoundError:
        raise Moved("a file was removed by a compaction") from None
    if (src / CURRENT).read_bytes() != current or (src / manifest_name).stat().st_size != len(manifest_bytes):
        raise Moved("a flush or compaction ran during the copy")
    write_private(dst / manifest_name, manifest_bytes)
    write_private(dst / CURRENT, current)
    done.files += 2
    done.bytes += len(manifest_bytes) + len(current)
    return done


def _clear(folder: Path) -> None:
    for entry in os.scandir(folder):
        if entry.is_file(follow_symlinks=False):
            os.unlink(entry.path)


def copy_leveldb(src: Path, dst: Path, copy_file: CopyFile, *, wait: float) -> FolderCopy:
    """Copy the LevelDB folder ``src`` into the existing empty folder ``dst`` as one consistent state of it.

    Tries again while the browser flushes or compacts, for ``wait`` seconds; then raises ``UnsettledError``.
    """
    deadline = time.monotonic() + wait
    attempts = 0
    while True:
        attempts += 1
        try:
            done = _attempt(src, dst, copy_file)
        except Moved as exc:
            _clear(dst)
            if time.monotonic() > deadline:
                raise UnsettledError(f"kept changing for {wait:g} s ({exc})") from None
            time.sleep(RETRY_INTERVAL)
            continue
        done.attempts = attempts
        return done
