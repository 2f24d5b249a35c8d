"""Ingest a batch of pushed or imported responses exactly once in effect (no Flask).

Each item gets one outcome, in order: ``accepted``, ``duplicate`` (same id and content — a
retry), ``conflict`` (same id, other content: the other content is kept apart and the stored
response flagged; nothing is overwritten) or ``rejected`` (with field errors). The rows go in
with one ``INSERT … ON CONFLICT (id) DO NOTHING``, so two pushes of the same batch racing on
two connections store each response once on SQLite and PostgreSQL alike; the rows that did
not go in are then classified by content hash.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from collector.error_codes import ErrorCode
from collector.json_text import text_problem
from server.catalogue.surveys import Find, finder_for
from server.contacts.intake import keep_sealed
from server.db.bulk import among, insert_new, write_rows
from server.intake.clocks import flag_rows
from server.issues.aggregates import apply_responses
from server.models import Area, Device, PersonalDetail, Response, ResponseConflict
from survey_schemas import check_response
from sync.wire import RESPONSE_FIELDS, content_hash, wire_content

#: Called with ``(session, accepted_rows)`` inside the ingest transaction, before commit.
AcceptedHook = Callable[[Session, list[dict[str, Any]]], None]


@dataclass(frozen=True)
class Outcome:
    """What became of one item of a batch."""

    id: str | None
    status: str
    errors: dict[str, list[str]] | None = None
    code: str | None = None  # why a rejected item was refused (an ErrorCode)

    def to_wire(self) -> dict[str, Any]:
        """Return the push result item (a rejected one says why with an error ``code``)."""
        out: dict[str, Any] = {"id": self.id, "status": self.status}
        if self.errors:
            out["errors"] = self.errors
        if self.status == "rejected":
            out["code"] = self.code or ErrorCode.INVALID_RESPONSE.value
        return out


def _outside_group(rid: str | None, field: str, why: str) -> Outcome:
    """Return the refusal of an item that reaches past its device's group."""
    return Outcome(rid, "rejected", {field: [why]}, ErrorCode.OUTSIDE_GROUP.value)


def _insert(session: Session) -> Any:
    """Return the dialect's INSERT, which knows ON CONFLICT DO NOTHING."""
    name = session.get_bind().dialect.name
    return (postgresql if name == "postgresql" else sqlite).insert


# Two turns order the ingests of one process on SQLite. The write turn runs from the first
# write to the end of the commit: a second writer would otherwise wait in SQLite's busy
# handler, which polls with sleeps of up to 100 ms, where this lock hands over at once. The
# work turn runs from the first check to the start of the commit, so one push's checks (pure
# Python) overlap only another's commit (one call that waits on the disk without the GIL),
# never its statements, each of which would then wait for the GIL to come back.
_WRITE_TURN = threading.Lock()
_WORK_TURN = threading.Lock()


def _write_lock_path(session: Session) -> str | None:
    """Return the file beside the SQLite database that orders writers across processes."""
    database = session.get_bind().url.database
    if not database or database == ":memory:" or "mode=memory" in database:
        return None  # a database only this process sees
    return database.removeprefix("file:").split("?", 1)[0] + ".write-lock"


class _Turns:
    """Take and hand back this process's SQLite turns (doing nothing elsewhere).

    The write turn is also taken across processes (``flock`` on ``<database>.write-lock``), so
    two server processes hand the database over the moment one commits instead of meeting in
    SQLite's sleeping busy handler. The kernel drops the file lock of a process that dies.
    """

    def __init__(self, session: Session, commit: bool) -> None:
        self.enabled = commit and session.get_bind().dialect.name == "sqlite"
        self._session = session
        self._held: list[threading.Lock] = []
        self._file: int | None = None

    def __enter__(self) -> _Turns:
        self._take(_WORK_TURN)
        return self

    def writing(self) -> None:
        """Take the write turn (in this process, then across processes) before the first write."""
        self._take(_WRITE_TURN)
        path = _write_lock_path(self._session) if self.enabled else None
        # Only before the transaction's first write: one that already writes holds SQLite's
        # lock, and waiting here for a process that waits for that lock would deadlock.
        if path is None or self._session.connection().connection.dbapi_connection.in_transaction:
            return
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # waits without the GIL
        except BaseException:
            os.close(fd)
            raise
        self._file = fd

    def committing(self) -> None:
        """Hand the work turn on as the commit starts."""
        if _WORK_TURN in self._held:
            self._held.remove(_WORK_TURN)
            _WORK_TURN.release()

    def _take(self, lock: threading.Lock) -> None:
        if self.enabled:
            lock.acquire()
            self._held.append(lock)

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        try:
            if kind is not None and self._file is not None:
                # end the transaction before the next writer may start one
                self._session.rollback()
        finally:
            if self._file is not None:
                os.close(self._file)  # closing the only descriptor releases the flock
                self._file = None
            for lock in reversed(self._held):
                lock.release()
            self._held.clear()


_WIRE_FIELDS = frozenset(RESPONSE_FIELDS)


class Stored(NamedTuple):
    """What ingest needs of a response already in the database."""

    hash: str
    area: str


def _is_exact_repeat(item: Any, digest: str | None, stored: Mapping[str, Stored]) -> bool:
    """Say whether ``item`` is, key for key, a stored (so once validated) response's content.

    Contact details are not part of the content: a retry that carries them again is the same
    response, and what was stored with it the first time stays (a repeat never stores any),
    so it is answered ``duplicate`` like the retry that no longer carries them.
    """
    # An extra key or a null is not part of the hash but is checked, so such an item is
    # validated again to get the very answer it got before.
    return (
        digest is not None
        and item["id"] in stored
        and stored[item["id"]].hash == digest
        and item.keys() <= _WIRE_FIELDS
        and None not in item.values()
    )


def _field(item: Any, name: str) -> str | None:
    value = item.get(name) if isinstance(item, Mapping) else None
    return value if isinstance(value, str) else None


def _id_of(item: Any) -> str | None:
    return _field(item, "id")


def _past_remit(
    item: Any, scope: set[str], known: set[str], stored: Mapping[str, Stored]
) -> tuple[str, str] | None:
    """Return ``(field, why)`` if ``item`` writes past the areas in ``scope``, else None.

    An area the server does not know is left to the ordinary checks ("unknown area").
    """
    area = _field(item, "area")
    if area is not None and area in known and area not in scope:
        return "area", f"area {area!r} belongs to another group; this device may not write to it"
    target = _field(item, "replaces")
    if target is not None and target in stored and stored[target].area not in scope:
        return "replaces", "names a response of another group; a device corrects only its own"
    return None


def ingest_batch(
    session: Session,
    items: Sequence[Any],
    *,
    now: datetime,
    device: Device | None = None,
    device_id: str | None = None,
    group_id: int | None = None,
    source: str = "push",
    find: Find | None = None,
    personal_retention: timedelta | None = None,
    hooks: Iterable[AcceptedHook] = (),
    commit: bool = True,
    check_text: bool = False,
) -> list[Outcome]:
    """Store what is new in ``items``; return one :class:`Outcome` per item, in order.

    ``device`` is the pushing device (its counters are updated); ``device_id`` names the
    origin of an imported bundle instead, and ``group_id`` its group. A device of a group writes
    only to that group's areas: an item for another group's area, one correcting (``replaces``)
    or reusing the id of another group's response, is rejected with code ``outside_group``; a
    device with no group writes anywhere. Commits before returning unless ``commit`` is False.
    ``hooks`` run after the aggregates, in the same transaction (tests use them to act
    mid-transaction). ``check_text``: a string in the items may hold a NUL or a lone surrogate,
    which no database text holds; an item with one is rejected (naming where), the others go on.
    """
    with _Turns(session, commit) as turns:
        origin = device.id if device is not None else device_id
        group = device.group_id if device is not None else group_id
        # the registry, the known areas and the group's (None: every area), looked up once an
        # item needs checking
        checks: tuple[Find, set[str], set[str] | None] | None = None
        outcomes: list[Outcome | None] = [None] * len(items)
        rows: list[dict[str, Any]] = []
        personal: dict[str, dict[str, Any]] = {}
        first: dict[str, tuple[int, str]] = {}  # id → (index, hash) of its first good occurrence
        repeats: list[tuple[int, str, str, Mapping[str, Any]]] = []
        # No database text holds a NUL or a lone surrogate: an item with one goes no further.
        unstorable: dict[int, tuple[str, str]] = {}
        if check_text:
            unstorable = {i: p for i, item in enumerate(items) if (p := text_problem(item))}
        hashes = [
            content_hash(item) if _id_of(item) is not None and i not in unstorable else None
            for i, item in enumerate(items)
        ]
        # Exact repeats of stored responses (a retry after a lost answer) were validated when
        # they were accepted and survey versions never change: answer them without checking
        # again. Stored hashes never change either, so they serve the conflict check below.
        ids = {_id_of(item) for i, item in enumerate(items) if i not in unstorable}
        if group is not None:  # the responses they correct, to see whose they are
            ids |= {_field(item, "replaces") for i, item in enumerate(items) if i not in unstorable}
        before = _stored(session, [i for i in ids if i is not None])
        for i, item in enumerate(items):
            if i in unstorable:
                where, why = unstorable[i]
                outcomes[i] = Outcome(_id_of(item), "rejected", {where or "_": [why]})
                continue
            digest = hashes[i]
            if _is_exact_repeat(item, digest, before):
                outcomes[i] = Outcome(item["id"], "duplicate")
                continue
            if checks is None:
                if find is None:
                    # a device never pulls another group's own survey: to it, that one is unknown
                    find = finder_for(session, device.group_id if device is not None else None)
                codes = set(session.scalars(select(Area.code)))
                scope = None
                if group is not None:
                    scope = set(session.scalars(select(Area.code).where(Area.group_id == group)))
                checks = (find, codes, scope)
            if checks[2] is not None and (past := _past_remit(item, checks[2], checks[1], before)):
                outcomes[i] = _outside_group(_id_of(item), *past)
                continue
            response, errors = check_response(item, checks[0], allowed_areas=checks[1])
            # Personal answers are only valid after a consent question said yes (survey_schemas
            # enforces it through relevance), so whatever reaches ``personal`` here is consented.
            if response is None or errors or digest is None:
                outcomes[i] = Outcome(_id_of(item), "rejected", errors)
                continue
            if response.id in first:
                repeats.append((i, response.id, digest, item))
                continue
            first[response.id] = (i, digest)
            rows.append(
                {
                    "id": response.id,
                    "survey_id": response.survey_id,
                    "survey_version": response.survey_version,
                    "area": response.area,
                    "method": response.method,
                    "collected_at": response.collected_at,
                    "received_at": now,
                    "device_id": origin,
                    "source": source,
                    "volunteer": response.volunteer,
                    "consent": response.consent,
                    "language": response.language,
                    "street": response.street,
                    "replaces": response.replaces,
                    "content_hash": digest,
                    "answers": dict(response.answers),
                    "conflict": False,
                }
            )
            if response.personal:
                personal[response.id] = dict(response.personal)
        # implausible times are kept and counted, with a flag (server.intake.clocks)
        flag_rows(session, rows)
        turns.writing()
        # a Core insert of the table: the ORM's bulk path costs a third more per row
        inserted: set[str] = insert_new(session, Response.__table__, rows)
        accepted_rows = [row for row in rows if row["id"] in inserted]
        for row in accepted_rows:
            outcomes[first[row["id"]][0]] = Outcome(row["id"], "accepted")
        lost = [r["id"] for r in rows if r["id"] not in inserted]
        stored = {rid: before[rid] for rid in lost if rid in before}
        # rows that went in from another push since the first look
        stored.update(_stored(session, [rid for rid in lost if rid not in before]))
        stored.update({r["id"]: Stored(r["content_hash"], r["area"]) for r in accepted_rows})
        scope = checks[2] if checks is not None else None
        conflicts: list[dict[str, Any]] = []
        seen = [
            (first[r["id"]][0], r["id"], r["content_hash"], items[first[r["id"]][0]]) for r in rows
        ]
        for index, rid, digest, item in [c for c in seen if c[1] not in inserted] + repeats:
            if rid in stored and stored[rid].hash == digest:
                outcomes[index] = Outcome(rid, "duplicate")
            elif scope is not None and rid in stored and stored[rid].area not in scope:
                # the id is another group's response: not this device's to flag
                why = "this id is another group's response; make a new id"
                outcomes[index] = _outside_group(rid, "id", why)
            else:
                outcomes[index] = Outcome(rid, "conflict")
                conflicts.append(
                    {
                        "response_id": rid,
                        "content_hash": digest,
                        "envelope": wire_content(item),
                        "device_id": origin,
                        "received_at": now,
                    }
                )
        if conflicts:
            session.execute(
                _insert(session)(ResponseConflict).on_conflict_do_nothing(
                    index_elements=["response_id", "content_hash"]
                ),
                conflicts,
            )
            session.execute(
                update(Response)
                .where(Response.id.in_({c["response_id"] for c in conflicts}))
                .values(conflict=True)
            )
        expires = now + personal_retention if personal_retention else None
        # sealed to the area's group's key, or not kept (server/contacts/intake.py)
        new_details = {rid: data for rid, data in personal.items() if rid in inserted}
        areas = {row["id"]: row["area"] for row in accepted_rows}
        personal_rows = [
            {"response_id": rid, "data": data, "consent": True, "expires_at": expires}
            for rid, data in keep_sealed(session, new_details, areas).items()
        ]
        write_rows(session, PersonalDetail.__table__, personal_rows)
        if accepted_rows:
            # the aggregates count what was accepted in this same transaction: exactly once
            apply_responses(session, accepted_rows)
            for hook in hooks:
                hook(session, accepted_rows)
        done = [o for o in outcomes if o is not None]
        if device is not None:
            _count(session, device, done, now)
        if commit:
            turns.committing()
            session.commit()
        return done


def _stored(session: Session, ids: list[str]) -> dict[str, Stored]:
    """Return the content hash and area of each id that is already in the database."""
    out: dict[str, Stored] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = select(Response.id, Response.content_hash, Response.area).where(
            among(session, Response.id, chunk)
        )
        out.update((rid, Stored(digest, area)) for rid, digest, area in session.execute(query))
    return out


def _count(session: Session, device: Device, outcomes: list[Outcome], now: datetime) -> None:
    """Add a batch's outcomes to the device's counters and note when it last synced."""
    tally = {status: 0 for status in ("accepted", "duplicate", "conflict", "rejected")}
    for outcome in outcomes:
        tally[outcome.status] += 1
    # Added in SQL, not in Python: a device may have two pushes under way at once, and a
    # read-add-write of the loaded values would lose one of them.
    # A Core update of the table (the ORM's bulk-update path costs more than the statement);
    # the loaded device's values are expired below instead.
    devices = Device.__table__.c
    session.connection().execute(
        update(Device.__table__)
        .where(devices.id == device.id)
        .values(
            accepted=devices.accepted + tally["accepted"],
            duplicates=devices.duplicates + tally["duplicate"],
            conflicts=devices.conflicts + tally["conflict"],
            rejected=devices.rejected + tally["rejected"],
            last_sync_at=now,
        )
    )
    session.expire(device, ["accepted", "duplicates", "conflicts", "rejected", "last_sync_at"])
