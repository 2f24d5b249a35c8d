"""Rank an area's issues from their tallies (docs/priorities.md): pure logic, no database.

:func:`rank` works on tallies read from the aggregates; :func:`rank_rows` counts plain rows
itself and is the reference the aggregates must match.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from server.issues.facts import SEVERITY_SCALE, Facts
from server.period import Period
from survey_schemas import METHODS


@dataclass(frozen=True)
class Weights:
    """The score's knobs (settings ``PRIORITY_*``); see docs/priorities.md."""

    share: float = 0.6
    severity: float = 0.3
    trend: float = 0.1
    confidence: float = 3.0
    neutral_severity: float = 0.5
    trend_threshold: float = 0.05


@dataclass
class Tally:
    """Mention counts for one category (or respondents when ``severity_*`` stay zero)."""

    mentions: int = 0
    severity_sum: int = 0
    severity_count: int = 0
    by_method: dict[str, int] = field(default_factory=dict)

    def add(self, method: str, mentions: int, sev_sum: int = 0, sev_count: int = 0) -> None:
        """Add counts seen under ``method``."""
        self.mentions += mentions
        self.severity_sum += sev_sum
        self.severity_count += sev_count
        self.by_method[method] = self.by_method.get(method, 0) + mentions


@dataclass(frozen=True)
class Priority:
    """One ranked issue of an area over a period."""

    category: str
    mentions: int
    respondents: int
    share: float
    mean_severity: float | None
    score: float
    trend: str
    previous_mentions: int
    previous_share: float
    by_method: Mapping[str, int]
    respondents_by_method: Mapping[str, int]

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON shape used by the API and the CLI."""
        return {
            "category": self.category,
            "mentions": self.mentions,
            "respondents": self.respondents,
            "share": self.share,
            "mean_severity": self.mean_severity,
            "score": self.score,
            "trend": self.trend,
            "previous": {"mentions": self.previous_mentions, "share": self.previous_share},
            "by_method": dict(self.by_method),
            "respondents_by_method": dict(self.respondents_by_method),
        }


def _share(mentions: int, respondents: int) -> float:
    return mentions / respondents if respondents else 0.0


def score(tally: Tally, respondents: int, previous_share: float, weights: Weights) -> float:
    """Return the priority score of one category (docs/priorities.md), rounded to 2 places."""
    share = _share(tally.mentions, respondents)
    sev = (
        tally.severity_sum / tally.severity_count / SEVERITY_SCALE
        if tally.severity_count
        else weights.neutral_severity
    )
    change = share - previous_share
    confidence = tally.mentions / (tally.mentions + weights.confidence) if tally.mentions else 0.0
    raw = weights.share * share + weights.severity * sev + weights.trend * change
    return round(100 * confidence * raw, 2) + 0.0  # + 0.0 turns -0.0 into 0.0


def trend(
    mentions: int, share: float, previous_mentions: int, previous_share: float, weights: Weights
) -> str:
    """Return ``new``, ``up``, ``down`` or ``steady`` against the previous period."""
    if previous_mentions == 0:
        return "new" if mentions else "steady"
    change = share - previous_share
    if change >= weights.trend_threshold:
        return "up"
    if change <= -weights.trend_threshold:
        return "down"
    return "steady"


def rank(
    current: Mapping[str, Tally],
    respondents: Tally,
    previous: Mapping[str, Tally],
    previous_respondents: Tally,
    weights: Weights | None = None,
) -> list[Priority]:
    """Rank categories by the people who raised them, most first; then by score; then by code.

    People can check a count, so the order never contradicts it (97 people never sit above
    103); the score (share, severity, trend, damped for small numbers) orders issues raised
    by the same number of people (docs/priorities.md).
    """
    weights = weights or Weights()
    out = []
    for code, tally in current.items():
        if tally.mentions <= 0:
            continue
        prev = previous.get(code, Tally())
        share = _share(tally.mentions, respondents.mentions)
        prev_share = _share(prev.mentions, previous_respondents.mentions)
        mean = (
            round(1 + 4 * tally.severity_sum / tally.severity_count / SEVERITY_SCALE, 2)
            if tally.severity_count
            else None
        )
        out.append(
            Priority(
                category=code,
                mentions=tally.mentions,
                respondents=respondents.mentions,
                share=round(share, 4),
                mean_severity=mean,
                score=score(tally, respondents.mentions, prev_share, weights),
                trend=trend(tally.mentions, share, prev.mentions, prev_share, weights),
                previous_mentions=prev.mentions,
                previous_share=round(prev_share, 4),
                by_method={m: tally.by_method.get(m, 0) for m in METHODS},
                respondents_by_method={m: respondents.by_method.get(m, 0) for m in METHODS},
            )
        )
    out.sort(key=lambda p: (-p.mentions, -p.score, p.category))
    return out


@dataclass(frozen=True, slots=True)
class Row:
    """A response reduced to what merging needs."""

    area: str
    method: str
    day: date
    facts: Facts


def tally_rows(
    rows: Iterable[Row], area: str, period: Period, method: str | None = None
) -> tuple[dict[str, Tally], Tally]:
    """Count mentions and respondents of ``area`` in ``period`` straight from rows."""
    cats: dict[str, Tally] = {}
    resp = Tally()
    for r in rows:
        if r.area != area or r.day not in period or (method and r.method != method):
            continue
        resp.add(r.method, 1)
        for code, sev in r.facts.mentions.items():
            t = cats.setdefault(code, Tally())
            t.add(r.method, 1, sev or 0, 0 if sev is None else 1)
    return cats, resp


def rank_rows(
    rows: Iterable[Row],
    area: str,
    period: Period,
    method: str | None = None,
    weights: Weights | None = None,
) -> list[Priority]:
    """Rank an area's issues straight from rows: the reference the aggregates must match."""
    rows = list(rows)
    cur, resp = tally_rows(rows, area, period, method)
    prev, prev_resp = tally_rows(rows, area, period.previous(), method)
    return rank(cur, resp, prev, prev_resp, weights)
