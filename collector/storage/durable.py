"""Give TinyDB a crash-safe, constant-cost storage: journal each change, fsync, then answer.

Stock TinyDB hands its Storage the whole database on every write, so this works one level up,
at the table (`TinyDB.table_class`, in `collector.storage.table`): each write becomes one
checksummed journal frame holding only the documents it changed. Documents are held in memory
as their encoded JSON (half the memory of Python dicts) and decoded on read. See
docs/collector-storage.md for the design.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from collector.storage.journal import (
    CorruptStore,
    Doc,
    Journal,
    SnapshotFile,
    StorageError,
    StorageFull,
    StoreLocked,
    fsync_dir,
    read_snapshot,
    resolver,
    storage_error,
    write_snapshot,
)
from collector.storage.lock import DataDirLock
from collector.storage.table import DurableDB, DurableTable, Op, Tables, dumps

__all__ = [
    "CorruptStore",
    "DurableDB",
    "DurableStorage",
    "DurableTable",
    "StorageError",
    "StorageFull",
    "StoreLocked",
    "apply_ops",
    "decode_ops",
    "journal_file",
    "open_database",
]

log = logging.getLogger(__name__)

SNAPSHOT_FILE = "snapshot.jsonl"
WRITER_LOCK_FILE = "writer.lock"
JOURNAL_NAME = re.compile(r"journal\.([1-9][0-9]*)\.log")
# Compact when the journal passes both of these: a floor, and a share of the snapshot's size,
# so that compaction work per write stays constant as the store grows.
COMPACT_MIN_BYTES = 4 * 1024 * 1024
COMPACT_RATIO = 0.5


def journal_file(generation: int) -> str:
    """Return the file name of the journal of a generation."""
    return f"journal.{generation}.log"


_MISSING = object()


def _undo_entry(tables: Tables, op: Op) -> tuple[Any, ...]:
    """Return what restores the in-memory tables to before `op` (for an atomic block)."""
    kind = op[0]
    if kind == "put":
        return ("doc", op[1], op[2], tables.get(op[1], {}).get(op[2], _MISSING), op[1] in tables)
    if kind == "del":  # a copy keeps the table's order (blocks rarely delete)
        table = tables.get(op[1])
        return ("table", op[1], _MISSING if table is None else dict(table))
    if kind in ("clear", "drop"):
        return ("table", op[1], tables.get(op[1], _MISSING))
    return ("all", dict(tables))


def _undo(tables: Tables, undo: list[tuple[Any, ...]]) -> None:
    """Undo recorded changes, newest first."""
    for entry in reversed(undo):
        if entry[0] == "doc":
            _, name, key, doc, had_table = entry
            if not had_table:
                tables.pop(name, None)
            elif doc is _MISSING:
                tables[name].pop(key, None)
            else:
                tables.setdefault(name, {})[key] = doc
        elif entry[0] == "table":
            if entry[2] is _MISSING:
                tables.pop(entry[1], None)
            else:
                tables[entry[1]] = entry[2]
        else:
            tables.clear()
            tables.update(entry[1])


def apply_ops(tables: Tables, ops: list[Op]) -> None:
    """Apply operations (documents already encoded) to the in-memory tables."""
    for op in ops:
        kind = op[0]
        if kind == "put":
            tables.setdefault(op[1], {})[op[2]] = op[3]
        elif kind == "del":
            tables.get(op[1], {}).pop(op[2], None)
        elif kind == "clear":
            tables[op[1]] = {}
        elif kind == "drop":
            tables.pop(op[1], None)
        elif kind == "reset":
            tables.clear()
            tables.update(op[1])
        else:
            raise CorruptStore(f"unknown journal operation {kind!r}")


def _encode_ops(ops: list[Op]) -> bytes:
    """Return a journal payload: each operation's JSON head, then its document, tab-separated.

    JSON never holds a raw tab, so replay splits on tabs and keeps documents encoded.
    """
    parts = []
    for op in ops:
        if op[0] == "put":
            parts += [dumps(list(op[:3])), op[3]]
        elif op[0] == "reset":  # rare (drop_tables): decoding everything here is fine
            tables = {n: {k: json.loads(d) for k, d in docs.items()} for n, docs in op[1].items()}
            parts += [b'["reset"]', dumps(tables)]
        else:
            parts.append(dumps(list(op)))
    return b"\t".join(parts)


def decode_ops(payload: bytes) -> list[Op]:
    """Parse a journal payload back into operations on encoded documents."""
    tokens = payload.split(b"\t")
    ops: list[Op] = []
    at = 0
    try:
        while at < len(tokens):
            head = json.loads(tokens[at])
            if head[0] == "put":
                ops.append(("put", head[1], head[2], tokens[at + 1]))
                at += 2
            elif head[0] == "reset":
                tables = json.loads(tokens[at + 1])
                encoded = {n: {k: dumps(d) for k, d in docs.items()} for n, docs in tables.items()}
                ops.append(("reset", encoded))
                at += 2
            else:
                ops.append(tuple(head))
                at += 1
    except (ValueError, IndexError) as exc:
        raise CorruptStore(f"a checksummed journal record is malformed: {exc}") from exc
    return ops


class DurableStorage(Storage):
    """Hold the tables in memory; persist each change as a journal frame over a snapshot."""

    def __init__(
        self,
        path: Path | str,
        compact_min_bytes: int = COMPACT_MIN_BYTES,
        compact_ratio: float = COMPACT_RATIO,
    ) -> None:
        self.path = Path(path)
        self.lock = threading.RLock()
        self.compact_min_bytes = compact_min_bytes
        self.compact_ratio = compact_ratio
        if self.path.exists() and not self.path.is_dir():
            raise StorageError(f"{self.path} is a file, not a store directory")
        created = not self.path.exists()
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            if created:
                fsync_dir(self.path.parent)
        except OSError as exc:
            raise storage_error(exc, f"creating the store directory {self.path}") from exc
        self._writer = DataDirLock(self.path, WRITER_LOCK_FILE).acquire()
        try:
            self._load()
        except OSError as exc:
            self._writer.release()
            raise storage_error(exc, f"opening the store in {self.path}") from exc
        except BaseException:
            self._writer.release()
            raise

    def _load(self) -> None:
        """Read the snapshot, replay the journals after it, and drop a torn tail."""
        for leftover in self.path.glob("*.tmp"):
            leftover.unlink()
        self._tables, covers, self._snapshot_size, self._snapshot = read_snapshot(
            self.path / SNAPSHOT_FILE
        )
        # A finished background snapshot whose references replace in-memory documents at the
        # next write (under the lock): (the frozen tables it holds, its file, references).
        self._swap: tuple[Tables, SnapshotFile, list[int | None]] | None = None
        self._swap_lock = threading.Lock()  # hands _swap from the compaction thread over
        self.dropped_bytes = 0
        self._closed = False
        self._compactor: threading.Thread | None = None
        self._compact_backoff = 0
        self._journal: Journal | None = None
        self._pending: list[Op] | None = None  # the writes of an open atomic block
        self._undo_log: list[tuple[Any, ...]] = []
        generations = sorted(
            int(m.group(1)) for p in self.path.iterdir() if (m := JOURNAL_NAME.fullmatch(p.name))
        )
        for generation in generations:
            if generation <= covers:  # folded into the snapshot; a kill kept it from deletion
                (self.path / journal_file(generation)).unlink()
        live = [g for g in generations if g > covers]
        if live != list(range(covers + 1, covers + 1 + len(live))):
            raise CorruptStore(f"journals {live} do not follow snapshot {covers}: one is missing")
        for generation in live:
            opened = Journal.open(
                self.path / journal_file(generation),
                generation - 1,
                lambda p: apply_ops(self._tables, decode_ops(p)),
            )
            if self._journal is not None:
                self._journal.close()  # only the newest journal takes appends
            self._journal = opened[0] if opened else None
            self.dropped_bytes += opened[1] if opened else 0
        # The next id of each table, found here once rather than by the first insert.
        self._max_ids: dict[str, int | None] = {
            name: max(map(int, docs), default=0) for name, docs in self._tables.items()
        }
        if self._journal is None:
            self._journal = Journal.create(
                self.path / journal_file(live[-1] if live else covers + 1),
                live[-1] if live else covers + 1,
            )

    def read(self) -> Tables:
        """Return the live tables of stored documents (hold the lock; never mutate them).

        A document is its encoded JSON, or a reference into the snapshot: pass it to
        :meth:`resolver`'s function for its bytes.
        """
        return self._tables

    def resolver(self) -> Callable[[Doc], bytes]:
        """Return what turns a stored document into its bytes (take it with the lock held).

        It stays valid after the lock is released, even across a compaction.
        """
        return resolver(self._snapshot)

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        """Replace the whole database (only TinyDB's rarely used generic paths come here)."""
        encoded = {n: {str(k): dumps(d) for k, d in docs.items()} for n, docs in data.items()}
        self.commit([("reset", encoded)])

    def commit(self, ops: list[Op]) -> None:
        """Make the operations durable, then apply them; compact if the journal is big.

        Inside :meth:`atomic` the operations are applied in memory at once (later writes of
        the block see them) and written with the rest of the block as one frame at its end.
        """
        with self.lock:
            self._check_open()
            if self._pending is not None:
                for op in ops:
                    self._undo_log.append(_undo_entry(self._tables, op))
                    apply_ops(self._tables, [op])
                self._pending.extend(ops)
                self._track_ids(ops)  # an undone block may leave a max too high: harmless
                return
            self._take_swap()
            self._write(ops)
            # Memory holds the very bytes just written, so it equals what a reopen would see.
            apply_ops(self._tables, ops)
            self._track_ids(ops)
            self._maybe_compact()

    def _track_ids(self, ops: list[Op]) -> None:
        """Keep each table's largest document id current (None: find it when asked)."""
        known = self._max_ids
        for op in ops:
            if op[0] == "put":
                top = known.get(op[1], 0)
                if top is not None:
                    known[op[1]] = max(top, int(op[2]))
            elif op[0] == "del":
                if known.get(op[1]) == int(op[2]):
                    known[op[1]] = None
            elif op[0] == "reset":
                known.clear()
            else:
                known.pop(op[1], None)

    def max_id(self, name: str) -> int:
        """Return the largest document id of a table (0 if empty), without a scan as a rule."""
        with self.lock:
            top = self._max_ids.get(name, 0)
            if top is None:
                top = self._max_ids[name] = max(map(int, self._tables.get(name, ())), default=0)
            return top

    def _write(self, ops: list[Op]) -> None:
        """Append the operations to the journal as one frame (fsynced when it returns)."""
        assert self._journal is not None
        self._journal.append(_encode_ops(ops))

    def _maybe_compact(self) -> None:
        """Start a background compaction if the journal has passed its threshold."""
        assert self._journal is not None
        if self._journal.size > self._compact_threshold() and not self.compacting:
            try:
                self._start_compaction(background=True)
            except StorageError as exc:
                # This write is durable already; try again once the journal has grown.
                self._compact_backoff += self.compact_min_bytes
                log.warning("automatic compaction failed, will retry later: %s", exc)

    @contextlib.contextmanager
    def atomic(self) -> Iterator[None]:
        """Make every write inside the block one journal frame: all of it is kept, or none.

        The block holds the store's lock, so other threads never see its writes half-done.
        If the block raises, or the frame cannot be written (a full disk), memory is put back
        as it was and nothing reaches the disk. A nested block joins the outer one.
        """
        with self.lock:
            if self._pending is not None:
                yield
                return
            self._check_open()
            self._take_swap()  # never inside a block: its undo log may hold references
            self._pending, self._undo_log = [], []
            try:
                yield
                if self._pending:
                    self._write(self._pending)
            except BaseException:
                _undo(self._tables, self._undo_log)
                raise
            finally:
                written, self._pending, self._undo_log = bool(self._pending), None, []
            if written:
                self._maybe_compact()

    def _check_open(self) -> None:
        """Refuse to work on a closed store."""
        if self._closed:
            raise StorageError("the store is closed")

    def _compact_threshold(self) -> float:
        """Return the journal size past which compaction runs."""
        limit = max(self.compact_min_bytes, self._snapshot_size * self.compact_ratio)
        return limit + self._compact_backoff

    @property
    def compacting(self) -> bool:
        """Return whether a background compaction is running."""
        return self._compactor is not None and self._compactor.is_alive()

    def _start_compaction(self, background: bool) -> None:
        """Start a new journal, then snapshot everything before it (in a thread if asked).

        Called under the lock. Writes go on to the new journal at once; the snapshot is made
        from a frozen copy of the tables (documents are immutable bytes, so a shallow copy).
        """
        assert self._journal is not None
        self._take_swap()  # every reference frozen below must point into one snapshot file
        covers = self._journal.generation
        journal = Journal.create(self.path / journal_file(covers + 1), covers + 1)
        self._journal.close()
        self._journal = journal
        frozen = {name: dict(docs) for name, docs in self._tables.items()}
        resolve = self.resolver()
        if not background:
            self._write_snapshot(frozen, covers, resolve)
            self._take_swap()
            return
        self._compactor = threading.Thread(
            target=self._background_snapshot, args=(frozen, covers, resolve), daemon=True
        )
        self._compactor.start()

    def _take_swap(self) -> None:
        """Point documents unchanged since a finished snapshot at it (called under the lock).

        Big documents then live in the new file only (those written since the last snapshot
        leave memory), and the old file closes once no reader holds it.
        """
        with self._swap_lock:
            swap, self._swap = self._swap, None
        if swap is None:
            return
        frozen, snapshot, refs = swap
        at = iter(refs)
        for name, docs in frozen.items():
            live = self._tables.get(name)
            for key, doc in docs.items():
                ref = next(at)
                if ref is not None and live is not None and live.get(key) is doc:
                    live[key] = ref
        self._snapshot = snapshot

    def _write_snapshot(self, frozen: Tables, covers: int, resolve: Callable[[Doc], bytes]) -> None:
        """Write the snapshot, then delete the journals it folds in (never takes the lock)."""
        self._snapshot_size, snapshot, refs = write_snapshot(
            self.path / SNAPSHOT_FILE, frozen, covers, resolve
        )
        with self._swap_lock:
            self._swap = (frozen, snapshot, refs)  # taken at the next write, under the lock
        self._compact_backoff = 0
        try:
            for path in self.path.iterdir():
                match = JOURNAL_NAME.fullmatch(path.name)
                if match and int(match.group(1)) <= covers:
                    path.unlink()
            fsync_dir(self.path)
        except OSError as exc:  # harmless: open deletes journals the snapshot covers
            log.warning("could not delete journals folded into the snapshot: %s", exc)

    def _background_snapshot(
        self, frozen: Tables, covers: int, resolve: Callable[[Doc], bytes]
    ) -> None:
        """Run _write_snapshot in the compaction thread; a failure waits for the next one."""
        try:
            self._write_snapshot(frozen, covers, resolve)
        except StorageError as exc:
            # Every change is still in the journals; the next compaction folds them all in.
            self._compact_backoff += self.compact_min_bytes
            log.warning("automatic compaction failed, will retry later: %s", exc)

    def wait_for_compaction(self) -> None:
        """Block until a background compaction (if any) has finished."""
        compactor = self._compactor
        if compactor is not None:
            compactor.join()

    def compact(self) -> None:
        """Fold every journal into a new snapshot now (waiting for a running compaction)."""
        with self.lock:
            self._check_open()
            if self._pending is not None:
                raise StorageError("cannot compact inside an atomic block")
            self.wait_for_compaction()
            self._start_compaction(background=False)

    @property
    def journal_size(self) -> int:
        """Return the size in bytes of the journal taking appends."""
        return self._journal.size if self._journal else 0

    def close(self) -> None:
        """Wait for compaction, close the journal and release the writer lock."""
        with self.lock:
            self.wait_for_compaction()
            if self._journal:
                self._journal.close()
            self._closed = True
            self._snapshot, self._swap = None, None  # the file closes with its last reader
            self._writer.release()


def open_database(
    path: Path | str,
    *,
    compact_min_bytes: int = COMPACT_MIN_BYTES,
    compact_ratio: float = COMPACT_RATIO,
) -> DurableDB:
    """Open (or create) the durable TinyDB kept in the directory `path`.

    Raises StoreLocked if another process has it open, CorruptStore if a snapshot is damaged,
    and StorageFull/StorageError when the disk refuses.
    """
    return DurableDB(
        Path(path),
        storage=DurableStorage,
        compact_min_bytes=compact_min_bytes,
        compact_ratio=compact_ratio,
    )
