"""response_facts, worked out once per survey version, gives what reading every question gives."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from server.issues.facts import Facts, FreeText, _severity, equality_questions, response_facts
from server.issues.scrub import scrub
from survey_schemas import Survey, bundled_registry
from survey_schemas.relevance import referenced_questions

SURVEYS = list(bundled_registry())  # every bundled version, the released ones too


def reference(survey: Survey, answers: Mapping[str, Any]) -> Facts:
    """Read every question of the survey for every response (the plain way)."""
    qualifies: dict[str, int] = {}
    for q in survey.questions:
        if q.type == "scale" and q.severity_for:
            sev = _severity(q, answers.get(q.id))
            if sev is not None:
                qualifies[q.severity_for] = max(sev, qualifies.get(q.severity_for, 0))
    mentions: dict[str, int | None] = {}
    texts: list[FreeText] = []
    equality: list[tuple[str, str]] = []
    marked = equality_questions(survey)
    for q in survey.questions:
        value = answers.get(q.id)
        if value is None:
            continue
        if q.type in ("single_choice", "multiple_choice"):
            sev = qualifies.get(q.id)
            for v in value if isinstance(value, list) else [value]:
                c = q.choice(v) if isinstance(v, str) else None
                if c is None or c.category is None:
                    continue
                old = mentions.get(c.category)
                mentions[c.category] = sev if old is None else max(old, sev or 0)
            if q.id in marked and isinstance(value, str):
                equality.append((q.id, value))
        elif q.type == "text" and q.issue_text and isinstance(value, str) and value.strip():
            refs = referenced_questions(q.relevant) if q.relevant else set()
            sevs = [qualifies[r] for r in sorted(refs) if r in qualifies]
            texts.append(FreeText(q.id, scrub(value), max(sevs) if sevs else None))
        elif q.id in marked and isinstance(value, str | bool):
            equality.append((q.id, str(value).lower() if isinstance(value, bool) else value))
    return Facts(mentions, tuple(texts), tuple(equality))


def _value(q: Any) -> st.SearchStrategy[Any]:
    values = [c.value for c in q.choices] + ["bogus"]
    choice = st.sampled_from(values)
    return (
        st.none()
        | choice
        | st.lists(choice | st.integers(), max_size=4)
        | st.integers(-1, 7)
        | st.floats(-1, 7)
        | st.booleans()
        | st.text(max_size=20)
        | st.just("call 07700 900123 at 12 Mill Lane")
    )


@st.composite
def survey_and_answers(draw: st.DrawFn) -> tuple[Survey, dict[str, Any]]:
    survey = draw(st.sampled_from(SURVEYS))
    optional = {q.id: _value(q) for q in survey.questions}
    return survey, draw(st.fixed_dictionaries({}, optional=optional))


@settings(max_examples=150, deadline=None)
@given(case=survey_and_answers())
def test_planned_facts_match_reading_every_question(case: tuple[Survey, dict[str, Any]]) -> None:
    survey, answers = case
    got, want = response_facts(survey, answers), reference(survey, answers)
    assert got == want
    assert list(got.mentions) == list(want.mentions)  # the same order, too
