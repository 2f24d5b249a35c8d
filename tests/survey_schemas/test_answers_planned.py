"""The per-survey checks and quick paths of validate_answers give the very same field errors."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey_schemas import Survey, load_survey, validate_answers
from survey_schemas.answers import check_value, is_answered, per_survey
from survey_schemas.relevance import is_relevant

from .conftest import BASE, question
from .test_answers import _answer_dicts


def reference(survey: Survey, answers: Any) -> dict[str, list[str]]:
    """Check every question straight from its definition, every answer by check_value."""
    if not isinstance(answers, dict):
        return {"answers": ["must be an object of question id to answer"]}
    errors: dict[str, list[str]] = {}
    for key in answers:
        if not isinstance(key, str) or survey.question(key) is None:
            errors[str(key)] = ["not a question in this survey"]
    given: dict[str, Any] = {}
    broken: set[str] = set()
    for q in survey.questions:
        value = answers.get(q.id)
        if q.depends_on & broken:
            broken.add(q.id)
            continue
        if not is_relevant(q.relevant, given):
            if is_answered(value):
                errors[q.id] = ["must be left unanswered: it does not apply given earlier answers"]
            continue
        if not is_answered(value):
            if q.required:
                errors[q.id] = ["an answer is required"]
            continue
        problem = check_value(q, value)
        if problem:
            errors[q.id] = [problem]
            broken.add(q.id)
        else:
            given[q.id] = value
    return errors


def _bounded() -> Survey:
    """Return the small survey with choice counts bounded and two exclusive choices."""
    definition = copy.deepcopy(BASE)
    question(definition, "concerns")["constraint"] = {
        "exclusive": ["none", "other"],
        "min_selected": 1,
        "max_selected": 1,
    }
    return load_survey(definition)


BOUNDED = _bounded()


def _value(q: Any) -> st.SearchStrategy[Any]:
    """Return answers to ``q`` that are mostly of its type, near and past its limits."""
    near = st.none() | st.just("") | st.just([])
    if q.choices:
        values = [c.value for c in q.choices]
        choice = st.sampled_from([*values, "bogus"])
        several = st.lists(st.sampled_from(values), min_size=2, max_size=3, unique=True)
        lists = st.lists(choice, max_size=4) | several | st.lists(st.integers(), max_size=2)
        return near | choice | lists
    if q.type in ("number", "scale"):
        return near | st.integers(-2, 12) | st.floats(-2, 12) | st.booleans()
    if q.type in ("yes_no", "consent"):
        return near | st.booleans() | st.integers(0, 1) | st.just("yes")
    if q.type == "date":
        return near | st.sampled_from(["2001-02-03", "1900-01-01", "2001-02-30", "soon"])
    return near | st.text(max_size=25) | st.integers()


def _answers(survey: Survey) -> st.SearchStrategy[Any]:
    typed = st.fixed_dictionaries({}, optional={q.id: _value(q) for q in survey.questions})
    return typed | _answer_dicts(survey)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_planned_checks_match_checking_every_answer(
    survey: Survey, doorstep: Survey, data: st.DataObject
) -> None:
    for target in (survey, doorstep, BOUNDED):
        answers = data.draw(_answers(target))
        assert validate_answers(target, answers) == reference(target, answers)


@pytest.mark.parametrize(
    ("answers", "errors"),
    [
        ({"concerns": ["speeding", "litter"]}, {"concerns": ["choose at most 1"]}),
        ({"concerns": ["none", "speeding"]}, {"concerns": ["'none' cannot be chosen together"]}),
        ({"concerns": ["litter", "litter"]}, {"concerns": ["a choice is listed twice"]}),
        ({"severity": True}, {"severity": ["must be a number"]}),
        ({"severity": 6}, {"severity": ["must be at most 5"]}),
        ({"owner": 1}, {"owner": ["must be true or false"]}),
    ],
)
def test_quick_paths_leave_every_error_to_check_value(answers, errors) -> None:
    got = validate_answers(BOUNDED, {"consent": True, "concerns": ["speeding"], **answers})
    assert {k: [m[: len(errors[k][0])] for m in v] for k, v in got.items()} == errors


def test_a_survey_object_is_worked_out_once_and_never_mixed_up() -> None:
    built: list[str] = []

    @per_survey
    def title(survey: Survey) -> str:
        built.append(survey.title["en"])
        return survey.title["en"]

    first = load_survey(copy.deepcopy(BASE))
    renamed = copy.deepcopy(BASE)
    renamed["title"]["en"] = "Same id and version, other content"
    second = load_survey(renamed)
    assert [title(first), title(first), title(second), title(first)] == [
        "Street check",
        "Street check",
        "Same id and version, other content",
        "Street check",
    ]
    assert built == ["Street check", "Same id and version, other content"]
