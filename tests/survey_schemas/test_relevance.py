"""Relevance conditions: the small interpreter and its shape checks."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey_schemas import is_relevant
from survey_schemas.relevance import (
    compile_condition,
    leaf_conditions,
    referenced_questions,
    relevance_problems,
    requires_true,
)

ANSWERS = {"consent": True, "concerns": ["speeding", "other"], "top": "noise", "count": 1}

CASES: list[tuple[Any, bool]] = [
    (None, True),
    ({"question": "consent", "equals": True}, True),
    ({"question": "consent", "equals": False}, False),
    ({"question": "count", "equals": 1}, True),
    ({"question": "count", "equals": True}, False),  # True == 1 in Python, not here
    ({"question": "consent", "equals": 1}, False),
    ({"question": "top", "equals": "noise"}, True),
    ({"question": "missing", "equals": "noise"}, False),
    ({"question": "concerns", "includes": "other"}, True),
    ({"question": "concerns", "includes": "litter"}, False),
    ({"question": "top", "includes": "noise"}, True),
    ({"question": "missing", "includes": "noise"}, False),
    ({"question": "top", "answered": True}, True),
    ({"question": "missing", "answered": True}, False),
    ({"question": "missing", "answered": False}, True),
    ({"all": [{"question": "consent", "equals": True}, {"question": "top", "equals": "x"}]}, False),
    (
        {"any": [{"question": "consent", "equals": False}, {"question": "top", "equals": "noise"}]},
        True,
    ),
    ({"not": {"question": "concerns", "includes": "none"}}, True),
    ({"not": {"all": [{"question": "consent", "equals": True}]}}, False),
]


@pytest.mark.parametrize("expr,expected", CASES)
def test_condition_evaluates_against_earlier_answers(expr: Any, expected: bool) -> None:
    assert is_relevant(expr, ANSWERS) is expected


def test_empty_answers_count_as_unanswered() -> None:
    cond = {"question": "q", "answered": True}
    assert not any(is_relevant(cond, {"q": v}) for v in (None, "", []))


GOOD = [
    {"question": "q", "equals": "x"},
    {"question": "q", "includes": "x"},
    {"question": "q", "answered": False},
    {"all": [{"question": "q", "equals": 1}]},
    {"any": [{"question": "q", "equals": 1}, {"not": {"question": "r", "answered": True}}]},
]
BAD = [
    ("q", "must be an object"),
    ({"question": "q"}, "exactly one of"),
    ({"question": "q", "equals": 1, "includes": 1}, "exactly one of"),
    ({"question": "q", "matches": "x"}, "exactly one of"),
    ({"question": 3, "equals": 1}, "must be a question id"),
    ({"question": "q", "answered": "yes"}, "'answered' must be true or false"),
    ({"all": []}, "non-empty list"),
    ({"any": "q"}, "non-empty list"),
    ({"not": "q"}, "must be an object"),
    ({"all": [{"question": "q", "equals": 1}], "any": []}, "unknown condition keys"),
    ({"eval": "__import__('os')"}, "unknown condition keys ['eval']"),
]


@pytest.mark.parametrize("expr", GOOD)
def test_well_formed_condition_has_no_problems(expr: Any) -> None:
    assert relevance_problems(expr) == []


@pytest.mark.parametrize("expr,message", BAD)
def test_malformed_condition_is_named(expr: Any, message: str) -> None:
    problems = relevance_problems(expr)
    assert problems and message in problems[0]


def test_deep_nesting_is_refused_not_recursed_without_end() -> None:
    expr: Any = {"question": "q", "answered": True}
    for _ in range(50):
        expr = {"not": expr}
    assert "nested deeper than" in relevance_problems(expr)[0]


def test_referenced_questions_and_leaves() -> None:
    expr = {"all": [{"question": "a", "equals": 1}, {"not": {"question": "b", "answered": True}}]}
    assert referenced_questions(expr) == {"a", "b"}
    assert [leaf["question"] for leaf in leaf_conditions(expr)] == ["a", "b"]
    assert referenced_questions(None) == set()


@pytest.mark.parametrize(
    "expr,expected",
    [
        ({"question": "ok", "equals": True}, True),
        ({"question": "ok", "equals": False}, False),
        ({"question": "other", "equals": True}, False),
        ({"all": [{"question": "x", "answered": True}, {"question": "ok", "equals": True}]}, True),
        ({"any": [{"question": "x", "answered": True}, {"question": "ok", "equals": True}]}, False),
        ({"any": [{"question": "ok", "equals": True}]}, True),
        ({"not": {"question": "ok", "equals": False}}, False),
        (None, False),
    ],
)
def test_requires_true_finds_a_consent_gate(expr: Any, expected: bool) -> None:
    assert requires_true(expr, {"ok"}) is expected


@pytest.mark.parametrize("expr,expected", CASES)
def test_compiled_condition_agrees_with_the_interpreter(expr: Any, expected: bool) -> None:
    assert compile_condition(expr)(ANSWERS) is expected


LEAVES = st.builds(
    lambda q, op, v: {"question": q, op: v},
    st.sampled_from(["a", "b"]),
    st.sampled_from(["equals", "includes"]),
    st.none() | st.booleans() | st.integers(0, 2) | st.sampled_from(["x", "y"]),
) | st.builds(
    lambda q, v: {"question": q, "answered": v}, st.sampled_from(["a", "b"]), st.booleans()
)
CONDITIONS = st.recursive(
    LEAVES,
    lambda inner: (
        st.builds(lambda xs: {"all": xs}, st.lists(inner, min_size=1, max_size=3))
        | st.builds(lambda xs: {"any": xs}, st.lists(inner, min_size=1, max_size=3))
        | st.builds(lambda x: {"not": x}, inner)
    ),
    max_leaves=8,
)
VALUES = (
    st.none()
    | st.booleans()
    | st.integers(0, 2)
    | st.sampled_from(["x", "y", ""])
    | st.lists(st.sampled_from(["x", "y"]), max_size=2)
)


@settings(max_examples=300, deadline=None)
@given(expr=CONDITIONS, answers=st.dictionaries(st.sampled_from(["a", "b"]), VALUES))
def test_compiled_conditions_match_the_interpreter_on_random_input(
    expr: dict[str, Any], answers: dict[str, Any]
) -> None:
    assert relevance_problems(expr) == []
    assert compile_condition(expr)(answers) is is_relevant(expr, answers)
