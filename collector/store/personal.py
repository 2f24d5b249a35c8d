"""Consented contact details: sealed, kept apart from the answers, gone once the server has them.

Each detail is sealed to the area's group contact key (``collector.sealing``) before it is
written: the device never keeps a resident's contact details in the clear, and cannot open
them again. A device with no key for the group keeps none (:data:`NO_KEY`).
"""

from __future__ import annotations

import threading
from collections.abc import Container, Iterable, Mapping
from typing import Any

from tinydb import TinyDB

from collector.sealing import ContactKey, is_sealed, seal_personal
from collector.store.errors import InvalidResponse

NO_KEY = (
    "this device has no contact key for the area's group yet, so it cannot keep contact "
    "details: sync once the group's coordinator has made one"
)


class PersonalDetails:
    """The ``personal`` table, indexed by response id (one store's, under its lock)."""

    def __init__(self, db: TinyDB, lock: threading.RLock, saved: Container[str]) -> None:
        self._db = db
        self._lock = lock
        self._table = db.table("personal")
        self._ids: dict[str, int] = {}
        self._unfolded = False  # details deleted whose inserts the journal still holds
        orphans = []
        for doc_id, doc in self._table.rows():  # decoded a batch at a time, not all at once
            # Personal data an older collector wrote just before a crash, for a response never
            # acknowledged (a save is one journal frame now, so none is written any more).
            if doc["id"] not in saved:
                orphans.append(doc_id)
            else:
                self._ids[doc["id"]] = doc_id
        if orphans:
            self._table.remove(doc_ids=orphans)

    @staticmethod
    def seal(
        response_id: str, key: ContactKey | None, details: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Return the details sealed for ``key`` (empty answers left out; sealed ones kept).

        Raises :class:`InvalidResponse` when a detail is in the clear and there is no key.
        """
        given = {f: v for f, v in details.items() if v is not None and v != ""}
        clear = [f for f, v in given.items() if not is_sealed(v)]
        if clear and key is None:
            raise InvalidResponse({f"personal.{f}": [NO_KEY] for f in clear})
        return seal_personal(given, key, response_id) if key is not None else given

    def add(self, response_id: str, details: Mapping[str, Any]) -> None:
        """Store one response's details durably."""
        with self._lock:
            self._ids[response_id] = self._table.insert({"id": response_id, "personal": details})

    def unsaved(self, response_id: str) -> None:
        """Forget the id of details whose save was undone (the storage kept nothing of it)."""
        with self._lock:
            self._ids.pop(response_id, None)

    def get(self, response_id: str) -> dict[str, Any] | None:
        """Return one response's details, or None."""
        with self._lock:
            pid = self._ids.get(response_id)
            return None if pid is None else dict(self._table.get(doc_id=pid)["personal"])

    def forget(self, ids: Iterable[str], *, fold: bool = True) -> None:
        """Delete these responses' details; with ``fold``, from the files on disk at once."""
        with self._lock:
            doomed = [self._ids.pop(i) for i in ids if i in self._ids]
            if doomed:
                self._table.remove(doc_ids=doomed)
                self._unfolded = True
            if fold:
                self.fold()

    def fold(self) -> None:
        """Fold the journal into a new snapshot if details were deleted since the last fold.

        Until then the journal still holds each deleted detail's insert, which a lost device
        would carry. A fold rewrites the whole store (0.2-0.6 s at 50k responses), so a sync
        folds once at the end of its push, not after every batch.
        """
        with self._lock:
            if self._unfolded:
                self._db.compact()
                self._unfolded = False
