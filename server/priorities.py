"""Ranked priorities for an area, read from the maintained aggregates (no Flask)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from survey_schemas import METHODS, Taxonomy, default_taxonomy

from .merge import Period, Priority, Tally, Weights, rank
from .models import Area, Issue
from .models.merge import MentionDay, RespondentDay, TriageItem

WEIGHT_SETTINGS = {
    "PRIORITY_WEIGHT_SHARE": "share",
    "PRIORITY_WEIGHT_SEVERITY": "severity",
    "PRIORITY_WEIGHT_TREND": "trend",
    "PRIORITY_CONFIDENCE": "confidence",
    "PRIORITY_NEUTRAL_SEVERITY": "neutral_severity",
    "PRIORITY_TREND_THRESHOLD": "trend_threshold",
}
QUOTES = 3


def weights_from(config: Mapping[str, Any]) -> Weights:
    """Return the score weights, taking any ``PRIORITY_*`` settings present in ``config``."""
    given = {
        attr: float(config[k]) for k, attr in WEIGHT_SETTINGS.items() if config.get(k) is not None
    }
    return Weights(**given)


def tallies(
    session: Session, area: str, period: Period, method: str | None = None
) -> tuple[dict[str, Tally], Tally, dict[str, Tally], Tally]:
    """Sum the day aggregates of ``area`` for a period and the one before it."""
    prev = period.previous()
    is_cur = case((MentionDay.day >= period.since, 1), else_=0)
    q = (
        select(
            is_cur,
            MentionDay.category,
            MentionDay.method,
            func.sum(MentionDay.mentions),
            func.sum(MentionDay.severity_sum),
            func.sum(MentionDay.severity_count),
        )
        .where(
            MentionDay.area == area, MentionDay.day >= prev.since, MentionDay.day <= period.until
        )
        .group_by(is_cur, MentionDay.category, MentionDay.method)
    )
    if method:
        q = q.where(MentionDay.method == method)
    cur: dict[str, Tally] = {}
    old: dict[str, Tally] = {}
    for flag, code, m, n, ssum, scount in session.execute(q):
        (cur if flag else old).setdefault(code, Tally()).add(m, int(n), int(ssum), int(scount))
    r_cur = case((RespondentDay.day >= period.since, 1), else_=0)
    rq = (
        select(r_cur, RespondentDay.method, func.sum(RespondentDay.respondents))
        .where(
            RespondentDay.area == area,
            RespondentDay.day >= prev.since,
            RespondentDay.day <= period.until,
        )
        .group_by(r_cur, RespondentDay.method)
    )
    if method:
        rq = rq.where(RespondentDay.method == method)
    resp, old_resp = Tally(), Tally()
    for flag, m, n in session.execute(rq):
        (resp if flag else old_resp).add(m, int(n))
    return cur, resp, old, old_resp


def ranked(
    session: Session,
    area: str,
    period: Period,
    method: str | None = None,
    weights: Weights | None = None,
) -> tuple[list[Priority], Tally]:
    """Return the area's ranked issues and its respondents for the period."""
    cur, resp, old, old_resp = tallies(session, area, period, method)
    return rank(cur, resp, old, old_resp, weights), resp


def quotes(session: Session, area: str, period: Period, limit: int = QUOTES) -> dict[str, list]:
    """Return up to ``limit`` reviewed, scrubbed quotes per category: most often said first."""
    q = (
        select(TriageItem.category, TriageItem.norm_hash, func.count(), func.max(TriageItem.text))
        .where(
            TriageItem.area == area,
            TriageItem.status == "mapped",
            TriageItem.day >= period.since,
            TriageItem.day <= period.until,
        )
        .group_by(TriageItem.category, TriageItem.norm_hash)
    )
    rows = sorted(session.execute(q), key=lambda r: (r[0], -r[2], r[3]))
    out: dict[str, list[str]] = {}
    for code, _h, _n, text in rows:
        if len(out.setdefault(code, [])) < limit:
            out[code].append(text)
    return out


def statuses(session: Session, area: str) -> dict[str, Issue]:
    """Return the area's issues by category."""
    return {i.category: i for i in session.scalars(select(Issue).where(Issue.area == area))}


def priorities_doc(
    session: Session,
    area: Area,
    period: Period,
    method: str | None = None,
    weights: Weights | None = None,
    taxonomy: Taxonomy | None = None,
    lang: str = "en",
) -> dict[str, Any]:
    """Return the priorities document the API, CLI and agenda share."""
    taxonomy = taxonomy or default_taxonomy()
    items, resp = ranked(session, area.code, period, method, weights)
    issues = statuses(session, area.code)
    said = quotes(session, area.code, period)
    out = []
    for p in items:
        d = p.as_dict()
        cat = taxonomy.categories.get(p.category)
        issue = issues.get(p.category)
        d["label"] = cat.label_in(lang) if cat else p.category
        d["status"] = issue.status if issue else "open"
        d["owner"] = issue.owner if issue else None
        d["quotes"] = said.get(p.category, [])
        out.append(d)
    return {
        "area": {"code": area.code, "name": area.name},
        "since": period.since.isoformat(),
        "until": period.until.isoformat(),
        "method": method,
        "respondents": resp.mentions,
        "respondents_by_method": {m: resp.by_method.get(m, 0) for m in METHODS},
        "priorities": out,
    }


def parse_day(value: str | None, default: date) -> date:
    """Return an ISO date (a datetime's date part is accepted), or ``default`` when empty."""
    if not value:
        return default
    return date.fromisoformat(value[:10])
