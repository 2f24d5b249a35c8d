"""The collector's domain store: responses, drafts, the outbox, doors knocked and pulled data.

One :class:`ResponseStore` per data directory and process; it knows nothing of HTTP. Every
write is on disk before the method returns (the storage layer fsyncs), so a caller may say
"Saved" as soon as :meth:`ResponseStore.save_response` returns. Drafts live in
``drafts``, doors knocked in ``visits``, data pulled from the server in ``pulled`` and the
enrollment token in ``enrollment`` (modules of this package); the store's methods for them hand
over to those.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from tinydb import Query

from collector.storage.durable import DurableDB, open_database
from collector.store.drafts import Drafts
from collector.store.enrollment import Device, read_device, write_token
from collector.store.errors import (
    InvalidResponse,
    ResponseConflict,
    StoreError,
    UnknownDraft,
    UnknownSession,
)
from collector.store.personal import PersonalDetails
from collector.store.pulled import Pulled
from collector.store.visits import OUTCOMES, Visits
from survey_schemas import SurveyRegistry, check_response
from survey_schemas.response import Response

__all__ = [
    "OUTCOMES",
    "Device",
    "InvalidResponse",
    "ResponseConflict",
    "ResponseStore",
    "StoreError",
    "UnknownDraft",
    "UnknownSession",
]

STORE_DIR = "store"
UNSYNCED, SYNCED, REJECTED, CONFLICT = "unsynced", "synced", "rejected", "conflict"
_STATE_CODES = (UNSYNCED, SYNCED, REJECTED, CONFLICT)  # the index holds a state's position
_OUTBOX_SHIFT = 40  # packed entry: outbox id << 40 | row id << 2 | state code
_ROW_MASK = (1 << (_OUTBOX_SHIFT - 2)) - 1
_OPTIONAL = ("volunteer", "consent", "language", "street", "replaces")


def open_tables(path: Path) -> DurableDB:
    """Open the TinyDB that holds the store (the one place that picks the storage)."""
    return open_database(path)


def _local_now() -> datetime:
    return datetime.now().astimezone()


# json.dumps(value, sort_keys=True, separators=(",", ":")), without a new encoder per call.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


def _digest(wire: Mapping[str, Any], personal: Any) -> str:
    canonical = _CANONICAL.encode([wire, personal])
    return hashlib.sha256(canonical.encode()).hexdigest()


def to_wire(response: Response) -> dict[str, Any]:
    """Return the wire form of a checked response, without its personal data."""
    wire: dict[str, Any] = {
        "id": response.id,
        "survey_id": response.survey_id,
        "survey_version": response.survey_version,
        "area": response.area,
        "method": response.method,
        "collected_at": response.collected_at.isoformat(),
        "answers": dict(response.answers),
    }
    for key in _OPTIONAL:
        if getattr(response, key) is not None:
            wire[key] = getattr(response, key)
    return wire


class _Entry(NamedTuple):
    """One response in the in-memory index: where its rows are and its outbox state.

    The index keeps each as one int (`pack`), so a season's store (tens of thousands of
    responses) costs a few MB and no objects for the garbage collector to walk; the content
    hash stays in the outbox row, read only when the same id is saved again.
    """

    doc_id: int  # its row in `responses`
    outbox_id: int  # its row in `outbox`
    state: str  # one of _STATE_CODES

    def pack(self) -> int:
        """Return the entry as one int: outbox id, row id, state code."""
        return self.outbox_id << _OUTBOX_SHIFT | self.doc_id << 2 | _STATE_CODES.index(self.state)

    @classmethod
    def unpack(cls, packed: int) -> _Entry:
        """Return the entry an int from `pack` holds."""
        return cls(packed >> 2 & _ROW_MASK, packed >> _OUTBOX_SHIFT, _STATE_CODES[packed & 3])


class ResponseStore:
    """Responses, drafts, outbox state, doorstep sessions and pulled server data on disk."""

    def __init__(
        self, data_dir: Path | str, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._now = clock or _local_now
        self._lock = threading.RLock()
        self._db = open_tables(self.data_dir / STORE_DIR)
        self._responses = self._db.table("responses")
        # Outbox rows are small, so opening a season's store decodes ~100 bytes a response.
        self._outbox = self._db.table("outbox")
        self._meta_table = self._db.table("meta")
        # Response id -> its packed _Entry, in the order responses were saved.
        self._index: dict[str, int] = {}
        codes = [0] * len(_STATE_CODES)
        code_of = {state: code for code, state in enumerate(_STATE_CODES)}
        in_order, last = True, -1
        for outbox_id, doc in self._outbox.rows():  # _Entry.pack, inlined: 50k rows at open
            code = code_of[doc["state"]]
            self._index[doc["id"]] = outbox_id << _OUTBOX_SHIFT | doc["row"] << 2 | code
            codes[code] += 1
            in_order, last = in_order and outbox_id > last, outbox_id
        if not in_order:
            self._index = dict(sorted(self._index.items(), key=lambda item: item[1]))
        self._states: Counter[str] = Counter(dict(zip(_STATE_CODES, codes, strict=True)))
        self._drop_unacknowledged_rows()
        self._personal = PersonalDetails(self._db, self._lock, self._index)
        self._meta = {doc["key"]: doc["value"] for doc in self._meta_table.all()}
        self._visits = Visits(self._db, self._lock, self._now)
        self._pulled = Pulled(self._db, self._lock, self.data_dir)
        self._drafts = Drafts(self._db, self._lock, self._now, self._pulled.registry)

    def close(self) -> None:
        """Close the underlying database (deleted contact details leave the disk first)."""
        with self._lock:
            try:
                self._personal.fold()
            finally:
                self._db.close()

    def __enter__(self) -> ResponseStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _drop_unacknowledged_rows(self) -> None:
        """Remove response rows an older collector wrote just before a crash, without outbox row.

        A save is one journal frame now, so a store written since cannot hold such rows.
        """
        if len(self._responses) == len(self._index):  # the usual case costs no decoding
            return
        known = {_Entry.unpack(p).doc_id for p in self._index.values()}
        orphans = [d.doc_id for d in self._responses.all() if d.doc_id not in known]
        if orphans:
            self._responses.remove(doc_ids=orphans)

    # -- surveys and areas (collector.store.pulled) ---------------------------------------------
    @property
    def registry(self) -> SurveyRegistry:
        """Return the survey versions this collector can take (bundled and pulled)."""
        return self._pulled.registry

    def surveys(self) -> list[Any]:
        """Return the latest version of each survey, ordered by id."""
        return self._pulled.registry.latest_all()

    def areas(self) -> list[dict[str, Any]]:
        """Return the areas pulled from the server, or the demo set before any pull."""
        return self._pulled.areas()

    def contact_key(self, area: str) -> Any:
        """Return the contact key of the area's group (a ``ContactKey``), or None: no key yet."""
        return self._pulled.contact_key(area)

    def area_issues(self, area: str) -> list[dict[str, Any]]:
        """Return the issues and "you said, we did" text last pulled for an area."""
        return self._pulled.area_issues(area)

    def set_pulled(
        self,
        *,
        surveys: Iterable[Mapping[str, Any]] = (),
        areas: Iterable[Mapping[str, Any]] = (),
        issues: Iterable[Mapping[str, Any]] = (),
        cursor: str | None = None,
        contact_keys: Iterable[Mapping[str, Any]] | None = None,
    ) -> dict[str, int]:
        """Store what a pull brought; return counts of surveys added, areas, issues, skipped.

        ``contact_keys``, when given, replace the keys held (a list, empty or not).
        """
        with self._lock:
            counts = self._pulled.add(surveys, areas, issues)
            if contact_keys is not None:
                self._pulled.set_contact_keys(contact_keys)
            if cursor is not None:
                self._set_meta("cursor", cursor)
        return counts

    # -- responses -------------------------------------------------------------------------
    def save_response(self, data: Mapping[str, Any]) -> str:
        """Check and store a submitted response durably; return its id.

        Fills ``id`` and ``collected_at`` when absent. The same id with the same content
        returns that id again; with other content it raises :class:`ResponseConflict`.
        """
        if not isinstance(data, Mapping):
            raise InvalidResponse({"_": ["a response must be a JSON object"]})
        data = dict(data)
        if data.get("id") is None:
            data["id"] = str(uuid.uuid4())
        with self._lock:
            if data.get("collected_at") is None:
                # A retry that left the time to us must compare equal to its first save.
                stored = self.get_response(str(data["id"]).lower())
                data["collected_at"] = stored["collected_at"] if stored else self._now().isoformat()
            response, errors = check_response(
                data, self._pulled.registry.find, allowed_areas=self._pulled.area_codes
            )
            if response is None:
                raise InvalidResponse(errors)
            wire, personal = to_wire(response), dict(response.personal)
            # Which details were given, not what they say: a hash of a phone number on disk
            # could be searched for, and the details are sealed (random) before they are kept.
            digest = _digest(wire, sorted(personal))
            existing = self._entry(response.id)
            if existing is not None:
                if self._outbox.get(doc_id=existing.outbox_id)["hash"] == digest:
                    return response.id
                raise ResponseConflict(response.id)
            key = self._pulled.contact_key(response.area)
            personal = self._personal.seal(response.id, key, personal)
            row = {"id": response.id, "stored_at": self._now().isoformat(), "response": wire}
            outbox = {"id": response.id, "hash": digest, "state": UNSYNCED, "errors": None}
            try:
                # One journal frame, fsynced once: the contact details, the response and its
                # outbox row are all on disk after a crash, or none of them is.
                with self._db.atomic():
                    if personal:
                        self._personal.add(response.id, personal)
                    doc_id = self._responses.insert(row)
                    outbox_id = self._outbox.insert({**outbox, "row": doc_id})
            except BaseException:
                if personal:
                    self._personal.unsaved(response.id)
                raise
            self._index[response.id] = _Entry(doc_id, outbox_id, UNSYNCED).pack()
            self._states[UNSYNCED] += 1
            return response.id

    def get_response(self, response_id: str, *, personal: bool = False) -> dict[str, Any] | None:
        """Return one stored response in wire form, or None."""
        with self._lock:
            entry = self._entry(str(response_id))
            if entry is None:
                return None
            return self._wire(response_id, entry, personal)

    def _entry(self, response_id: str) -> _Entry | None:
        packed = self._index.get(response_id)
        return None if packed is None else _Entry.unpack(packed)

    def _wire(self, response_id: str, entry: _Entry, personal: bool) -> dict[str, Any]:
        wire = dict(self._responses.get(doc_id=entry.doc_id)["response"])
        details = self._personal.get(response_id) if personal else None
        if details is not None:
            wire["personal"] = details
        return wire

    def iter_responses(self, *, personal: bool = True) -> Iterator[dict[str, Any]]:
        """Yield every stored response in wire form, in the order they were saved."""
        with self._lock:
            entries = list(self._index.items())
        for response_id, packed in entries:
            with self._lock:
                wire = self._wire(response_id, _Entry.unpack(packed), personal)
            yield wire

    # -- outbox ----------------------------------------------------------------------------
    def _in_state(self, state: str, limit: int | None = None) -> list[tuple[str, _Entry]]:
        code = _STATE_CODES.index(state)
        found = ((i, p) for i, p in self._index.items() if p & 3 == code)
        return [(i, _Entry.unpack(p)) for i, p in itertools.islice(found, limit)]

    def unsynced(self, limit: int = 200) -> list[dict[str, Any]]:
        """Return up to ``limit`` unsynced responses, oldest first, with their personal data."""
        with self._lock:
            return [self._wire(i, e, True) for i, e in self._in_state(UNSYNCED, limit)]

    def _set_state(self, ids: Iterable[str], state: str, errors: Any = None) -> int:
        with self._lock:
            index = self._index
            entries = [(i, _Entry.unpack(index[i])) for i in map(str, ids) if i in index]
            if not entries:
                return 0
            fields = {"state": state, "errors": errors, "state_at": self._now().isoformat()}
            self._outbox.update(fields, doc_ids=[e.outbox_id for _, e in entries])
            for response_id, entry in entries:
                self._states[entry.state] -= 1
                self._states[state] += 1
                self._index[response_id] = entry._replace(state=state).pack()
            return len(entries)

    def mark_synced(self, ids: Iterable[str], *, fold: bool = True) -> int:
        """Mark responses as received by the server (accepted or duplicate); return the count.

        Their contact details are deleted here: the server holds them under its retention.
        With ``fold`` False they leave the files on disk at the next :meth:`fold_forgotten`
        (a sync marks batch after batch, then folds once).
        """
        ids = [str(i) for i in ids]
        count = self._set_state(ids, SYNCED)
        self._personal.forget(ids, fold=fold)
        return count

    def mark_conflict(self, ids: Iterable[str], *, fold: bool = True) -> int:
        """Mark responses the server kept but flagged as conflicting; they are not resent."""
        ids = [str(i) for i in ids]
        count = self._set_state(ids, CONFLICT)
        self._personal.forget(ids, fold=fold)  # the server kept this copy too, details and all
        return count

    def fold_forgotten(self) -> None:
        """Remove deleted contact details from the files on disk too (a no-op if none)."""
        self._personal.fold()

    def mark_rejected(self, response_id: str, errors: Mapping[str, Any]) -> int:
        """Keep a response the server rejected, with its reasons; it is not resent."""
        return self._set_state([response_id], REJECTED, dict(errors))

    def requeue_rejected(self) -> int:
        """Put every rejected response back in the outbox (e.g. after a server fix)."""
        with self._lock:
            ids = [i for i, _ in self._in_state(REJECTED)]
            return self._set_state(ids, UNSYNCED)

    def rejected(self) -> list[dict[str, Any]]:
        """Return the rejected responses: id, survey, area, when collected and the reasons."""
        out = []
        with self._lock:
            for response_id, entry in self._in_state(REJECTED):
                wire = self._wire(response_id, entry, False)
                keep = ("id", "survey_id", "survey_version", "area", "collected_at")
                errors = self._outbox.get(doc_id=entry.outbox_id)["errors"]
                out.append({**{k: wire[k] for k in keep}, "errors": errors})
        return out

    def status(self) -> dict[str, Any]:
        """Return ``{"stored", "unsynced", "rejected", "conflicts", "last_sync"}``."""
        with self._lock:
            return {
                "stored": len(self._index),
                "unsynced": self._states[UNSYNCED],
                "rejected": self._states[REJECTED],
                "conflicts": self._states[CONFLICT],
                "last_sync": self._meta.get("last_sync"),
            }

    def set_last_sync(self, when: datetime | None = None) -> None:
        """Record when this collector last synced (now by default)."""
        self._set_meta("last_sync", (when or self._now()).isoformat())

    def _set_meta(self, key: str, value: Any) -> None:
        with self._lock:
            self._meta_table.upsert({"key": key, "value": value}, Query().key == key)
            self._meta[key] = value

    def meta(self, key: str, default: Any = None) -> Any:
        """Return a stored setting of the store (e.g. ``"cursor"``)."""
        return self._meta.get(key, default)

    # -- drafts (collector.store.drafts) -----------------------------------------------------------
    def save_draft(self, data: Mapping[str, Any], draft_id: str | None = None) -> str:
        """Save a partly filled response for later; return the draft id.

        A draft keeps the survey version it was started on, whatever later saves say.
        """
        data = dict(data)
        personal = data.get("personal")
        if isinstance(personal, Mapping) and personal:
            # A draft's contact details are sealed too, bound to the draft id, which becomes
            # the response id on submit.
            draft_id = draft_id or str(uuid.uuid4())
            key = self._pulled.contact_key(str(data.get("area")))
            data["personal"] = self._personal.seal(draft_id, key, personal)
        return self._drafts.save(data, draft_id)

    def get_draft(self, draft_id: str) -> dict[str, Any] | None:
        """Return a draft's data, or None."""
        return self._drafts.get(draft_id)

    def drafts(self) -> list[dict[str, Any]]:
        """Return the open drafts: id, survey, version and when last saved."""
        return self._drafts.summaries()

    def submit_draft(self, draft_id: str) -> str:
        """Submit a draft as a response (its id becomes the response id) and remove it."""
        with self._lock:
            data = self._drafts.get(draft_id)
            if data is None:
                raise UnknownDraft(f"no draft {draft_id}")
            # The draft id is the response id, so a submit retried after a crash is idempotent.
            response_id = self.save_response({**data, "id": draft_id})
            self._drafts.discard(draft_id)
            return response_id

    def discard_draft(self, draft_id: str) -> None:
        """Delete a draft (nothing happens if it is already gone)."""
        self._drafts.discard(draft_id)

    # -- doorstep sessions and doors (the reach ledger, collector.store.visits) --------------------
    def start_session(self, volunteer: str, area: str, mode: str = "doorstep") -> str:
        """Start a volunteer's session in an area; return its id."""
        return self._visits.start_session(volunteer, area, mode)

    def record_door(
        self,
        session_id: str,
        street: str,
        house: str,
        outcome: str,
        response_id: str | None = None,
        door_id: str | None = None,
    ) -> str:
        """Record one door's outcome (no_answer, refused, come_back, surveyed); return its id.

        A ``door_id`` already recorded is not recorded again.
        """
        return self._visits.record_door(session_id, street, house, outcome, response_id, door_id)

    def end_session(self, session_id: str) -> None:
        """Close a session (its time spent stops counting)."""
        self._visits.end_session(session_id)

    def session_summary(self, session_id: str) -> dict[str, int]:
        """Return ``{"doors", "contacts", "surveys", "minutes"}`` for a session."""
        return self._visits.session_summary(session_id)

    def unsynced_visits(self, limit: int = 500) -> dict[str, list[dict[str, Any]]]:
        """Return unsynced sessions and doors for the server's reach ledger."""
        return self._visits.unsynced(limit)

    def mark_visits_synced(self, session_ids: Iterable[str], door_ids: Iterable[str]) -> None:
        """Mark sessions and doors as received by the server."""
        self._visits.mark_synced(session_ids, door_ids)

    # -- device enrollment ------------------------------------------------------------------
    def device(self) -> Device | None:
        """Return this collector's enrollment, or None if it is not enrolled."""
        return read_device(self.data_dir, self._meta.get("device"))

    def set_device(self, server_url: str, device_id: str, token: str) -> None:
        """Record an enrollment; the token goes to its own file readable by the owner only."""
        write_token(self.data_dir, token)
        self._set_meta("device", {"server_url": server_url, "device_id": device_id})
