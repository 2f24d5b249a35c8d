"""Assemble a group's meeting agenda in the ward-panel order (docs/meetings.md); no Flask."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.crime.compare import compare, latest_month, month_of, months_to
from server.issues.priorities import AreaPriorities, area_priorities
from server.issues.ranking import Weights
from server.meetings.accountability import (
    ACTIVE,
    MAX_SHORTLIST,
    UPDATES,
    active_issues,
    last_meeting,
    meeting_on,
    tracked,
)
from server.meetings.agenda_render import (
    Agenda,
    AreaResults,
    Candidate,
    Concern,
    EscalatedItem,
    ProviderUpdate,
    StatusItem,
)
from server.meetings.escalation import DEFAULT, OVERDUE_TWICE, Thresholds, escalations
from server.models import Area, Group
from server.models.meetings import IssueNote
from server.models.merge import EqualityDay
from server.period import DEFAULT_DAYS, Period, default_period
from server.reach.groups import EqualityQuestion, equality_catalogue, method_label
from server.reach.ledger import SUPPRESS_UNDER
from survey_schemas import METHODS, Taxonomy, default_taxonomy
from survey_schemas.dates import clamp

TOP_CANDIDATES = 5
THIN_METHOD = 5
CONCERNS = 5


def _thin(
    doc: AreaPriorities,
    equality: dict[str, dict[str, int]],
    households: int | None,
    asked: dict[str, EqualityQuestion],
) -> list[str]:
    """Say, in words, which methods and groups of people are too thin to lean on."""
    out: list[str] = []
    if not doc.respondents:  # the agenda says "no survey responses" once, not per method
        return out
    by = doc.respondents_by_method
    for m in METHODS:
        if by.get(m, 0) < THIN_METHOD:
            out.append(f"{method_label(m)}: {'no' if not by.get(m) else 'fewer than 5'} responses")
    if households and doc.respondents and doc.respondents / households < 0.02:
        out.append(f"reached {doc.respondents} of {households} households")
    for qid in sorted(equality):
        q = asked.get(qid)
        values = equality[qid]
        if q is None:  # answers to a question no stored version asks any more
            few = sorted(v for v, n in values.items() if n < SUPPRESS_UNDER)
            none: list[str] = []
        else:
            few = [t for v, t in q.groups if 0 < values.get(v, 0) < SUPPRESS_UNDER]
            none = [t for v, t in q.groups if not values.get(v)]
        name = q.name if q else qid
        if none:
            out.append(f"{name}: no one answered {_either(none)}")
        if few:
            out.append(f"{name}: fewer than 5 answered {_either(few)}")
    return out


def _either(labels: list[str]) -> str:
    quoted = [f"“{t}”" for t in labels]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _equality(session: Session, area: str, period: Period) -> dict[str, dict[str, int]]:
    q = select(EqualityDay.question, EqualityDay.value, EqualityDay.respondents).where(
        EqualityDay.area == area, EqualityDay.day >= period.since, EqualityDay.day <= period.until
    )
    out: dict[str, dict[str, int]] = {}
    for question, value, n in session.execute(q):
        out.setdefault(question, {})
        out[question][value] = out[question].get(value, 0) + n
    return out


def provider_updates(previous: tuple[StatusItem, ...]) -> tuple[ProviderUpdate, ...]:
    """Group the open (agreed or in progress) priorities by owner, owners by name."""
    by: dict[str, list[StatusItem]] = {}
    for p in previous:
        if p.status in ACTIVE and p.owner:
            by.setdefault(p.owner.strip(), []).append(p)
    return tuple(ProviderUpdate(o, tuple(by[o])) for o in sorted(by, key=str.lower))


def build_agenda(
    session: Session,
    group: Group,
    on: date,
    *,
    days: int = DEFAULT_DAYS,
    weights: Weights | None = None,
    taxonomy: Taxonomy | None = None,
    today: date | None = None,
    thresholds: Thresholds = DEFAULT,
) -> Agenda:
    """Return the agenda of ``group``'s meeting on ``on``; overdue items carry over themselves.

    Survey results run up to and including the meeting day, but never past ``today`` (the
    afternoon's door-knocking counts for tonight's meeting; a future meeting shows results so far).
    """
    taxonomy = taxonomy or default_taxonomy()
    # A meeting stored on a day outside the range (before the edge checked) still gets an
    # agenda: its figures are those of the nearest day in the range, never an overflow.
    figures_day = clamp(min(on, today) if today else on)
    period = default_period(figures_day, days)
    areas = list(session.scalars(select(Area).where(Area.group_id == group.id).order_by(Area.code)))
    names = {a.code: a.name for a in areas}
    this = meeting_on(session, group, on)
    last = last_meeting(session, group, on)

    def label(code: str) -> str:
        return taxonomy[code].label_in("en") if code in taxonomy else code

    last_actions: list[tuple[date, str]] = []
    if last is not None:
        q = (
            select(IssueNote)
            .where(IssueNote.meeting_id == last.id)
            .order_by(IssueNote.on, IssueNote.id)
        )
        last_actions = [(n.on, n.text) for n in session.scalars(q) if n.kind in UPDATES]
    issues = active_issues(session, names, since=last.date if last else None)
    previous = tuple(
        StatusItem(
            area=t.issue.area,
            area_name=names.get(t.issue.area, t.issue.area),
            category=t.issue.category,
            label=label(t.issue.category),
            status=t.issue.status,
            owner=t.issue.owner,
            report_back=t.plan.report_back if t.plan else None,
            overdue=t.overdue,
            notes=tuple((n.on, n.text) for n in t.log if n.kind in UPDATES)[-3:],
            moves=tuple(t.moves()),
        )
        for t in tracked(session, issues, on)
    )
    imported, end = latest_month(session), month_of(period.until)
    crime_months = months_to(min(imported, end) if imported else end)
    results: list[AreaResults] = []
    pool: list[Candidate] = []
    concerns: list[Concern] = []
    asked = equality_catalogue(session)
    for a in areas:
        doc = area_priorities(session, a, period, weights=weights, taxonomy=taxonomy)
        cands = tuple(Candidate(a.name, p) for p in doc.issues[:TOP_CANDIDATES])
        pool += [c for c in cands if c.issue.status not in ACTIVE]
        thin = _thin(doc, _equality(session, a.code, period), a.households, asked)
        crime = compare(session, a, crime_months, taxonomy)
        results.append(
            AreaResults(
                code=a.code,
                name=a.name,
                respondents=doc.respondents,
                respondents_by_method=doc.respondents_by_method,
                candidates=cands,
                thin=tuple(thin),
                crime=(f"{crime.period_label}.", *crime.findings) if crime.imported else (),
            )
        )
        for p in doc.issues:
            concerns += [Concern(a.name, q.text, q.people) for q in p.quotes[:1]]
    concerns.sort(key=lambda c: (-c.people, c.area, c.text))
    pool.sort(key=lambda c: (-c.issue.mentions, -c.issue.score, c.area, c.issue.category))
    found = escalations(session, names, figures_day, thresholds)
    escalated = tuple(
        EscalatedItem(
            e.area,
            names[e.area],
            e.category,
            label(e.category),
            e.kind,
            e.reason,
            e.since,
            e.residents,
        )  # fmt: skip
        for e in sorted(
            found.values(), key=lambda e: (e.kind != OVERDUE_TWICE, -e.residents, e.area)
        )
    )
    return Agenda(
        escalated=escalated,
        group=group.code,
        group_name=group.name,
        date=on,
        time=this.time if this else "",
        venue=this.venue if this else "",
        chair=this.chair if this else "",
        since=period.since,
        until=period.until,
        apologies=tuple(this.apologies or ()) if this else (),
        last_meeting=last.date if last else None,
        last_minutes=last.minutes if last else "",
        last_actions=tuple(last_actions),
        previous=previous,
        updates=provider_updates(previous),
        areas=tuple(results),
        concerns=tuple(concerns[:CONCERNS]),
        shortlist=tuple(pool[:MAX_SHORTLIST]),
        aob=tuple(this.aob or ()) if this else (),
        next_date=this.next_date if this else None,
    )
