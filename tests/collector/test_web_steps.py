"""The survey in steps: any survey is grouped by its own structure, never by its id."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.web import forms
from collector.web.steps import PER_STEP, plan_steps
from survey_schemas import Survey, SurveyRegistry, bundled_registry
from survey_schemas.xlsform import convert_xlsform
from tests.survey_schemas.test_xlsform import build

BUNDLED = bundled_registry()
DOORSTEP_V1 = BUNDLED.get("doorstep-safety", 1)


def every_bundled() -> list[Survey]:
    return list(BUNDLED)


@pytest.mark.parametrize("survey", every_bundled(), ids=lambda s: f"{s.id}-v{s.version}")
def test_every_question_is_in_exactly_one_step_in_survey_order(survey: Survey) -> None:
    steps = plan_steps(survey)
    assert [qid for step in steps for qid in step] == [q.id for q in survey.questions]
    assert all(steps)


def test_the_doorstep_survey_steps_follow_its_structure() -> None:
    assert plan_steps(DOORSTEP_V1) == [
        ["consent"],  # a required consent ends its step: everything after waits on it
        ["concerns", "severity", "where"],  # follow-ups stay with the answer they follow
        ["safe_after_dark"],
        ["other_concern"],
        ["anything_else"],
        ["recontact", "contact_name", "contact_phone", "contact_email"],
        ["age_band", "gender"],  # quick questions with the same condition go together
    ]


def test_a_groups_own_xlsform_survey_is_stepped_too(tmp_path: Path) -> None:
    path = build(
        tmp_path,
        [
            ["select_one yn", "worried", "Are you worried about crime here?", "", "", "yes"],
            ["text", "why", "Why?", "${worried} = 'yes'"],
            ["select_one yn", "lit", "Is the street well lit?"],
            ["select_one yn", "bins", "Are the bins emptied?"],
            ["select_one yn", "bus", "Is there a bus stop nearby?"],
            ["select_one yn", "park", "Is there a park nearby?"],
            ["integer", "years", "Years lived here"],
        ],
    )
    registry = SurveyRegistry()
    registry.add(convert_xlsform(path, survey_id="our-own"))
    survey = registry.latest("our-own")
    assert plan_steps(survey) == [
        ["worried", "why"],
        ["lit", "bins", "bus"][:PER_STEP],
        ["park"],
        ["years"],
    ]


def test_optional_is_said_once_even_when_the_label_says_it() -> None:
    views = {f.qid: f for f in forms.field_views(DOORSTEP_V1, "en")}
    assert "(optional" in views["age_band"].label and not views["age_band"].optional
    assert "(optional)" in views["gender"].label and not views["gender"].optional
    assert views["safe_after_dark"].optional and not views["consent"].optional
