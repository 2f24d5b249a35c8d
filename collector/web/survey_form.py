"""The stepped survey form of doorstep mode, as the survey page and the door page draw it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from collector.web import forms
from collector.web.steps import plan_steps
from survey_schemas import Survey

__all__ = ["Step", "survey_form", "wanted_step"]


@dataclass(frozen=True)
class Step:
    """One screen of the survey: its questions, ready to draw."""

    number: int
    fields: tuple[forms.FieldView, ...]

    @property
    def has_error(self) -> bool:
        """Return whether a question of this step has a problem to show."""
        return any(f.error for f in self.fields)


def wanted_step(raw: str | None) -> int:
    """Return the step a posted form asks to reopen (after a language switch), or 0."""
    try:
        return max(0, int(raw or 0))
    except ValueError:
        return 0


def survey_form(
    survey: Survey,
    lang: str,
    *,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    suggestions: Iterable[str] = (),
    start: int = 0,
    contact: bool = True,
) -> dict[str, Any]:
    """Return what ``_survey_form.html`` needs: the steps, every field, where to start.

    Without ``contact`` (no contact key for the area's group) the contact questions are left
    out and ``no_contact`` says so, for the page to tell why.
    """
    left_out = forms.contact_questions(survey) if not contact else frozenset()
    fields = forms.field_views(survey, lang, values=values, errors=errors, suggestions=suggestions)
    fields = [f for f in fields if f.qid not in left_out]
    by_id = {f.qid: f for f in fields}
    planned = [[q for q in ids if q in by_id] for ids in plan_steps(survey)]
    steps = [Step(n, tuple(by_id[q] for q in ids)) for n, ids in enumerate(i for i in planned if i)]
    first_error = next((s.number for s in steps if s.has_error), None)
    return {
        "survey": survey,
        "fields": fields,
        "steps": steps,
        "start_step": first_error if first_error is not None else min(start, len(steps) - 1),
        "no_contact": bool(left_out),
    }
