"""The bundled surveys mark their equality questions, and the server counts them for reach."""

from __future__ import annotations

import pytest

from server.issues.facts import response_facts
from survey_schemas import bundled_registry, load_survey

EQUALITY = {
    "doorstep-safety": {"age_band", "gender"},
    "doorstep-safety-full": {"age_band", "gender"},
    "event-kiosk": {"age_band"},
}


@pytest.mark.parametrize("survey_id", sorted(EQUALITY))
def test_bundled_equality_questions_are_marked_optional_choices(survey_id: str) -> None:
    survey = bundled_registry().latest(survey_id)
    marked = {q["id"] for q in survey.definition["questions"] if q.get("x-equality")}
    assert marked == EQUALITY[survey_id]
    for q in survey.questions:
        if q.id in marked:
            assert (q.type, q.required) == ("single_choice", False)


def test_doorstep_equality_answers_become_reach_facts() -> None:
    survey = bundled_registry().latest("doorstep-safety")
    answers = {"consent": True, "concerns": ["speeding"], "age_band": "25-34", "gender": "woman"}
    facts = response_facts(survey, answers)
    assert sorted(facts.equality) == [("age_band", "25-34"), ("gender", "woman")]


def test_an_x_key_on_a_question_is_accepted_and_kept() -> None:
    definition = {
        "id": "x-keys",
        "version": 1,
        "title": {"en": "X"},
        "purpose": {"en": "To test."},
        "languages": ["en"],
        "methods": ["doorstep"],
        "questions": [
            {"id": "q", "type": "yes_no", "label": {"en": "Q?"}, "x-equality": True},
        ],
    }
    survey = load_survey(definition)
    assert survey.definition["questions"][0]["x-equality"] is True
