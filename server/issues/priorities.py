"""Ranked priorities for an area, read from the maintained aggregates (no Flask)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, func, literal, select, union_all
from sqlalchemy.orm import Session

from server.issues.ranking import Priority, Tally, Weights, rank
from server.models import Area, Issue
from server.models.merge import MentionDay, MentionMonth, RespondentDay, RespondentMonth, TriageItem
from server.period import Period
from survey_schemas import METHODS, Taxonomy, default_taxonomy

WEIGHT_SETTINGS = {
    "PRIORITY_WEIGHT_SHARE": "share",
    "PRIORITY_WEIGHT_SEVERITY": "severity",
    "PRIORITY_WEIGHT_TREND": "trend",
    "PRIORITY_CONFIDENCE": "confidence",
    "PRIORITY_NEUTRAL_SEVERITY": "neutral_severity",
    "PRIORITY_TREND_THRESHOLD": "trend_threshold",
}
QUOTES = 3


# A severity is scaled 0-1, so an assumed one above 1 would outrank every rated issue.
_AT_MOST_ONE = frozenset({"PRIORITY_NEUTRAL_SEVERITY"})


def weights_from(config: Mapping[str, Any]) -> Weights:
    """Return the score weights from any ``PRIORITY_*`` settings in ``config``.

    Raise ``ValueError`` naming the setting when one is not a finite number >= 0 (or, for the
    neutral severity, above 1): a NaN or infinite weight would rank every issue alike, and a
    negative one would rank the least raised issues first.
    """
    given = {}
    for name, attr in WEIGHT_SETTINGS.items():
        if config.get(name) is None:
            continue
        try:
            value = float(config[name])
        except (TypeError, ValueError):
            value = math.nan
        top = 1.0 if name in _AT_MOST_ONE else math.inf
        if not (math.isfinite(value) and 0 <= value <= top):
            bound = "between 0 and 1" if name in _AT_MOST_ONE else "a finite number of 0 or more"
            raise ValueError(f"DOORSTEP_{name}: {config[name]!r} must be {bound}")
        given[attr] = value
    return Weights(**given)


def _next_month(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def split_months(p: Period) -> tuple[list[date], list[tuple[date, date]]]:
    """Return the whole calendar months inside a period and the day ranges left at its edges."""
    m = p.since if p.since.day == 1 else _next_month(p.since)
    months = []
    while _next_month(m) - timedelta(days=1) <= p.until:
        months.append(m)
        m = _next_month(m)
    if not months:
        return [], [(p.since, p.until)]
    edges = []
    if p.since < months[0]:
        edges.append((p.since, months[0] - timedelta(days=1)))
    if m <= p.until:
        edges.append((m, p.until))
    return months, edges


_TABLES = {
    "day": (MentionDay, MentionDay.day, RespondentDay, RespondentDay.day),
    "month": (MentionMonth, MentionMonth.month, RespondentMonth, RespondentMonth.month),
}


@lru_cache(maxsize=64)
def _statements(shape: tuple[tuple[int, str], ...], by_method: bool) -> tuple[Any, Any]:
    """Build (once per shape) the UNION ALL of one clean key range per branch, with bind params."""
    m_branches, r_branches = [], []
    for i, (flag, kind) in enumerate(shape):
        mt, mcol, rt, rcol = _TABLES[kind]
        lo, hi = bindparam(f"lo{i}"), bindparam(f"hi{i}")
        q = (
            select(
                literal(flag),
                mt.category,
                mt.method,
                func.sum(mt.mentions),
                func.sum(mt.severity_sum),
                func.sum(mt.severity_count),
            )
            .where(mt.area == bindparam("area"), mcol >= lo, mcol <= hi)
            .group_by(mt.category, mt.method)
        )
        m_branches.append(q.where(mt.method == bindparam("method")) if by_method else q)
        rq = (
            select(literal(flag), rt.method, func.sum(rt.respondents))
            .where(rt.area == bindparam("area"), rcol >= lo, rcol <= hi)
            .group_by(rt.method)
        )
        r_branches.append(rq.where(rt.method == bindparam("method")) if by_method else rq)
    return union_all(*m_branches), union_all(*r_branches)


def tallies(
    session: Session, area: str, period: Period, method: str | None = None
) -> tuple[dict[str, Tally], Tally, dict[str, Tally], Tally]:
    """Sum the aggregates of ``area`` for a period and the one before it.

    Whole months come from the month rollups, the days at the edges from the day rows, each
    range its own branch of one UNION ALL (a clean key range each), so a long period reads a
    few hundred rows however many responses are stored.
    """
    shape: list[tuple[int, str]] = []
    params: dict[str, Any] = {"area": area, "method": method}
    for flag, p in ((0, period.previous()), (1, period)):
        months, edges = split_months(p)
        ranges = [("day", a, b) for a, b in edges]
        if months:
            ranges.append(("month", months[0], months[-1]))
        for kind, lo, hi in ranges:
            params[f"lo{len(shape)}"], params[f"hi{len(shape)}"] = lo, hi
            shape.append((flag, kind))
    mentions_q, respondents_q = _statements(tuple(shape), method is not None)
    cur: dict[str, Tally] = {}
    old: dict[str, Tally] = {}
    for flag, code, m, n, ssum, scount in session.execute(mentions_q, params):
        (cur if flag else old).setdefault(code, Tally()).add(m, int(n), int(ssum), int(scount))
    resp, old_resp = Tally(), Tally()
    for flag, m, n in session.execute(respondents_q, params):
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


@dataclass(frozen=True)
class Quote:
    """A reviewed, scrubbed comment and how many people said it (the same words, normalised)."""

    text: str
    people: int


def quotes(session: Session, area: str, period: Period, limit: int = QUOTES) -> dict[str, list]:
    """Return up to ``limit`` reviewed quotes per category: most often said first."""
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
    out: dict[str, list[Quote]] = {}
    for code, _h, n, text in rows:
        if len(out.setdefault(code, [])) < limit:
            out[code].append(Quote(text, int(n)))
    return out


def statuses(session: Session, area: str) -> dict[str, Issue]:
    """Return the area's issues by category."""
    return {i.category: i for i in session.scalars(select(Issue).where(Issue.area == area))}


@dataclass(frozen=True, kw_only=True)
class RankedIssue(Priority):
    """A ranked issue as people see it: its figures, label, status, owner and quotes."""

    label: str
    status: str = "open"
    owner: str | None = None
    quotes: tuple[Quote, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON shape of one ranked issue (the API's and the CLI's)."""
        out = super().as_dict()
        out.update(
            label=self.label,
            status=self.status,
            owner=self.owner,
            quotes=[q.text for q in self.quotes],
        )
        return out


@dataclass(frozen=True)
class AreaPriorities:
    """An area's ranked issues over a period, and how many residents they come from."""

    area_code: str
    area_name: str
    period: Period
    method: str | None
    respondents: int
    respondents_by_method: Mapping[str, int]
    issues: tuple[RankedIssue, ...]

    def as_dict(self) -> dict[str, Any]:
        """Return the priorities document of the API (``GET …/priorities``) and the CLI."""
        return {
            "area": {"code": self.area_code, "name": self.area_name},
            "since": self.period.since.isoformat(),
            "until": self.period.until.isoformat(),
            "method": self.method,
            "respondents": self.respondents,
            "respondents_by_method": dict(self.respondents_by_method),
            "priorities": [i.as_dict() for i in self.issues],
        }


_PRIORITY_FIELDS = tuple(f.name for f in fields(Priority))


def area_priorities(
    session: Session,
    area: Area,
    period: Period,
    method: str | None = None,
    weights: Weights | None = None,
    taxonomy: Taxonomy | None = None,
    lang: str = "en",
) -> AreaPriorities:
    """Return an area's ranked issues: what the API, CLI, pages and agenda all show."""
    taxonomy = taxonomy or default_taxonomy()
    items, resp = ranked(session, area.code, period, method, weights)
    issues = statuses(session, area.code)
    said = quotes(session, area.code, period)
    out = []
    for p in items:
        cat = taxonomy.categories.get(p.category)
        issue = issues.get(p.category)
        out.append(
            RankedIssue(
                **{name: getattr(p, name) for name in _PRIORITY_FIELDS},
                label=cat.label_in(lang) if cat else p.category,
                status=issue.status if issue else "open",
                owner=issue.owner if issue else None,
                quotes=tuple(said.get(p.category, ())),
            )
        )
    return AreaPriorities(
        area_code=area.code,
        area_name=area.name,
        period=period,
        method=method,
        respondents=resp.mentions,
        respondents_by_method={m: resp.by_method.get(m, 0) for m in METHODS},
        issues=tuple(out),
    )
