"""What one response contributes to the issue lists: pure logic on plain objects.

What a response contributes is read from its survey definition, never from question ids:

* a chosen choice whose ``category`` is set is a *mention* of that issue (once per response, however
  many questions name it);
* a ``scale`` question with ``severity_for`` qualifies the mentions coming from the named question;
  severities are kept as whole numbers 0–100 (the answer's place on its scale) so sums stay exact;
* ``issue_text`` answers are free text for triage, scrubbed of personal data.

No Flask, no database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from server.issues.scrub import scrub
from survey_schemas import Survey
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


def equality_questions(survey: Survey) -> set[str]:
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
    marked = equality_questions(survey)
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
