"""Turn responses into per-area issue counts and rank them: pure logic on plain objects.

What a response contributes is read from its survey definition, never from question ids:

* a chosen choice whose ``category`` is set is a *mention* of that issue (once per response, however
  many questions name it);
* a ``scale`` question with ``severity_for`` qualifies the mentions coming from the named question;
  severities are kept as whole numbers 0–100 (the answer's place on its scale) so sums stay exact;
* ``issue_text`` answers are free text for triage, scrubbed of personal data.

Ranking (:func:`rank`) follows docs/priorities.md. No Flask, no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from server.issues.scrub import scrub
from survey_schemas import METHODS, Survey
from survey_schemas.answers import per_survey
from survey_schemas.relevance import referenced_questions

SEVERITY_SCALE = 100


@dataclass(frozen=True, slots=True)
class FreeText:
    """A scrubbed ``issue_text`` answer and the severity a mention from it would carry."""

    question: str
    text: str
    severity: int | None = None


@dataclass(frozen=True, slots=True)
class Facts:
    """What one response contributes: mentions (category → severity), texts, equality answers."""

    mentions: Mapping[str, int | None]
    texts: tuple[FreeText, ...] = ()
    equality: tuple[tuple[str, str], ...] = ()


def _severity(q: Any, value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    lo, hi = q.min if q.min is not None else 1, q.max if q.max is not None else 5
    if hi <= lo:
        return None
    frac = min(max((value - lo) / (hi - lo), 0.0), 1.0)
    return round(frac * SEVERITY_SCALE)


def _equality_questions(survey: Survey) -> set[str]:
    """Return the questions marked ``"x-equality": true`` (optional equality monitoring)."""
    raw = survey.definition.get("questions", []) if survey.definition else []
    return {q["id"] for q in raw if isinstance(q, dict) and q.get("x-equality") and "id" in q}


@dataclass(frozen=True, slots=True)
class _Step:
    """One question that can contribute facts, with what its survey says about it."""

    question: Any
    kind: str  # "choice", "text" (issue text) or "equality" (any other marked question)
    categories: Mapping[str, str | None]  # choice value -> its category (first choice wins)
    refs: tuple[str, ...]  # an issue text's relevance questions, sorted
    marked: bool  # an equality-monitoring question


@dataclass(frozen=True, slots=True)
class _FactsPlan:
    """What ``response_facts`` reads from a survey version, worked out once per version."""

    scales: tuple[Any, ...]  # scale questions with ``severity_for``
    steps: tuple[_Step, ...]  # in question order


@per_survey
def _facts_plan(survey: Survey) -> _FactsPlan:
    marked = _equality_questions(survey)
    steps = []
    for q in survey.questions:
        if q.type in ("single_choice", "multiple_choice"):
            categories: dict[str, str | None] = {}
            for c in q.choices:
                categories.setdefault(c.value, c.category)
            if any(categories.values()) or q.id in marked:
                steps.append(_Step(q, "choice", categories, (), q.id in marked))
        elif q.type == "text" and q.issue_text:
            refs = tuple(sorted(referenced_questions(q.relevant))) if q.relevant else ()
            steps.append(_Step(q, "text", {}, refs, q.id in marked))
        elif q.id in marked:
            steps.append(_Step(q, "equality", {}, (), True))
    scales = tuple(q for q in survey.questions if q.type == "scale" and q.severity_for)
    return _FactsPlan(scales, tuple(steps))


def response_facts(survey: Survey, answers: Mapping[str, Any]) -> Facts:
    """Return the mentions, free text and equality answers of one response to ``survey``."""
    plan = _facts_plan(survey)
    qualifies: dict[str, int] = {}
    for q in plan.scales:
        sev = _severity(q, answers.get(q.id))
        if sev is not None:
            # two scales for one question: the stronger one speaks for the resident
            qualifies[q.severity_for] = max(sev, qualifies.get(q.severity_for, 0))
    mentions: dict[str, int | None] = {}
    texts: list[FreeText] = []
    equality: list[tuple[str, str]] = []
    for step in plan.steps:
        qid = step.question.id
        value = answers.get(qid)
        if value is None:
            continue
        if step.kind == "choice":
            sev = qualifies.get(qid)
            for v in value if isinstance(value, list) else (value,):
                category = step.categories.get(v) if isinstance(v, str) else None
                if category is None:
                    continue
                old = mentions.get(category)
                mentions[category] = sev if old is None else max(old, sev or 0)
            if step.marked and isinstance(value, str):
                equality.append((qid, value))
        elif step.kind == "text" and isinstance(value, str) and value.strip():
            sevs = [qualifies[r] for r in step.refs if r in qualifies]
            texts.append(FreeText(qid, scrub(value), max(sevs) if sevs else None))
        elif step.marked and isinstance(value, str | bool):
            equality.append((qid, str(value).lower() if isinstance(value, bool) else value))
    return Facts(mentions, tuple(texts), tuple(equality))


def day_of(collected_at: datetime) -> date:
    """Return the UTC calendar day a response counts towards (naive times are taken as UTC)."""
    if collected_at.tzinfo is None:
        return collected_at.date()
    return collected_at.astimezone(UTC).date()


@dataclass(frozen=True)
class Period:
    """An inclusive range of days."""

    since: date
    until: date

    @property
    def days(self) -> int:
        """Return the number of days covered."""
        return (self.until - self.since).days + 1

    def previous(self) -> Period:
        """Return the period of equal length just before this one."""
        return Period(self.since - timedelta(days=self.days), self.since - timedelta(days=1))

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.since <= day <= self.until


def default_period(today: date, days: int = 90) -> Period:
    """Return the last ``days`` days up to and including ``today``."""
    return Period(today - timedelta(days=days - 1), today)


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
    """Rank categories by score, highest first; ties go to the smaller category code."""
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
    out.sort(key=lambda p: (-p.score, p.category))
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
