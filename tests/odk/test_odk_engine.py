"""Our XForms in ODK's own engine (@getodk/xforms-engine, headless in node): ODK fills them as a
volunteer would, judges relevance and constraints as doorstep does, and the instance it submits
reads back (sync.openrosa) into a response that survey_schemas accepts."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from survey_schemas import (
    Question,
    Survey,
    bundled_registry,
    check_response,
    check_value,
    is_relevant,
)
from survey_schemas.xform import itext_language, render_xform
from sync.openrosa import parse_instance
from tests.survey_schemas.valid_responses import responses
from tests.survey_schemas.xform_cases import chain, every_feature

from .engine import OdkEngine, steps_for

REGISTRY = bundled_registry()
EVERY = every_feature()
AREAS = [("N1", "North"), ("s.2", "South")]
CODES = {code for code, _ in AREAS}
SURVEYS = [*REGISTRY, EVERY]


def lookup(survey_id: str, version: int) -> Survey | None:
    if (survey_id, version) == EVERY.key:
        return EVERY
    return REGISTRY.find(survey_id, version)


def as_odk_sends(survey: Survey, qid: str, value: Any) -> Any:
    """Return an answer as ODK's instance carries it back.

    XML turns a CR into LF, and ODK's engine writes chosen values in the form's order.
    """
    q = survey.by_id[qid]
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n")
    if q.type == "multiple_choice":
        order = [c.value for c in q.choices]
        return sorted(value, key=order.index)
    return value


def check_fill(engine: OdkEngine, survey: Survey, xform: bytes, response: dict[str, Any]) -> None:
    """Fill ``response`` in ODK's engine and check every way it must agree with doorstep."""
    out = engine.fill(xform, steps_for(survey, response))
    assert out["load"] == "success", out["error"]
    assert out["step_errors"] == [], "ODK and doorstep agree which questions apply, as they fill"
    assert (out["status"], out["violations"]) == ("ready", []), "a valid response breaks no rule"
    given_answers = {**response["answers"], **response.get("personal", {})}
    for node in out["nodes"]:
        q = survey.question(node["ref"].rsplit("/", 1)[1])
        if q is not None:
            assert node["relevant"] == is_relevant(q.relevant, given_answers), q.id
    got = parse_instance(out["xml"].encode("utf-8"), lookup)
    for part in ("answers", "personal"):
        sent = response.get(part, {})
        assert got.get(part, {}) == {k: as_odk_sends(survey, k, v) for k, v in sent.items()}
    assert (got["area"], got["method"]) == (response["area"], response["method"])
    assert got.get("consent") == response.get("consent")
    _, errors = check_response(got, lookup, allowed_areas=CODES)
    assert errors == {}


@pytest.mark.parametrize("survey", SURVEYS, ids=lambda s: s.id)
def test_odk_fills_the_form_as_doorstep_judges_the_response(
    survey: Survey, odk_engine: OdkEngine
) -> None:
    xform = render_xform(survey, AREAS)

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(response=responses(survey, sorted(CODES), odk=True))
    def fill(response: dict[str, Any]) -> None:
        check_fill(odk_engine, survey, xform, response)

    fill()


def test_the_submitted_instance_has_the_contracts_shape(odk_engine: OdkEngine) -> None:
    survey = REGISTRY.get("doorstep-safety", 1)
    response = {
        "area": "s.2",
        "method": "doorstep",
        "answers": {"consent": True, "concerns": ["noise", "other"], "other_concern": "Bins"},
    }
    out = odk_engine.fill(render_xform(survey, AREAS), steps_for(survey, response))
    root = ET.fromstring(out["xml"])
    assert (root.tag, root.get("id"), root.get("version")) == ("data", "doorstep-safety", "1")
    # Only what applies is sent: ODK leaves out questions that do not apply.
    assert [c.tag for c in root] == [
        "area", "method", "consent", "concerns", "severity", "where", "safe_after_dark",
        "other_concern", "anything_else", "recontact", "age_band", "gender", "meta",
    ]  # fmt: skip
    meta = {c.tag: c.text for c in root.find("meta")}  # type: ignore[union-attr]
    assert list(meta) == ["instanceID", "deprecatedID", "timeStart", "timeEnd"]
    assert meta["instanceID"].startswith("uuid:")  # type: ignore[union-attr]
    got = parse_instance(out["xml"].encode(), lookup)
    when = datetime.fromisoformat(meta["timeEnd"])  # type: ignore[arg-type]
    assert when.utcoffset() is not None and got["collected_at"] == when.isoformat()


def test_a_question_that_stops_applying_takes_its_dependants_with_it(
    odk_engine: OdkEngine,
) -> None:
    survey = chain()
    xform = render_xform(survey, [("N1", "North")])
    steps = [
        {"ref": "/data/first", "value": ["yes"]},
        {"ref": "/data/second", "value": "kept?"},
        {"ref": "/data/third", "value": "and this?"},
        {"ref": "/data/first", "value": ["no"]},
    ]
    out = odk_engine.fill(xform, steps)
    relevant = {n["ref"]: n["relevant"] for n in out["nodes"]}
    assert (relevant["/data/second"], relevant["/data/third"]) == (False, False)
    got = parse_instance(out["xml"].encode(), lambda s, v: survey)
    assert got["answers"] == {"first": False}
    assert check_response(got, lambda s, v: survey)[1] == {}


YES = ("consent", ["yes"])
NOISE = ("concerns", ["noise"])
RECONTACT = ("recontact", ["yes"])
SAFETY, FULL, EVERY_ID, MEETING = (
    "doorstep-safety",
    "doorstep-safety-full",
    "every-feature",
    "group-meeting",
)
BROKEN = [
    (SAFETY, [YES, ("concerns", ["none", "noise"])], "concerns"),
    (SAFETY, [YES, NOISE, ("severity", "6")], "severity"),
    (FULL, [YES, NOISE, ("where", "x" * 201)], "where"),
    (SAFETY, [YES, RECONTACT, ("contact_phone", "call me")], "contact_phone"),
    (SAFETY, [YES, RECONTACT, ("contact_email", "ann@home")], "contact_email"),
    (EVERY_ID, [YES, ("problems", ["speeding", "it's", "zażółć", 'say"hi"'])], "problems"),
    (EVERY_ID, [("households", "-6")], "households"),
    (EVERY_ID, [("households", "0"), ("moved_in", "1949-12-31")], "moved_in"),
    (EVERY_ID, [("spend", "1000000.5")], "spend"),
    (EVERY_ID, [("code", "ab12")], "code"),
    (EVERY_ID, [("code", "AB12\n")], "code"),
    (MEETING, [("attendees", "0")], "attendees"),
]


@pytest.mark.parametrize(
    ("sid", "answers", "broken"), BROKEN, ids=[f"{b[2]}-{i}" for i, b in enumerate(BROKEN)]
)
def test_odk_refuses_what_doorstep_refuses(
    sid: str, answers: list[tuple[str, Any]], broken: str, odk_engine: OdkEngine
) -> None:
    survey = EVERY if sid == EVERY.id else REGISTRY.latest(sid)
    steps = [{"ref": f"/data/{qid}", "value": value} for qid, value in answers]
    out = odk_engine.fill(render_xform(survey, AREAS), steps)
    violations = {n["ref"].rsplit("/", 1)[1]: n["violation"] for n in out["nodes"]}
    assert violations[broken] == "constraint"
    q = survey.by_id[broken]
    assert check_value(q, typed(q, dict(answers)[broken])) is not None, "doorstep refuses it too"


def typed(q: Question, value: Any) -> Any:
    """Return an answer given to ODK as doorstep holds it."""
    if q.type in ("number", "scale"):
        return int(value) if q.integer else float(value)
    return value


def test_required_questions_are_required_in_odk(odk_engine: OdkEngine) -> None:
    survey = REGISTRY.get("doorstep-safety", 1)
    out = odk_engine.fill(render_xform(survey, AREAS), [])
    assert sorted(out["violations"]) == ["/data/area: required", "/data/consent: required"]
    one_area = odk_engine.fill(render_xform(survey, AREAS[:1]), [])
    assert one_area["violations"] == ["/data/consent: required"]


@pytest.mark.parametrize("survey", SURVEYS, ids=lambda s: s.id)
def test_odk_offers_every_language(survey: Survey, odk_engine: OdkEngine) -> None:
    out = odk_engine.fill(render_xform(survey, AREAS), [])
    assert out["languages"] == [itext_language(code) for code in survey.languages]
