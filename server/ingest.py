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
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any

from sqlalchemy import Insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from survey_schemas import SurveyRegistry, check_response
from sync.wire import RESPONSE_FIELDS, content_hash, wire_content

from .models import Area, Device, PersonalDetail, Response, ResponseConflict
from .surveys import registry_for

AcceptedHook = Callable[[Session, list[dict[str, Any]]], None]

#: Hooks run with ``(session, accepted_rows)`` inside the ingest transaction, before commit.
ACCEPTED_HOOKS: list[AcceptedHook] = []


def on_accepted(hook: AcceptedHook) -> AcceptedHook:
    """Register a hook that sees every batch of newly accepted rows in the same transaction."""
    ACCEPTED_HOOKS.append(hook)
    return hook


@dataclass(frozen=True)
class Outcome:
    """What became of one item of a batch."""

    id: str | None
    status: str
    errors: dict[str, list[str]] | None = None

    def to_wire(self) -> dict[str, Any]:
        """Return the push result item."""
        out: dict[str, Any] = {"id": self.id, "status": self.status}
        if self.errors:
            out["errors"] = self.errors
        return out


def _insert(session: Session) -> Any:
    """Return the dialect's INSERT, which knows ON CONFLICT DO NOTHING."""
    name = session.get_bind().dialect.name
    return (postgresql if name == "postgresql" else sqlite).insert


@dataclass(frozen=True)
class _Plan:
    """How to hand one INSERT's rows to the driver: its SQL, value order and bind processors."""

    sql: str
    names: tuple[str, ...]
    procs: tuple[tuple[int, str, Callable[[Any], Any]], ...]
    positional: bool
    direct: bool


_PLANS: dict[Hashable, _Plan] = {}


def _plan(stmt: Insert, dialect: Any, keys: tuple[str, ...]) -> _Plan:
    """Compile ``stmt`` for rows with ``keys``; say whether the driver can take them as they are."""
    compiled = stmt.compile(dialect=dialect, column_keys=list(keys))
    names = tuple(compiled.positiontup or ()) if compiled.positional else tuple(compiled.binds)
    direct = not (
        compiled.insert_prefetch
        or compiled.returning
        or compiled.literal_execute_params
        or compiled.post_compile_params
        or set(names) != set(keys)
    )
    procs = []
    for i, name in enumerate(names if direct else ()):
        proc = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
        if proc is not None:
            procs.append((i, name, proc))
    return _Plan(compiled.string, names, tuple(procs), bool(compiled.positional), direct)


def insert_many(
    session: Session,
    stmt: Insert,
    rows: Sequence[Mapping[str, Any]],
    *,
    key: Hashable | None = None,
) -> None:
    """Run an INSERT for many rows (all with the same keys) through the driver's executemany.

    SQLAlchemy's executemany rebuilds every row's parameters and costs more per row than the
    database does; here each value only passes its column type's bind processor, and the
    compiled statement is kept under ``key`` (which must name the statement's shape). A
    statement that needs more (defaults filled in, RETURNING, expanding parameters) goes
    through ``session.execute`` as usual.
    """
    if not rows:
        return
    conn = session.connection()
    dialect = conn.dialect
    keys = tuple(rows[0])
    cache = (type(dialect), dialect.paramstyle, key, keys) if key is not None else None
    plan = _PLANS.get(cache) if cache is not None else None
    if plan is None:
        plan = _plan(stmt, dialect, keys)
        if cache is not None:
            _PLANS[cache] = plan
    if not plan.direct:
        session.execute(stmt, rows)
        return
    params: list[Any]
    if plan.positional:
        get = itemgetter(*plan.names)
        params = [get(row) for row in rows] if len(plan.names) > 1 else [(get(r),) for r in rows]
        if plan.procs:
            params = [_processed(list(values), plan) for values in params]
    else:
        params = [{n: row[n] for n in plan.names} for row in rows]
        for values in params:
            for _, name, proc in plan.procs:
                values[name] = proc(values[name])
    conn.exec_driver_sql(plan.sql, params)


def _processed(values: list[Any], plan: _Plan) -> tuple[Any, ...]:
    for i, _, proc in plan.procs:
        values[i] = proc(values[i])
    return tuple(values)


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


_CONTENT_FIELDS = frozenset(RESPONSE_FIELDS) - {"personal"}


def _is_exact_repeat(item: Any, digest: str | None, stored: Mapping[str, str]) -> bool:
    """Say whether ``item`` is, key for key, a stored (so once validated) response's content."""
    # An extra key, a null or contact details are not part of the hash but are checked, so
    # such an item is validated again to get the very answer it got before.
    return (
        digest is not None
        and stored.get(item["id"]) == digest
        and item.keys() <= _CONTENT_FIELDS
        and None not in item.values()
    )


def _id_of(item: Any) -> str | None:
    value = item.get("id") if isinstance(item, Mapping) else None
    return str(value) if isinstance(value, str) else None


def ingest_batch(
    session: Session,
    items: Sequence[Any],
    *,
    now: datetime,
    device: Device | None = None,
    device_id: str | None = None,
    source: str = "push",
    registry: SurveyRegistry | None = None,
    personal_retention: timedelta | None = None,
    hooks: Iterable[AcceptedHook] = (),
    commit: bool = True,
) -> list[Outcome]:
    """Store what is new in ``items``; return one :class:`Outcome` per item, in order.

    ``device`` is the pushing device (its counters are updated); ``device_id`` names the
    origin of an imported bundle instead. Commits before returning unless ``commit`` is False.
    """
    with _Turns(session, commit) as turns:
        origin = device.id if device is not None else device_id
        registry = registry if registry is not None else registry_for(session)
        known_areas = set(session.scalars(select(Area.code)))
        outcomes: list[Outcome | None] = [None] * len(items)
        rows: list[dict[str, Any]] = []
        personal: dict[str, dict[str, Any]] = {}
        first: dict[str, tuple[int, str]] = {}  # id → (index, hash) of its first good occurrence
        repeats: list[tuple[int, str, str, Mapping[str, Any]]] = []
        hashes = [content_hash(item) if _id_of(item) is not None else None for item in items]
        # Exact repeats of stored responses (a retry after a lost answer) were validated when
        # they were accepted and survey versions never change: answer them without checking
        # again. Stored hashes never change either, so they serve the conflict check below.
        before = _stored_hashes(session, list({i for i in map(_id_of, items) if i is not None}))
        for i, item in enumerate(items):
            digest = hashes[i]
            if _is_exact_repeat(item, digest, before):
                outcomes[i] = Outcome(item["id"], "duplicate")
                continue
            response, errors = check_response(item, registry.find, allowed_areas=known_areas)
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
        turns.writing()
        inserted: set[str] = set()
        if rows:
            table = Response.__table__
            # a Core insert of the table: the ORM's bulk path costs a third more per row
            stmt = (
                _insert(session)(table)
                .on_conflict_do_nothing(index_elements=["id"])
                .returning(table.c.id)
            )
            inserted = set(session.scalars(stmt, rows))
        accepted_rows = [row for row in rows if row["id"] in inserted]
        for row in accepted_rows:
            outcomes[first[row["id"]][0]] = Outcome(row["id"], "accepted")
        lost = [r["id"] for r in rows if r["id"] not in inserted]
        stored = {rid: before[rid] for rid in lost if rid in before}
        # rows that went in from another push since the first look
        stored.update(_stored_hashes(session, [rid for rid in lost if rid not in before]))
        stored.update({row["id"]: row["content_hash"] for row in accepted_rows})
        conflicts: list[dict[str, Any]] = []
        checks = [
            (first[r["id"]][0], r["id"], r["content_hash"], items[first[r["id"]][0]]) for r in rows
        ]
        for index, rid, digest, item in [c for c in checks if c[1] not in inserted] + repeats:
            if stored.get(rid) == digest:
                outcomes[index] = Outcome(rid, "duplicate")
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
        personal_rows = [
            {"response_id": rid, "data": data, "consent": True, "expires_at": expires}
            for rid, data in personal.items()
            if rid in inserted
        ]
        if personal_rows:
            insert_many(session, PersonalDetail.__table__.insert(), personal_rows, key="personal")
        if accepted_rows:
            for hook in [*ACCEPTED_HOOKS, *hooks]:
                hook(session, accepted_rows)
        done = [o for o in outcomes if o is not None]
        if device is not None:
            _count(session, device, done, now)
        if commit:
            turns.committing()
            session.commit()
        return done


def _stored_hashes(session: Session, ids: list[str]) -> dict[str, str]:
    """Return the stored content hash of each id that is already in the database."""
    out: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = select(Response.id, Response.content_hash).where(Response.id.in_(chunk))
        out.update((rid, digest) for rid, digest in session.execute(query))
    return out


def _count(session: Session, device: Device, outcomes: list[Outcome], now: datetime) -> None:
    """Add a batch's outcomes to the device's counters and note when it last synced."""
    tally = {status: 0 for status in ("accepted", "duplicate", "conflict", "rejected")}
    for outcome in outcomes:
        tally[outcome.status] += 1
    # Added in SQL, not in Python: a device may have two pushes under way at once, and a
    # read-add-write of the loaded values would lose one of them.
    session.execute(
        update(Device)
        .where(Device.id == device.id)
        .values(
            accepted=Device.accepted + tally["accepted"],
            duplicates=Device.duplicates + tally["duplicate"],
            conflicts=Device.conflicts + tally["conflict"],
            rejected=Device.rejected + tally["rejected"],
            last_sync_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    session.expire(device, ["accepted", "duplicates", "conflicts", "rejected", "last_sync_at"])
