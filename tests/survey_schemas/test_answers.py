"""Answer validation: each rule passes and fails by field; random input never raises."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey_schemas import Survey, is_answered, load_survey, validate_answers

from .conftest import question

VALID_ANSWERS = {"consent": True, "concerns": ["speeding"]}

PASS: dict[str, dict[str, Any]] = {
    "only the required answers": {},
    "several choices": {"concerns": ["speeding", "litter"]},
    "exclusive choice alone": {"concerns": ["none"]},
    "scale at its bounds": {"severity": 5},
    "scale given as a whole float": {"severity": 3.0},
    "text up to max_length": {"concerns": ["other"], "other_concern": "x" * 20},
    "number within bounds": {"households": 10},
    "date within bounds": {"lived_here": "2001-02-03"},
    "single choice value": {"safe_after_dark": "unsafe"},
    "yes/no false": {"owner": False},
    "street name": {"where": "Elm Street"},
    "consent refused is an answer": {"consent": False},
    "personal data behind consent": {"recontact": True, "contact_phone": "+44 7700 900123"},
    "empty values count as unanswered": {"where": "", "safe_after_dark": None, "owner": None},
    "unanswered irrelevant question": {"other_concern": ""},
}


@pytest.mark.parametrize("extra", PASS.values(), ids=PASS.keys())
def test_answers_that_keep_the_rules_pass(survey: Survey, extra: dict[str, Any]) -> None:
    assert validate_answers(survey, {**VALID_ANSWERS, **extra}) == {}


FAIL: dict[str, tuple[dict[str, Any], str, str]] = {
    "missing required answer": ({"concerns": None}, "concerns", "an answer is required"),
    "required answer empty list": ({"concerns": []}, "concerns", "an answer is required"),
    "unknown question": ({"colour": "red"}, "colour", "not a question in this survey"),
    "choice not in list": (
        {"concerns": ["speed"]},
        "concerns",
        "'speed' is not one of the choices",
    ),
    "choices not a list": ({"concerns": "speeding"}, "concerns", "must be a list of choice values"),
    "choice listed twice": ({"concerns": ["litter", "litter"]}, "concerns", "listed twice"),
    "exclusive choice with another": (
        {"concerns": ["none", "litter"]},
        "concerns",
        "'none' cannot be chosen together with other answers",
    ),
    "single choice as a list": ({"safe_after_dark": ["safe"]}, "safe_after_dark", "one choice"),
    "single choice unknown": ({"safe_after_dark": "fine"}, "safe_after_dark", "not one of"),
    "scale above max": ({"severity": 6}, "severity", "must be at most 5"),
    "scale below min": ({"severity": 0}, "severity", "must be at least 1"),
    "scale fractional": ({"severity": 2.5}, "severity", "must be a whole number"),
    "scale as text": ({"severity": "3"}, "severity", "must be a number"),
    "number as boolean": ({"households": True}, "households", "must be a number"),
    "number not finite": ({"households": float("nan")}, "households", "must be a finite number"),
    "number above max": ({"households": 11}, "households", "must be at most 10"),
    "text too long": (
        {"concerns": ["other"], "other_concern": "x" * 21},
        "other_concern",
        "must be at most 20 characters (got 21)",
    ),
    "text not a string": ({"where": 12}, "where", "must be text"),
    "text with NUL": ({"where": "a\x00b"}, "where", "NUL"),
    "pattern not matched": (
        {"recontact": True, "contact_phone": "call me"},
        "contact_phone",
        "is not in the expected form",
    ),
    "yes/no as text": ({"owner": "yes"}, "owner", "must be true or false"),
    "consent as number": ({"consent": 1}, "consent", "must be true or false"),
    "date in another format": ({"lived_here": "03/02/2001"}, "lived_here", "YYYY-MM-DD"),
    "date impossible": ({"lived_here": "2001-02-30"}, "lived_here", "YYYY-MM-DD"),
    "date before min": ({"lived_here": "1900-01-01"}, "lived_here", "on or after 1950-01-01"),
    "date after max": ({"lived_here": "2031-01-01"}, "lived_here", "on or before 2030-12-31"),
    "answer to an irrelevant question": (
        {"other_concern": "bins"},
        "other_concern",
        "must be left unanswered",
    ),
    "personal data without consent": (
        {"contact_phone": "0123456789"},
        "contact_phone",
        "must be left unanswered",
    ),
    "required relevant answer missing": (
        {"recontact": False, "contact_phone": "0123456789"},
        "contact_phone",
        "must be left unanswered",
    ),
}


@pytest.mark.parametrize("extra,field,message", FAIL.values(), ids=FAIL.keys())
def test_answers_that_break_a_rule_get_a_field_error(
    survey: Survey, extra: dict[str, Any], field: str, message: str
) -> None:
    errors = validate_answers(survey, {**VALID_ANSWERS, **extra})
    assert list(errors) == [field]
    assert message in errors[field][0]


def test_answers_that_are_not_an_object_are_one_error(survey: Survey) -> None:
    assert validate_answers(survey, ["consent"]) == {
        "answers": ["must be an object of question id to answer"]
    }


def test_an_error_does_not_cascade_into_questions_that_depend_on_it(survey: Survey) -> None:
    errors = validate_answers(survey, {"consent": True, "concerns": ["other", "bogus"]})
    assert errors == {"concerns": ["'bogus' is not one of the choices"]}


def test_relevance_follows_the_earlier_answers(doorstep: Survey) -> None:
    base = {"consent": True, "concerns": ["speeding", "other"], "other_concern": "bins"}
    assert validate_answers(doorstep, base) == {}
    assert validate_answers(doorstep, {**base, "concerns": ["speeding"]}) == {
        "other_concern": ["must be left unanswered: it does not apply given earlier answers"]
    }
    assert "other_concern" in validate_answers(doorstep, {**base, "other_concern": ""})


def test_doorstep_refusal_allows_no_further_answers(doorstep: Survey) -> None:
    assert validate_answers(doorstep, {"consent": False}) == {}
    errors = validate_answers(doorstep, {"consent": False, "concerns": ["speeding"]})
    assert list(errors) == ["concerns"]


def test_doorstep_contact_details_need_recontact_consent(doorstep: Survey) -> None:
    answers = {"consent": True, "concerns": ["noise"], "contact_name": "Sam"}
    assert list(validate_answers(doorstep, answers)) == ["contact_name"]
    assert validate_answers(doorstep, {**answers, "recontact": True}) == {}


@pytest.mark.parametrize(
    "value,answered",
    [(None, False), ("", False), ([], False), (0, True), (False, True), ("x", True), ([""], True)],
)
def test_what_counts_as_an_answer(value: Any, answered: bool) -> None:
    assert is_answered(value) is answered


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=30)
    | st.sampled_from(["speeding", "none", "other", "2020-01-01", "yes"]),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)


def _keys(survey: Survey) -> st.SearchStrategy[str]:
    return st.sampled_from([q.id for q in survey.questions]) | st.text(max_size=12)


def _answer_dicts(survey: Survey) -> st.SearchStrategy[Any]:
    choice_values = sorted({c.value for q in survey.questions for c in q.choices})
    value = (
        JSON | st.lists(st.sampled_from(choice_values), max_size=4) | st.sampled_from(choice_values)
    )
    return st.dictionaries(_keys(survey), value, max_size=12) | JSON


def _only_field_errors(survey: Survey, errors: Any) -> None:
    assert isinstance(errors, dict)
    for key, messages in errors.items():
        assert isinstance(key, str)
        assert messages and all(isinstance(m, str) and m for m in messages)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_random_answers_give_ok_or_field_errors_never_an_exception(
    survey: Survey, doorstep: Survey, data: st.DataObject
) -> None:
    for target in (survey, doorstep):
        answers = data.draw(_answer_dicts(target))
        _only_field_errors(target, validate_answers(target, answers))


def test_pattern_python_warns_about_still_checks_answers(definition: dict[str, Any]) -> None:
    question(definition, "where")["constraint"] = {"pattern": "[[a-z]+"}
    survey = load_survey(definition)
    answers = {**VALID_ANSWERS, "where": "[elm"}
    assert validate_answers(survey, answers) == {}
    assert validate_answers(survey, {**answers, "where": "Elm 5"}) == {
        "where": ["is not in the expected form"]
    }
