"""Give TinyDB a crash-safe, constant-cost storage: journal each change, fsync, then answer.

Stock TinyDB hands its Storage the whole database on every write, so this works one level up,
at the table (`TinyDB.table_class`): each write becomes one checksummed journal frame holding
only the documents it changed. Documents are held in memory as their encoded JSON (half the
memory of Python dicts) and decoded on read. See docs/collector-storage.md for the design.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document, Table

from .journal import (
    CorruptStore,
    Journal,
    StorageError,
    StorageFull,
    StoreLocked,
    fsync_dir,
    read_snapshot,
    storage_error,
    write_snapshot,
)
from .lock import DataDirLock

__all__ = [
    "CorruptStore",
    "DurableDB",
    "DurableStorage",
    "DurableTable",
    "StorageError",
    "StorageFull",
    "StoreLocked",
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

# In memory: table name -> document id (str, as TinyDB's JSON files have it) -> encoded JSON.
Tables = dict[str, dict[str, bytes]]
# ("put", table, id, encoded doc) | ("del", table, id) | ("clear", table) | ("drop", table)
# | ("reset", {table: {id: encoded doc}})
Op = tuple[Any, ...]
P = ParamSpec("P")
R = TypeVar("R")


def journal_file(generation: int) -> str:
    """Return the file name of the journal of a generation."""
    return f"journal.{generation}.log"


def _dumps(value: Any) -> bytes:
    """Encode compactly as UTF-8 JSON (never with raw newlines or tabs, so lines stay lines)."""
    # surrogatepass: hostile input may hold a lone surrogate; json.loads(bytes) reverses it.
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8", "surrogatepass")


def _apply(tables: Tables, ops: list[Op]) -> None:
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
            parts += [_dumps(list(op[:3])), op[3]]
        elif op[0] == "reset":  # rare (drop_tables): decoding everything here is fine
            tables = {n: {k: json.loads(d) for k, d in docs.items()} for n, docs in op[1].items()}
            parts += [b'["reset"]', _dumps(tables)]
        else:
            parts.append(_dumps(list(op)))
    return b"\t".join(parts)


def _decode_ops(payload: bytes) -> list[Op]:
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
                encoded = {n: {k: _dumps(d) for k, d in docs.items()} for n, docs in tables.items()}
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
        self._tables, covers, self._snapshot_size = read_snapshot(self.path / SNAPSHOT_FILE)
        self.dropped_bytes = 0
        self._closed = False
        self._compactor: threading.Thread | None = None
        self._compact_backoff = 0
        self._journal: Journal | None = None
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
                lambda p: _apply(self._tables, _decode_ops(p)),
            )
            if self._journal is not None:
                self._journal.close()  # only the newest journal takes appends
            self._journal = opened[0] if opened else None
            self.dropped_bytes += opened[1] if opened else 0
        if self._journal is None:
            self._journal = Journal.create(
                self.path / journal_file(live[-1] if live else covers + 1),
                live[-1] if live else covers + 1,
            )

    def read(self) -> Tables:
        """Return the live tables of encoded documents (hold the lock; never mutate them)."""
        return self._tables

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        """Replace the whole database (only TinyDB's rarely used generic paths come here)."""
        encoded = {n: {str(k): _dumps(d) for k, d in docs.items()} for n, docs in data.items()}
        self.commit([("reset", encoded)])

    def commit(self, ops: list[Op]) -> None:
        """Make the operations durable, then apply them; compact if the journal is big."""
        payload = _encode_ops(ops)
        with self.lock:
            self._check_open()
            assert self._journal is not None
            self._journal.append(payload)
            # Memory holds the very bytes just written, so it equals what a reopen would see.
            _apply(self._tables, ops)
            if self._journal.size > self._compact_threshold() and not self.compacting:
                try:
                    self._start_compaction(background=True)
                except StorageError as exc:
                    # This write is durable already; try again once the journal has grown.
                    self._compact_backoff += self.compact_min_bytes
                    log.warning("automatic compaction failed, will retry later: %s", exc)

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
        covers = self._journal.generation
        journal = Journal.create(self.path / journal_file(covers + 1), covers + 1)
        self._journal.close()
        self._journal = journal
        frozen = {name: dict(docs) for name, docs in self._tables.items()}
        if not background:
            self._write_snapshot(frozen, covers)
            return
        self._compactor = threading.Thread(
            target=self._background_snapshot, args=(frozen, covers), daemon=True
        )
        self._compactor.start()

    def _write_snapshot(self, frozen: Tables, covers: int) -> None:
        """Write the snapshot, then delete the journals it folds in (never takes the lock)."""
        self._snapshot_size = write_snapshot(self.path / SNAPSHOT_FILE, frozen, covers)
        self._compact_backoff = 0
        try:
            for path in self.path.iterdir():
                match = JOURNAL_NAME.fullmatch(path.name)
                if match and int(match.group(1)) <= covers:
                    path.unlink()
            fsync_dir(self.path)
        except OSError as exc:  # harmless: open deletes journals the snapshot covers
            log.warning("could not delete journals folded into the snapshot: %s", exc)

    def _background_snapshot(self, frozen: Tables, covers: int) -> None:
        """Run _write_snapshot in the compaction thread; a failure waits for the next one."""
        try:
            self._write_snapshot(frozen, covers)
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
            self._writer.release()


class _PendingTable(MutableMapping[int, Any]):
    """A change-recording view of one table for TinyDB's updater callbacks.

    Reads decode from the live table (a fresh copy the updater may mutate), and nothing
    touches the live table: the recorded changes become one journal frame.
    """

    def __init__(self, base: Mapping[str, bytes]) -> None:
        self._base = base
        self._changed: dict[int, Any] = {}
        self._cleared = False

    def __getitem__(self, doc_id: int) -> Any:
        if doc_id in self._changed:
            doc = self._changed[doc_id]
            if doc is None:
                raise KeyError(doc_id)
            return doc
        if self._cleared:
            raise KeyError(doc_id)
        doc = json.loads(self._base[str(doc_id)])
        self._changed[doc_id] = doc
        return doc

    def __setitem__(self, doc_id: int, doc: Any) -> None:
        self._changed[doc_id] = doc

    def __delitem__(self, doc_id: int) -> None:
        if doc_id not in self:
            raise KeyError(doc_id)
        self._changed[doc_id] = None

    def __contains__(self, doc_id: object) -> bool:
        if doc_id in self._changed:
            return self._changed[doc_id] is not None
        return not self._cleared and str(doc_id) in self._base

    def __iter__(self) -> Iterator[int]:
        if not self._cleared:
            for key in self._base:
                doc_id = int(key)
                if self._changed.get(doc_id, True) is not None:
                    yield doc_id
        for doc_id, doc in list(self._changed.items()):
            if doc is not None and (self._cleared or str(doc_id) not in self._base):
                yield doc_id

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def clear(self) -> None:
        self._cleared = True
        self._changed.clear()

    def ops(self, name: str) -> list[Op]:
        """Return the operations that turn the live table into this view (encoding here)."""
        ops: list[Op] = [("clear", name)] if self._cleared else []
        for doc_id, doc in self._changed.items():
            key = str(doc_id)
            existed = not self._cleared and key in self._base
            if doc is None:
                if existed:
                    ops.append(("del", name, key))
                continue
            encoded = _dumps(doc)
            if not existed or self._base[key] != encoded:
                ops.append(("put", name, key, encoded))
        return ops


class _DecodedView(Mapping[str, Any]):
    """The live table as TinyDB expects it (id -> document), decoding on each access."""

    def __init__(self, raw: Mapping[str, bytes]) -> None:
        self._raw = raw

    def __getitem__(self, key: str) -> Any:
        return json.loads(self._raw[key])

    def __contains__(self, key: object) -> bool:
        return key in self._raw

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def items(self) -> Iterator[tuple[str, Any]]:  # type: ignore[override]
        """Yield (id, decoded document) pairs without building a list."""
        loads = json.loads
        return ((key, loads(doc)) for key, doc in self._raw.items())


def _locked(method: Callable[P, R]) -> Callable[P, R]:
    """Run a table method under the store's lock (the web app calls from many threads)."""

    @wraps(method)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        table = args[0]
        assert isinstance(table, DurableTable)
        with table.storage.lock:
            return method(*args, **kwargs)

    return run


class DurableTable(Table):
    """A TinyDB table whose writes journal only the documents they change."""

    _storage: DurableStorage

    @property
    def storage(self) -> DurableStorage:
        """Return the durable storage behind this table."""
        return self._storage

    def _raw(self) -> Mapping[str, bytes]:
        """Return the live table of encoded documents."""
        return self._storage.read().get(self.name, {})

    def _read_table(self) -> _DecodedView:  # type: ignore[override]
        return _DecodedView(self._raw())

    def _update_table(self, updater: Callable[[dict[int, Any]], None]) -> None:
        with self._storage.lock:
            tables = self._storage.read()
            pending = _PendingTable(tables.get(self.name, {}))
            updater(pending)  # type: ignore[arg-type]  # a dict-like view is all it needs
            ops = pending.ops(self.name)
            if not ops and self.name not in tables:
                ops = [("clear", self.name)]  # stock TinyDB creates the table on any write
            if ops:
                self._storage.commit(ops)
            self.clear_cache()

    def _matching_ids(self, cond: Any) -> list[int]:
        """Return the ids of live documents matching cond."""
        return [int(key) for key, doc in self._read_table().items() if cond(doc)]

    @_locked
    def update(  # type: ignore[override]
        self,
        fields: Mapping[str, Any] | Callable[[MutableMapping[str, Any]], None],
        cond: Any = None,
        doc_ids: Any = None,
    ) -> list[int]:
        """Update matching documents, copying only those that match."""
        if doc_ids is None and cond is not None:
            return super().update(fields, doc_ids=self._matching_ids(cond))
        return super().update(fields, cond, doc_ids)

    @_locked
    def remove(self, cond: Any = None, doc_ids: Any = None) -> list[int]:  # type: ignore[override]
        """Remove matching documents, copying none of them."""
        if doc_ids is None and cond is not None:
            return super().remove(doc_ids=self._matching_ids(cond))
        return super().remove(cond, doc_ids)

    @_locked
    def get(  # type: ignore[override]
        self, cond: Any = None, doc_id: Any = None, doc_ids: Any = None
    ) -> Any:
        """Get one document by id or condition, or a list by ids (decoding only those)."""
        if doc_id is None and doc_ids is not None:
            wanted = {str(i) for i in doc_ids}
            raw = self._raw()
            found = [key for key in raw if key in wanted] if wanted else []
            return [self.document_class(json.loads(raw[k]), int(k)) for k in found]
        return super().get(cond, doc_id, doc_ids)

    def __iter__(self) -> Iterator[Document]:
        """Iterate over the table as it was when iteration began, decoding as it goes."""
        # Writers replace encoded documents, never change them: a list of them is a snapshot.
        with self._storage.lock:
            items = list(self._raw().items())
        for key, doc in items:
            yield self.document_class(json.loads(doc), int(key))

    def all(self) -> list[Document]:
        """Return every document."""
        return list(iter(self))

    insert = _locked(Table.insert)
    insert_multiple = _locked(Table.insert_multiple)
    update_multiple = _locked(Table.update_multiple)
    upsert = _locked(Table.upsert)
    truncate = _locked(Table.truncate)
    search = _locked(Table.search)
    contains = _locked(Table.contains)
    count = _locked(Table.count)
    __len__ = _locked(Table.__len__)


class DurableDB(TinyDB):
    """A TinyDB whose every write is on disk (written and fsynced) when the call returns."""

    table_class = DurableTable
    _storage: DurableStorage

    @property
    def storage(self) -> DurableStorage:
        """Return the durable storage."""
        return self._storage

    def tables(self) -> set[str]:
        """Return the names of all tables."""
        with self._storage.lock:
            return set(self._storage.read())

    def drop_table(self, name: str) -> None:
        """Drop one table (durably)."""
        with self._storage.lock:
            self._tables.pop(name, None)
            if name in self._storage.read():
                self._storage.commit([("drop", name)])

    def drop_tables(self) -> None:
        """Drop every table (durably)."""
        with self._storage.lock:
            self._storage.commit([("reset", {})])
            self._tables.clear()

    def compact(self) -> None:
        """Fold the journal into a fresh snapshot now."""
        self._storage.compact()


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
