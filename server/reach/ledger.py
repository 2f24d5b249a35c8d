"""The reach ledger: doors knocked, contacts, surveys, contact rate, hours, who was reached.

Collectors send their sessions and door outcomes with ``POST /api/v1/sync/activity`` (the
shape of ``collector.store.ResponseStore.unsynced_visits()``; docs/meetings.md). Storing them is
idempotent by id; a session sent again (e.g. once it has ended) updates its end time.
No Flask here.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.issues.facts import day_of
from server.models.merge import EqualityDay, RespondentDay
from server.models.reach import DoorVisit, VisitSession
from server.period import Period
from survey_schemas import METHODS

OUTCOMES = ("no_answer", "refused", "come_back", "surveyed")
CONTACTS = ("refused", "come_back", "surveyed")
MAX_SESSION = timedelta(hours=12)
SUPPRESS_UNDER = 5
MAX_ITEMS = 5000
# The collector calls its doorstep / kiosk / meeting modes what responses call methods.
MODE_METHOD = {m: m for m in METHODS}


def record_activity(
    session: Session,
    data: Mapping[str, Any],
    *,
    device_id: str | None,
    allowed_areas: Collection[str] | None,
) -> dict[str, list[str]]:
    """Store loaded activity; return the ids stored or already known (the client marks them).

    Items for an area the device may not see are left out of the answer, so it keeps them.
    """
    ok = (lambda a: True) if allowed_areas is None else (lambda a: a in allowed_areas)
    sessions = [s for s in data["sessions"] if ok(s["area"])]
    doors = [d for d in data["doors"] if ok(d["area"])]
    known_sessions = {
        s.id: s
        for s in session.scalars(
            select(VisitSession).where(VisitSession.id.in_([str(s["id"]) for s in sessions]))
        )
    }
    for s in sessions:
        sid = str(s["id"])
        row = known_sessions.get(sid)
        if row is None:
            row = VisitSession(
                id=sid,
                area=s["area"],
                method=MODE_METHOD[s["mode"]],
                day=day_of(s["started_at"]),
                started_at=s["started_at"],
                device_id=device_id,
            )
            session.add(row)
            known_sessions[sid] = row
        if s["ended_at"] is not None:
            row.ended_at = s["ended_at"]
    modes = {sid: row.method for sid, row in known_sessions.items()}
    door_ids = [str(d["id"]) for d in doors]
    seen = set(session.scalars(select(DoorVisit.id).where(DoorVisit.id.in_(door_ids))))
    missing = {str(d["session_id"]) for d in doors if d["session_id"]} - set(modes)
    if missing:
        q = select(VisitSession.id, VisitSession.method).where(VisitSession.id.in_(missing))
        modes.update({sid: m for sid, m in session.execute(q)})
    for d in doors:
        did = str(d["id"])
        if did in seen:
            continue
        seen.add(did)
        sid = str(d["session_id"]) if d["session_id"] else None
        session.add(
            DoorVisit(
                id=did,
                session_id=sid,
                area=d["area"],
                method=modes.get(sid or "", "doorstep"),
                day=day_of(d["at"]),
                outcome=d["outcome"],
                device_id=device_id,
            )
        )
    session.flush()
    return {"sessions": [str(s["id"]) for s in sessions], "doors": door_ids}


def _minutes(started: datetime, ended: datetime | None) -> float:
    if ended is None:
        return 0.0  # a session still running has not been worked yet
    return max(0.0, min(ended - started, MAX_SESSION).total_seconds() / 60)


def suppressed(n: int) -> int | str:
    """Return a count fit for a report: counts under 5 become "fewer than 5"."""
    return n if n >= SUPPRESS_UNDER or n == 0 else f"fewer than {SUPPRESS_UNDER}"


def ledger(session: Session, areas: Sequence[str], period: Period) -> list[dict[str, Any]]:
    """Return per area and method: doors, contacts, surveys, contact rate, volunteer hours."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}

    def cell(area: str, method: str) -> dict[str, Any]:
        return rows.setdefault(
            (area, method),
            {
                "area": area,
                "method": method,
                "doors": 0,
                "contacts": 0,
                "surveys": 0,
                "minutes": 0.0,
            },
        )

    in_period = (
        DoorVisit.area.in_(areas),
        DoorVisit.day >= period.since,
        DoorVisit.day <= period.until,
    )
    q = select(DoorVisit.area, DoorVisit.method, DoorVisit.outcome, func.count()).where(*in_period)
    for area, method, outcome, n in session.execute(
        q.group_by(DoorVisit.area, DoorVisit.method, DoorVisit.outcome)
    ):
        c = cell(area, method)
        c["doors"] += n
        if outcome in CONTACTS:
            c["contacts"] += n
    rq = (
        select(RespondentDay.area, RespondentDay.method, func.sum(RespondentDay.respondents))
        .where(
            RespondentDay.area.in_(areas),
            RespondentDay.day >= period.since,
            RespondentDay.day <= period.until,
        )
        .group_by(RespondentDay.area, RespondentDay.method)
    )
    for area, method, n in session.execute(rq):
        cell(area, method)["surveys"] += int(n)
    sq = select(
        VisitSession.area, VisitSession.method, VisitSession.started_at, VisitSession.ended_at
    ).where(
        VisitSession.area.in_(areas),
        VisitSession.day >= period.since,
        VisitSession.day <= period.until,
    )
    for area, method, started, ended in session.execute(sq):
        cell(area, method)["minutes"] += _minutes(started, ended)
    out = []
    for key in sorted(rows):
        c = rows[key]
        c["contact_rate"] = round(c["contacts"] / c["doors"], 4) if c["doors"] else None
        c["volunteer_hours"] = round(c.pop("minutes") / 60, 2)
        out.append(c)
    return out


def reached(session: Session, areas: Sequence[str], period: Period) -> list[dict[str, Any]]:
    """Return who was reached, from equality answers, per area and question; small counts hidden."""
    q = (
        select(
            EqualityDay.area,
            EqualityDay.question,
            EqualityDay.value,
            func.sum(EqualityDay.respondents),
        )
        .where(
            EqualityDay.area.in_(areas),
            EqualityDay.day >= period.since,
            EqualityDay.day <= period.until,
        )
        .group_by(EqualityDay.area, EqualityDay.question, EqualityDay.value)
        .order_by(EqualityDay.area, EqualityDay.question, EqualityDay.value)
    )
    out = []
    for area, question, value, n in session.execute(q):
        out.append(
            {"area": area, "question": question, "value": value, "respondents": suppressed(int(n))}
        )
    return out
