"""The response envelope: fields, survey lookup, personal data apart, random input never raises."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey_schemas import (
    Response,
    ResponseSchema,
    SurveyRegistry,
    bundled_registry,
    check_response,
    new_response_id,
)

REGISTRY: SurveyRegistry = bundled_registry()


def envelope(**over: Any) -> dict[str, Any]:
    """Return a valid doorstep response with ``over`` applied (a value of ... drops the key)."""
    data: dict[str, Any] = {
        "id": "6f1c1c1e-2b1a-4c55-9a53-0d6c3b1f8a01",
        "survey_id": "doorstep-safety",
        "survey_version": 1,
        "area": "ARB-01",
        "method": "doorstep",
        "collected_at": "2026-11-24T18:05:00+00:00",
        "answers": {"consent": True, "concerns": ["speeding", "litter"], "severity": 4},
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not ...}


def test_valid_envelope_becomes_a_response() -> None:
    response, errors = check_response(envelope(), REGISTRY.find)
    assert errors == {}
    assert isinstance(response, Response)
    assert response.id == "6f1c1c1e-2b1a-4c55-9a53-0d6c3b1f8a01"
    assert response.collected_at.utcoffset() is not None
    assert response.answers["concerns"] == ["speeding", "litter"]
    assert response.personal == {}


def test_optional_fields_are_carried() -> None:
    response, errors = check_response(
        envelope(
            volunteer="vol-7",
            consent=True,
            language="ur",
            street="Elm Street",
            replaces=str(uuid.uuid4()),
        ),
        REGISTRY.find,
    )
    assert errors == {}
    assert response is not None and response.language == "ur" and response.replaces


FAIL: dict[str, tuple[dict[str, Any], str, str]] = {
    "id missing": ({"id": ...}, "id", "Missing data"),
    "id not a UUID": ({"id": "42"}, "id", "Not a valid UUID"),
    "version as text": ({"survey_version": "1"}, "survey_version", "Not a valid integer"),
    "version as boolean": ({"survey_version": True}, "survey_version", "Not a valid integer"),
    "unknown survey": ({"survey_id": "census"}, "survey_version", "unknown survey 'census'"),
    "unknown version": ({"survey_version": 9}, "survey_version", "version 9"),
    "area with spaces": ({"area": "North End"}, "area", "must be an area code"),
    "unknown method": ({"method": "phone"}, "method", "Must be one of"),
    "method the survey does not use": ({"method": "kiosk"}, "method", "not collected by 'kiosk'"),
    "time without offset": ({"collected_at": "2026-11-24T18:05:00"}, "collected_at", "aware"),
    "time not a date": ({"collected_at": "yesterday"}, "collected_at", "Not a valid"),
    "answers not an object": ({"answers": ["speeding"]}, "answers", "Not a valid mapping"),
    "unknown field": ({"colour": "red"}, "colour", "Unknown field"),
    "language the survey lacks": ({"language": "fr"}, "language", "has no 'fr' text"),
    "bad answer": (
        {"answers": {"consent": True, "concerns": ["speeding"], "severity": 9}},
        "answers.severity",
        "must be at most 5",
    ),
    "personal data among the answers": (
        {
            "answers": {
                "consent": True,
                "concerns": ["noise"],
                "recontact": True,
                "contact_name": "Sam",
            }
        },
        "answers.contact_name",
        "personal data goes in 'personal'",
    ),
    "answer in the personal block": (
        {"answers": {"consent": True}, "personal": {"concerns": ["noise"]}},
        "personal.concerns",
        "not a personal-data question",
    ),
    "personal data without recontact consent": (
        {
            "answers": {"consent": True, "concerns": ["noise"]},
            "personal": {"contact_name": "Sam"},
        },
        "personal.contact_name",
        "must be left unanswered",
    ),
}


@pytest.mark.parametrize("over,field,message", FAIL.values(), ids=FAIL.keys())
def test_invalid_envelope_is_refused_by_field(
    over: dict[str, Any], field: str, message: str
) -> None:
    response, errors = check_response(envelope(**over), REGISTRY.find)
    assert response is None
    assert field in errors, errors
    assert any(message in m for m in errors[field]), errors


def test_personal_data_is_kept_apart_from_the_answers() -> None:
    answers = {"consent": True, "concerns": ["noise"], "recontact": True}
    personal = {"contact_name": "Sam", "contact_email": "sam@example.org"}
    response, errors = check_response(envelope(answers=answers, personal=personal), REGISTRY.find)
    assert errors == {}
    assert response is not None
    assert response.personal == personal
    assert not set(response.answers) & set(personal)


def test_unknown_area_is_refused_when_areas_are_given() -> None:
    _, errors = check_response(envelope(), REGISTRY.find, allowed_areas={"ARB-02"})
    assert errors == {"area": ["unknown area 'ARB-01'"]}
    response, errors = check_response(envelope(), REGISTRY.find, allowed_areas={"ARB-01"})
    assert response is not None and errors == {}


@pytest.mark.parametrize("data", [None, [], "response", 7])
def test_non_object_is_one_error(data: Any) -> None:
    assert check_response(data, REGISTRY.find) == (
        None,
        {"_": ["a response must be a JSON object"]},
    )


def test_new_response_ids_are_fresh_uuids() -> None:
    first, second = new_response_id(), new_response_id()
    assert first != second and uuid.UUID(first).version == 4


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=15,
)
FIELDS = sorted(ResponseSchema().fields)
PLAUSIBLE = {
    "survey_id": st.sampled_from(["doorstep-safety", "event-kiosk", "group-meeting", "x"]),
    "survey_version": st.sampled_from([1, 2, 0, -1]),
    "method": st.sampled_from(["doorstep", "event", "kiosk", "meeting"]),
    "collected_at": st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    "id": st.uuids().map(str),
    "answers": st.dictionaries(
        st.sampled_from(["consent", "concerns", "severity", "top_problem", "attendees", "zz"]),
        JSON | st.lists(st.sampled_from(["speeding", "none", "other"]), max_size=3),
        max_size=5,
    ),
}


@st.composite
def envelopes(draw: st.DrawFn) -> Any:
    """Draw a valid envelope bent at random: fields replaced, dropped or added."""
    if draw(st.integers(0, 9)) == 0:
        return draw(JSON)
    data = envelope()
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=5, unique=True)):
        how = draw(st.sampled_from(["json", "plausible", "drop"]))
        if how == "drop":
            data.pop(name, None)
        elif how == "plausible" and name in PLAUSIBLE:
            data[name] = draw(PLAUSIBLE[name])
        else:
            data[name] = draw(JSON)
    data.update(draw(st.dictionaries(st.text(max_size=8), JSON, max_size=2)))
    return data


@settings(max_examples=300, deadline=None)
@given(data=envelopes())
def test_random_envelopes_give_a_response_or_field_errors_never_an_exception(data: Any) -> None:
    response, errors = check_response(data, REGISTRY.find)
    assert (response is None) == bool(errors)
    for key, messages in errors.items():
        assert isinstance(key, str) and messages
        assert all(isinstance(m, str) for m in messages)


def test_answer_keys_that_are_not_question_ids_are_field_errors() -> None:
    data = envelope(answers={"consent": True, "concerns": ["noise"], 5: "x"}, personal={7: "y"})
    response, errors = check_response(data, REGISTRY.find)
    assert response is None
    assert errors == {"personal.7": ["not a personal-data question in this survey"]}
    data = envelope(answers={"consent": True, "concerns": ["noise"], 5: "x"})
    assert check_response(data, REGISTRY.find) == (
        None,
        {"answers.5": ["not a question in this survey"]},
    )
