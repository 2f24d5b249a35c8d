"""Give TinyDB tables that keep documents as encoded JSON and journal only what a write changes.

TinyDB calls its table class for every read and write; these tables hand the storage
(`DurableStorage` in `collector.storage.durable`) a list of operations on encoded documents,
which it makes durable as one journal frame. See docs/collector-storage.md for the design.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from functools import wraps
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from tinydb import TinyDB
from tinydb.table import Document, Table

from collector.storage.journal import DECODE_BATCH, Doc, Tables, decode_payloads

if TYPE_CHECKING:  # storage.py imports this module to build its database
    from collector.storage.durable import DurableStorage

__all__ = ["DurableDB", "DurableTable", "Op", "Tables", "dumps"]

# In memory (Tables): table name -> document id (str, as TinyDB's JSON files have it) -> the
# encoded JSON, or for a big document of the snapshot a reference to it there (see journal.py).
# ("put", table, id, encoded doc) | ("del", table, id) | ("clear", table) | ("drop", table)
# | ("reset", {table: {id: encoded doc}})
Op = tuple[Any, ...]
P = ParamSpec("P")
R = TypeVar("R")


def dumps(value: Any) -> bytes:
    """Encode compactly as UTF-8 JSON (never with raw newlines or tabs, so lines stay lines)."""
    # surrogatepass: hostile input may hold a lone surrogate; json.loads(bytes) reverses it.
    return _ENCODER.encode(value).encode("utf-8", "surrogatepass")


# One encoder for every write: json.dumps with options builds a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


class _PendingTable(MutableMapping[int, Any]):
    """A change-recording view of one table for TinyDB's updater callbacks.

    Reads decode from the live table (a fresh copy the updater may mutate), and nothing
    touches the live table: the recorded changes become one journal frame.
    """

    def __init__(self, base: Mapping[str, Doc], resolve: Callable[[Doc], bytes]) -> None:
        self._base = base
        self._resolve = resolve
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
        doc = json.loads(self._resolve(self._base[str(doc_id)]))
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
            encoded = dumps(doc)
            if not existed or self._resolve(self._base[key]) != encoded:
                ops.append(("put", name, key, encoded))
        return ops


class _DecodedView(Mapping[str, Any]):
    """The live table as TinyDB expects it (id -> document), decoding on each access."""

    def __init__(self, raw: Mapping[str, Doc], resolve: Callable[[Doc], bytes]) -> None:
        self._raw = raw
        self._resolve = resolve

    def __getitem__(self, key: str) -> Any:
        return json.loads(self._resolve(self._raw[key]))

    def __contains__(self, key: object) -> bool:
        return key in self._raw

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def items(self) -> Iterator[tuple[str, Any]]:  # type: ignore[override]
        """Yield (id, decoded document) pairs without building a list."""
        loads, resolve = json.loads, self._resolve
        return ((key, loads(resolve(doc))) for key, doc in self._raw.items())


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

    def _raw(self) -> Mapping[str, Doc]:
        """Return the live table of stored documents (call with the lock held)."""
        return self._storage.read().get(self.name, {})

    def _read_table(self) -> _DecodedView:  # type: ignore[override]
        return _DecodedView(self._raw(), self._storage.resolver())

    def _update_table(self, updater: Callable[[dict[int, Any]], None]) -> None:
        with self._storage.lock:
            tables = self._storage.read()
            pending = _PendingTable(tables.get(self.name, {}), self._storage.resolver())
            updater(pending)  # type: ignore[arg-type]  # a dict-like view is all it needs
            ops = pending.ops(self.name)
            if not ops and self.name not in tables:
                ops = [("clear", self.name)]  # stock TinyDB creates the table on any write
            if ops:
                self._storage.commit(ops)
            self.clear_cache()

    def _get_next_id(self) -> int:
        """Return the id for a new document (the storage knows each table's largest id)."""
        if self._next_id is None:
            self._next_id = self._storage.max_id(self.name) + 1
        next_id: int = self._next_id
        self._next_id = next_id + 1
        return next_id

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
            raw, resolve = self._raw(), self._storage.resolver()
            found = [key for key in raw if key in wanted] if wanted else []
            return [self.document_class(json.loads(resolve(raw[k])), int(k)) for k in found]
        return super().get(cond, doc_id, doc_ids)

    def __iter__(self) -> Iterator[Document]:
        """Iterate over the table as it was when iteration began, decoding as it goes."""
        for doc_id, doc in self.rows():
            yield self.document_class(doc, doc_id)

    def rows(self) -> Iterator[tuple[int, Any]]:
        """Yield (document id, document) pairs like iteration, without Document copies.

        For a pass over a big table (the domain store's index at open). Writers replace
        stored documents, never change them: the list taken under the lock is a snapshot,
        and the resolver taken with it keeps the snapshot file they refer to readable.
        Decoding a batch in one json.loads is faster, and its dicts share their keys.
        """
        with self._storage.lock:
            items = list(self._raw().items())
            resolve = self._storage.resolver()
        for start in range(0, len(items), DECODE_BATCH):
            batch = items[start : start + DECODE_BATCH]
            docs = decode_payloads([resolve(doc) for _, doc in batch])
            for (key, _), doc in zip(batch, docs, strict=True):
                yield int(key), doc

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

    @contextlib.contextmanager
    def atomic(self) -> Iterator[None]:
        """Write every change made inside the block as one journal frame (see the storage)."""
        try:
            with self._storage.atomic():
                yield
        except BaseException:
            for table in self._tables.values():
                table.clear_cache()  # a search inside the block may have cached undone rows
            raise
