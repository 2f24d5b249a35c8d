"""Split any survey into short steps for a phone held in one hand.

GOV.UK's "one thing per page" where it helps, a few related questions per screen where that is
faster. The rules, in survey order, need nothing from the survey's author:

1. A required consent question ends its step: every later question waits on its answer.
2. A follow-up (a question whose condition names a question already in the step, leaving aside
   "consent is yes") joins that step, so it appears under the answer it follows.
3. Quick questions (one tap: single choice, yes/no, scale, consent; at most ``QUICK_CHOICES``
   options) that share the same condition go together, up to ``PER_STEP`` of them.
4. Anything else starts a new step.

The page carries every step (so it works offline and without JavaScript); ``app.js`` shows
one step at a time, skipping steps none of whose questions apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collector.web.forms import without_consent
from survey_schemas import Question, Survey

__all__ = ["PER_STEP", "QUICK_CHOICES", "plan_steps"]

PER_STEP = 3
QUICK_CHOICES = 8
_ONE_TAP = frozenset({"single_choice", "yes_no", "scale", "consent"})


def _condition(survey: Survey, q: Question) -> Mapping[str, Any] | None:
    return without_consent(survey, q.relevant) if q.relevant is not None else None


def _names(expr: Mapping[str, Any] | None) -> set[str]:
    """Return the question ids a condition refers to."""
    if not expr:
        return set()
    if "all" in expr or "any" in expr:
        return {n for part in expr.get("all", expr.get("any")) for n in _names(part)}
    if "not" in expr:
        return _names(expr["not"])
    return {expr["question"]} if "question" in expr else set()


def _quick(q: Question) -> bool:
    if q.type not in _ONE_TAP:
        return False
    if q.type == "scale":
        return (q.max or 5) - (q.min or 1) < QUICK_CHOICES
    return q.type in ("yes_no", "consent") or len(q.choices) <= QUICK_CHOICES


def _gate(q: Question) -> bool:
    return q.type == "consent" and q.required


def plan_steps(survey: Survey) -> list[list[str]]:
    """Return the survey's question ids grouped into steps, in order."""
    steps: list[list[str]] = []
    closed = True
    for q in survey.questions:
        current = steps[-1] if steps else []
        condition = _condition(survey, q)
        follow_up = bool(current) and bool(_names(condition) & set(current))
        together = (
            bool(current)
            and not closed
            and len(current) < PER_STEP
            and _quick(q)
            and all(_quick(o) for o in _questions(survey, current))
            and all(_condition(survey, o) == condition for o in _questions(survey, current))
        )
        if not closed and (follow_up or together):
            current.append(q.id)
        else:
            steps.append([q.id])
        closed = _gate(q)
    return steps


def _questions(survey: Survey, ids: list[str]) -> list[Question]:
    return [q for q in (survey.question(i) for i in ids) if q is not None]
