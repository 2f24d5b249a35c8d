"""The pull feed: changes to surveys, areas and issues in commit order (no Flask).

Every change to a survey version, an area or an issue writes a :class:`ChangeLog` row in the
same transaction (:func:`record_change`). Its ``seq`` is the pull cursor. Writers are
serialised (PostgreSQL: a transaction-scoped advisory lock taken before the seq; SQLite: one
writer at a time already) so seq N+1 is never visible before seq N has committed — a reader at
cursor N can never skip a change that commits late, which a wall-clock cursor would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session, aliased

from server.exceptions import CursorExpired, InvalidInput
from server.models import Area, ChangeLog, Issue, ServerState, SurveyVersion

KINDS = ("survey", "area", "issue")
FLOOR_KEY = "change_log_floor"
# Any constant shared by every writer; "dst1" in ASCII.
FEED_LOCK_ID = 0x64737431
# Cursors of a walk that started with no cursor: a fresh device has nothing to be stale about.
FULL_PREFIX = "f"


def record_change(
    session: Session,
    kind: str,
    key: object,
    *,
    area: str | None = None,
    group_id: int | None = None,
    deleted: bool = False,
) -> int:
    """Log a change to a survey/area/issue in the caller's transaction; return its seq.

    A change about one ``area``, or for one group's devices (``group_id``: its own survey), is
    seen only by devices that see that area or belong to that group; any other by every device.

    Call it last in the transaction, just before commit: on PostgreSQL it holds the feed lock
    until then, so other writers of the feed wait for this commit.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown change kind {kind!r}")
    if session.get_bind().dialect.name == "postgresql":
        _pg_feed_lock(session)  # SQLite: one writer at a time already
    row = ChangeLog(kind=kind, key=str(key), area=area, group_id=group_id, deleted=deleted)
    session.add(row)
    session.flush()
    if kind == "issue" and not deleted:
        issue = session.get(Issue, int(str(key)))
        if issue is not None:
            issue.updated_seq = row.seq
    return row.seq


def hold_feed_lock(session: Session) -> None:
    """Wait for other writers of the feed, and hold them off until this transaction ends.

    For a writer that must read before it writes (a new survey's owner). PostgreSQL: the feed's
    transaction-scoped advisory lock (taking it again is harmless). SQLite: start writing now —
    a statement that changes nothing still takes the one write lock — so no other writer
    commits between this read and this write.
    """
    if session.get_bind().dialect.name == "postgresql":
        _pg_feed_lock(session)
    else:
        session.execute(
            update(ServerState).where(ServerState.key == FLOOR_KEY).values(value=ServerState.value)
        )


def _pg_feed_lock(session: Session) -> None:
    session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": FEED_LOCK_ID})


def floor(session: Session) -> int:
    """Return the oldest cursor still served (cursors below it get 410)."""
    value = session.scalar(select(ServerState.value).where(ServerState.key == FLOOR_KEY))
    return int(value) if value else 0


def compact(session: Session, *, drop_tombstones_upto: int | None = None) -> int:
    """Drop change rows superseded by a newer one for the same thing; return how many went.

    With ``drop_tombstones_upto``, deletions up to that seq are forgotten too, and cursors
    older than the newest one forgotten get 410 ``cursor_expired`` from then on.
    """
    newer = aliased(ChangeLog)
    superseded = select(ChangeLog.seq).where(
        select(newer.seq)
        .where(newer.kind == ChangeLog.kind, newer.key == ChangeLog.key, newer.seq > ChangeLog.seq)
        .exists()
    )
    seqs = list(session.scalars(superseded))
    removed = 0
    if seqs:
        removed += session.execute(delete(ChangeLog).where(ChangeLog.seq.in_(seqs))).rowcount
    if drop_tombstones_upto is not None:
        gone = session.scalar(
            select(func.max(ChangeLog.seq)).where(
                ChangeLog.deleted.is_(True), ChangeLog.seq <= drop_tombstones_upto
            )
        )
        if gone is not None:
            removed += session.execute(
                delete(ChangeLog).where(
                    ChangeLog.deleted.is_(True), ChangeLog.seq <= drop_tombstones_upto
                )
            ).rowcount
            state = session.get(ServerState, FLOOR_KEY)
            if state is None:
                session.add(ServerState(key=FLOOR_KEY, value=str(gone)))
            elif int(state.value) < gone:
                state.value = str(gone)
    session.flush()
    return removed


@dataclass
class Page:
    """One pull page: the things changed, oldest first, and the cursor to ask from next."""

    cursor: str
    more: bool
    surveys: list[dict[str, Any]] = field(default_factory=list)
    areas: list[dict[str, Any]] = field(default_factory=list)
    issues: list[dict[str, Any]] = field(default_factory=list)


def parse_cursor(cursor: str | None) -> tuple[int, bool]:
    """Return ``(seq, full_walk)`` for a cursor; raise :class:`InvalidInput` for nonsense."""
    if cursor is None:
        return 0, True
    full = cursor.startswith(FULL_PREFIX)
    digits = cursor[len(FULL_PREFIX) :] if full else cursor
    # isdigit() also takes "³" and other digits int() refuses; 18 digits fit a BIGINT.
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 18):
        raise InvalidInput("the cursor is not one this server gave", details={"since": cursor})
    return int(digits), full


def pull_page(
    session: Session,
    since: str | None,
    limit: int,
    areas: set[str] | None = None,
    group_id: int | None = None,
) -> Page:
    """Return what changed after ``since`` that a device may see.

    ``areas`` are the codes a device of group ``group_id`` sees; None: it sees everything.
    """
    seq, full = parse_cursor(since)
    oldest = floor(session)
    if not full and seq < oldest:
        raise CursorExpired(
            "the cursor is older than the history this server keeps; pull everything again",
            details={"since": since},
        )
    # Read the head first: everything at or below it has committed (writers are serialised).
    # Pruned tombstones may have been the newest rows: the floor is a lower bound of the head.
    head = max(session.scalar(select(func.max(ChangeLog.seq))) or 0, oldest)
    query = select(ChangeLog).where(ChangeLog.seq > seq).order_by(ChangeLog.seq).limit(limit + 1)
    if areas is not None:
        seen = (ChangeLog.area.is_(None) & ChangeLog.group_id.is_(None)) | ChangeLog.area.in_(
            sorted(areas)
        )
        if group_id is not None:  # (``== None`` would be IS NULL: every area's changes)
            seen = seen | (ChangeLog.group_id == group_id)
        query = query.where(seen)
    rows = list(session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    if more:
        cursor = f"{FULL_PREFIX if full else ''}{rows[-1].seq}"
    else:
        cursor = str(max(head, rows[-1].seq if rows else seq))
    page = Page(cursor=cursor, more=more)
    latest: dict[tuple[str, str], ChangeLog] = {}
    for row in rows:
        latest.pop((row.kind, row.key), None)  # keep each thing once, at its newest position
        latest[(row.kind, row.key)] = row
    for (kind, key), row in latest.items():
        _add(session, page, kind, key, row.deleted)
    return page


def _add(session: Session, page: Page, kind: str, key: str, deleted: bool) -> None:
    """Add the current state of one changed thing (or its tombstone) to the page."""
    if kind == "survey":
        version = None if deleted else session.get(SurveyVersion, int(key))
        if version is not None:
            page.surveys.append(dict(version.definition))
    elif kind == "area":
        area = None if deleted else session.scalar(select(Area).where(Area.code == key))
        page.areas.append(area.to_wire() if area else {"code": key, "deleted": True})
    else:
        issue = None if deleted else session.get(Issue, int(key))
        page.issues.append(issue.to_wire() if issue else {"id": int(key), "deleted": True})
