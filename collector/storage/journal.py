"""Keep the store's bytes on disk: a checksummed append-only journal and atomic snapshots.

This module knows files, frames and fsync, not TinyDB. See docs/collector-storage.md.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

__all__ = [
    "CorruptStore",
    "Journal",
    "SnapshotFile",
    "StorageError",
    "StorageFull",
    "StoreLocked",
    "Damage",
    "Doc",
    "Tables",
    "decode_payloads",
    "encode_frame",
    "fsync_dir",
    "read_snapshot",
    "resolver",
    "salvage_frames",
    "storage_error",
    "write_snapshot",
]

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
# A frame is b"LLLLLLLL CCCCCCCC " + payload + b"\n": payload length and CRC-32, both 8 hex digits.
FRAME_HEAD = 18
# Errors that mean "no room": a full disk, a quota, or a file-size limit.
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
# Decode this many JSON lines in one json.loads so that repeated keys are shared in memory.
DECODE_BATCH = 2000
# Snapshot documents this long or longer stay on disk: memory holds a reference to them, an
# int `offset << REF_BITS | length` (read back with os.pread). Smaller ones (outbox rows, say)
# are held as bytes: a reference and a read would cost more than they save.
ON_DISK_FROM = 256
REF_BITS = 24
READ_BLOCK = 1 << 18  # a snapshot is read in blocks of this many bytes
REF_MASK = (1 << REF_BITS) - 1
# A stored document: its encoded JSON, or a reference into the snapshot file.
Doc = bytes | int
Tables = dict[str, dict[str, Doc]]


class StorageError(Exception):
    """The collector's store could not do what was asked; earlier data is intact."""


class StorageFull(StorageError):
    """The disk (or a quota or file-size limit) is full; nothing was written."""


class StoreLocked(StorageError):
    """Another process already writes this data directory."""


class CorruptStore(StorageError):
    """A snapshot or the middle of the journal is damaged (not a torn last write)."""


def storage_error(exc: OSError, what: str) -> StorageError:
    """Map an OSError to StorageFull when the disk is full, else to StorageError."""
    if exc.errno in FULL_ERRNOS:
        return StorageFull(
            f"the disk is full: {what} failed ({exc.strerror}); earlier data is intact"
        )
    return StorageError(f"{what} failed: {exc}")


def fsync_dir(path: Path) -> None:
    """Flush a directory so that a create, rename or unlink inside it survives power loss."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    """Write every byte (os.write may write fewer than asked)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def encode_frame(payload: bytes) -> bytes:
    """Wrap a payload (one JSON text without raw newlines) in a length + CRC-32 frame."""
    return b"%08x %08x " % (len(payload), zlib.crc32(payload)) + payload + b"\n"


def _parse_head(head: bytes) -> tuple[int, int] | None:
    """Return (payload length, CRC-32) from a frame head, or None if it is not one."""
    if len(head) < FRAME_HEAD or head[8:9] != b" " or head[17:18] != b" ":
        return None
    try:
        return int(head[:8], 16), int(head[9:17], 16)
    except ValueError:
        return None


def _check_body(body: bytes, length: int, crc: int) -> bytes | None:
    """Return the payload if body is `length` bytes plus a newline and matches the CRC."""
    if len(body) != length + 1 or body[-1] != 0x0A or zlib.crc32(body[:-1]) != crc:
        return None
    return body[:-1]


def _frame_at(data: bytes, pos: int) -> tuple[bytes, int] | None:
    """Return (payload, end) of a valid frame starting at pos, or None."""
    parsed = _parse_head(data[pos : pos + FRAME_HEAD])
    if parsed is None:
        return None
    start = pos + FRAME_HEAD
    payload = _check_body(data[start : start + parsed[0] + 1], *parsed)
    return None if payload is None else (payload, start + parsed[0] + 1)


def _next_frame(data: bytes, pos: int) -> int | None:
    """Return where the first valid frame after the damage at `pos` starts, or None.

    Payloads hold no raw newline, so a frame can only start just after one.
    """
    line = data.find(b"\n", pos)
    while line != -1 and line + 1 < len(data):
        if _frame_at(data, line + 1) is not None:
            return line + 1
        line = data.find(b"\n", line + 1)
    return None


@dataclass(frozen=True)
class Damage:
    """Bytes of a journal that hold no valid frame: [start, end), and the frames they held.

    `frames` counts the records that ended in the range (each frame ends in its only raw
    newline); a torn last write that never got its newline counts as one.
    """

    start: int
    end: int
    frames: int
    torn_tail: bool  # at the very end, nothing valid after: the one unacknowledged write


def salvage_frames(data: bytes) -> tuple[list[tuple[int, bytes]], list[Damage]]:
    """Return every valid frame (its offset and payload), skipping damage, and the damage."""
    payloads: list[tuple[int, bytes]] = []
    damage: list[Damage] = []
    pos = 0
    while pos < len(data):
        frame = _frame_at(data, pos)
        if frame is not None:
            payloads.append((pos, frame[0]))
            pos = frame[1]
            continue
        found = _next_frame(data, pos)
        end = len(data) if found is None else found
        damage.append(Damage(pos, end, max(1, data.count(b"\n", pos, end)), found is None))
        pos = end
    return payloads, damage


def decode_payloads(payloads: list[bytes]) -> Iterator[Any]:
    """Decode JSON payloads in batches (shared keys use less memory)."""
    for start in range(0, len(payloads), DECODE_BATCH):
        batch = payloads[start : start + DECODE_BATCH]
        try:
            yield from json.loads(b"[" + b",".join(batch) + b"]")
        except ValueError as exc:
            raise CorruptStore(f"a checksummed record is not valid JSON: {exc}") from exc


class _FrameReader:
    """Read valid frames from a file one by one; `end` is where the valid prefix ends."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.end = 0

    def __iter__(self) -> Iterator[bytes]:
        while True:
            parsed = _parse_head(self.handle.read(FRAME_HEAD))
            if parsed is None:
                return
            payload = _check_body(self.handle.read(parsed[0] + 1), *parsed)
            if payload is None:
                return
            self.end += FRAME_HEAD + parsed[0] + 1
            yield payload


def _journal_generation(path: Path, header: bytes, covers: int) -> int:
    """Return the generation named in a journal's header frame, checked against `covers`."""
    try:
        generation = int(json.loads(header)["generation"])
    except (ValueError, KeyError, TypeError) as exc:
        raise CorruptStore(f"{path} has an unreadable header") from exc
    if generation > covers + 1:
        raise CorruptStore(
            f"{path} is generation {generation} but the snapshot covers only {covers}; "
            "a snapshot is missing"
        )
    return generation


class Journal:
    """An append-only file of framed changes; each append is fsynced before it returns."""

    def __init__(self, path: Path, generation: int, fd: int, end: int) -> None:
        self.path = path
        self.generation = generation
        self._fd = fd
        self._end = end
        self._broken = False

    @property
    def size(self) -> int:
        """Return the journal's length in bytes."""
        return self._end

    @classmethod
    def create(cls, path: Path, generation: int) -> Journal:
        """Atomically replace the journal with an empty one of the given generation."""
        header = json.dumps({"doorstep_journal": FORMAT_VERSION, "generation": generation})
        frame = encode_frame(header.encode())
        tmp = path.with_name(path.name + ".tmp")
        fd = -1
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            _write_all(fd, frame)
            os.fsync(fd)
            os.replace(tmp, path)
            fsync_dir(path.parent)
        except OSError as exc:
            if fd >= 0:
                os.close(fd)
            tmp.unlink(missing_ok=True)
            raise storage_error(exc, "starting a new journal") from exc
        return cls(path, generation, fd, len(frame))

    @classmethod
    def open(
        cls, path: Path, covers: int, replay: Callable[[bytes], None]
    ) -> tuple[Journal, int] | None:
        """Open the journal that follows snapshot generation `covers`, replaying each change.

        Return (journal, bytes of torn tail dropped), or None when there is no journal or it
        is already folded into the snapshot (the caller then creates one).
        """
        try:
            handle = open(path, "rb")
        except FileNotFoundError:
            return None
        with handle:
            frames = _FrameReader(handle)
            generation = None
            for payload in frames:
                if generation is None:
                    generation = _journal_generation(path, payload, covers)
                    if generation <= covers:
                        return None  # compaction wrote the snapshot, was killed before reset
                else:
                    replay(payload)
            size = os.fstat(handle.fileno()).st_size
            if frames.end < size:
                handle.seek(frames.end)
                found = _next_frame(handle.read(), 0)
                if found is not None:
                    # Only the last write can be torn: never drop acknowledged frames after it.
                    raise CorruptStore(
                        f"{path} is damaged at byte {frames.end} of {size}, and valid changes "
                        f"follow from byte {frames.end + found}: this is not a torn last write, "
                        "so the store was left untouched"
                    )
        if generation is None:
            return None  # no valid frame at all (checked above): it never held a change
        dropped = size - frames.end
        fd = os.open(path, os.O_WRONLY)
        try:
            if dropped:
                log.warning("dropping %d bytes of a torn last write from %s", dropped, path)
                os.ftruncate(fd, frames.end)
                os.fsync(fd)
            os.lseek(fd, frames.end, os.SEEK_SET)
        except OSError as exc:
            os.close(fd)
            raise storage_error(exc, "recovering the journal") from exc
        return cls(path, generation, fd, frames.end), dropped

    def append(self, payload: bytes) -> None:
        """Append one frame and fsync it; on failure cut the partial frame off again."""
        if self._fd < 0:
            raise StorageError("the store is closed")
        if self._broken:
            raise StorageError("an earlier failed write could not be undone; reopen the store")
        frame = encode_frame(payload)
        try:
            _write_all(self._fd, frame)
            os.fsync(self._fd)
        except OSError as exc:
            self._rollback()
            raise storage_error(exc, "saving") from exc
        self._end += len(frame)

    def _rollback(self) -> None:
        """Truncate back to the last acknowledged frame (shrinking needs no free space)."""
        try:
            os.ftruncate(self._fd, self._end)
            os.lseek(self._fd, self._end, os.SEEK_SET)
            os.fsync(self._fd)
        except OSError:
            # Reopening drops the partial frame as a torn tail, so refuse writes until then.
            self._broken = True

    def close(self) -> None:
        """Close the file (every append is already on disk)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class SnapshotFile:
    """An open snapshot file, from which documents left on disk are read (from any thread).

    The descriptor stays open while anything refers to this object, so a snapshot replaced by
    compaction can still be read by an iteration that began before (the old file is unlinked
    but its inode lives until then). CPython closes it as soon as the last reference goes.
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def read(self, ref: int) -> bytes:
        """Return the document that `ref` (offset << REF_BITS | length) points at."""
        length = ref & REF_MASK
        try:
            data = os.pread(self._fd, length, ref >> REF_BITS)
        except OSError as exc:
            raise storage_error(exc, "reading a document from the snapshot") from exc
        if len(data) != length:
            raise CorruptStore("the snapshot file shrank under the open store")
        return data

    def __del__(self, _close: Callable[[int], None] = os.close) -> None:
        # os.close bound at definition: at interpreter exit the module's globals may be gone.
        try:
            _close(self._fd)
        except OSError:
            pass


def resolver(snapshot: SnapshotFile | None) -> Callable[[Doc], bytes]:
    """Return a function that turns a stored document (bytes or a reference) into its bytes."""
    if snapshot is None:
        return _as_is
    read = snapshot.read
    return lambda doc: doc if doc.__class__ is bytes else read(doc)  # type: ignore[arg-type]


def _as_is(doc: Doc) -> bytes:
    assert isinstance(doc, bytes)
    return doc


def _ref(offset: int, length: int) -> int | None:
    """Return a reference to a document of a snapshot, or None if it should stay in memory."""
    return (offset << REF_BITS | length) if ON_DISK_FROM <= length <= REF_MASK else None


def write_snapshot(
    path: Path,
    tables: Mapping[str, Mapping[str, Doc]],
    covers: int,
    resolve: Callable[[Doc], bytes] = _as_is,
) -> tuple[int, SnapshotFile, list[int | None]]:
    """Write every table atomically (temp file, fsync, rename, directory fsync).

    Return the size, the new file opened for reading, and for each document in the order of
    `tables` a reference to it in that file (None for those small enough to keep in memory).
    """
    tmp = path.with_name(path.name + ".tmp")
    header = {"doorstep_snapshot": FORMAT_VERSION, "covers": covers, "tables": sorted(tables)}
    head = json.dumps(header).encode() + b"\n"
    crc, size, count, chunk, refs = 0, 0, 0, [head], []
    pos = len(head)
    reader = -1
    try:
        # Owner-only, like the journal: the store holds consented personal data.
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
            for name, docs in tables.items():
                # JSON never holds a raw tab, so the first tab splits a line undecoded.
                prefix = b'["' + json.dumps(name)[1:-1].encode() + b'","'
                for doc_id, stored in docs.items():
                    doc = resolve(stored)
                    line = prefix + doc_id.encode() + b'"]\t' + doc + b"\n"
                    refs.append(_ref(pos + len(line) - len(doc) - 1, len(doc)))
                    pos += len(line)
                    count += 1
                    chunk.append(line)
                    if len(chunk) >= DECODE_BATCH:
                        data = b"".join(chunk)
                        out.write(data)
                        crc, size, chunk = zlib.crc32(data, crc), size + len(data), []
            data = b"".join(chunk)
            crc, size = zlib.crc32(data, crc), size + len(data)
            trailer = json.dumps({"end": True, "documents": count, "crc32": crc}).encode()
            out.write(data + trailer + b"\n")
            out.flush()
            os.fsync(out.fileno())
        reader = os.open(tmp, os.O_RDONLY)  # the same inode as the file renamed below
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except OSError as exc:
        if reader >= 0:
            os.close(reader)
        tmp.unlink(missing_ok=True)
        raise storage_error(exc, "compacting the store") from exc
    return size + len(trailer) + 1, SnapshotFile(reader), refs


def _apply_lines(tables: Tables, lines: list[bytes], pos: int) -> int:
    """Add document lines (without their newlines; the first starts at byte `pos`) to tables:
    small documents as bytes, big ones as references into the file; return the count."""
    cuts = [line.find(b"\t") for line in lines]
    if -1 in cuts:
        raise CorruptStore("a snapshot line has no document")
    heads = decode_payloads([line[:cut] for line, cut in zip(lines, cuts, strict=True)])
    name, table = None, {}
    for (head_name, doc_id), line, cut in zip(heads, lines, cuts, strict=True):
        if head_name != name:  # lines come table by table
            name, table = head_name, tables.setdefault(head_name, {})
        length = len(line) - cut - 1
        if ON_DISK_FROM <= length <= REF_MASK:
            table[doc_id] = (pos + cut + 1) << REF_BITS | length
        else:
            table[doc_id] = line[cut + 1 :]
        pos += len(line) + 1
    return len(lines)


def read_snapshot(path: Path) -> tuple[Tables, int, int, SnapshotFile | None]:
    """Load a snapshot: return (tables, generation covered, size, the file for big documents).

    Documents of ON_DISK_FROM bytes or more stay in the file: the tables hold where they are.
    The file is read in blocks; document lines start with "[", the trailer with "{".
    """
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        return {}, 0, 0, None
    with handle:
        header_line = handle.readline()
        try:
            header = json.loads(header_line)
            covers = int(header["covers"])
            tables: Tables = {name: {} for name in header["tables"]}
        except (ValueError, KeyError, TypeError) as exc:
            raise CorruptStore(f"{path} has an unreadable header") from exc
        crc, pos, count = zlib.crc32(header_line), len(header_line), 0
        pending, trailer = b"", b""
        while not trailer:
            block = handle.read(READ_BLOCK)
            data = pending + block
            cut = data.rfind(b"\n") + 1 if block else len(data)
            whole, pending = data[:cut], data[cut:]
            if whole.startswith(b"{"):
                docs, trailer = b"", whole
            else:
                at = whole.find(b"\n{") + 1
                docs, trailer = (whole[:at], whole[at:]) if at else (whole, b"")
            crc = zlib.crc32(docs, crc)
            count += _apply_lines(tables, docs.split(b"\n")[:-1], pos) if docs else 0
            pos += len(docs)
            if not block:
                break
        size = pos + len(trailer) + len(pending)
        extra = pending + handle.read(1)
        snapshot = SnapshotFile(os.dup(handle.fileno()))
    try:
        lines = trailer.split(b"\n")
        end = json.loads(lines[0])
        intact = (
            end["crc32"] == crc and end["documents"] == count and not extra and lines[1:] == [b""]
        )
    except (ValueError, KeyError, TypeError):
        intact = False
    if not intact:
        raise CorruptStore(f"{path} is damaged (checksum or length mismatch)")
    return tables, covers, size, snapshot
