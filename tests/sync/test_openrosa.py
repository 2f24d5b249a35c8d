"""OpenRosa on the wire: instances read back into responses exactly, real KoboToolbox and ODK
Central data read or refused for a stated reason, and the documents the endpoints serve."""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from survey_schemas import Survey, SurveyRegistry, bundled_registry, check_response
from survey_schemas.xform import render_xform
from sync.openrosa import (
    FormListItem,
    InstanceError,
    build_instance,
    collect_settings,
    form_hash,
    form_list,
    openrosa_response,
    parse_instance,
    read_collect_settings,
)
from tests.survey_schemas.valid_responses import responses
from tests.survey_schemas.xform_cases import every_feature

FIXTURES = Path(__file__).parent / "openrosa"
REGISTRY = bundled_registry()
EVERY = every_feature()
AREAS = ["N1", "s.2"]
RID = "0b7f0f1e-8a53-4c39-9a8e-6d1f3e2b4a10"
OLD = "5b2cc313-fc09-437e-8149-fcd32f695d41"


def lookup(survey_id: str, version: int) -> Survey | None:
    return (
        EVERY
        if (survey_id, version) == (EVERY.id, EVERY.version)
        else REGISTRY.find(survey_id, version)
    )


def refusal(data: bytes | str, find: Any = lookup) -> InstanceError:
    with pytest.raises(InstanceError) as caught:
        parse_instance(data, find)
    return caught.value


def doc(*fields: str, meta: str | None = None, root: str = 'id="chain" version="1"') -> bytes:
    """Return an instance of the ``chain`` test survey's shape with the given inner XML."""
    meta = (
        meta
        if meta is not None
        else f"<instanceID>uuid:{RID}</instanceID><timeEnd>2024-05-01T10:00:00.000+01:00</timeEnd>"
    )
    body = "".join(fields) if fields else "<area>N1</area><method>doorstep</method>"
    return f"<data {root}>{body}<meta>{meta}</meta></data>".encode()


CHAIN_REGISTRY = SurveyRegistry()
CHAIN_REGISTRY.add(
    {
        "id": "chain",
        "version": 1,
        "title": {"en": "Chain"},
        "purpose": {"en": "Test."},
        "languages": ["en"],
        "methods": ["doorstep", "event"],
        "questions": [
            {"id": "ok", "type": "yes_no", "label": {"en": "OK?"}},
            {"id": "n", "type": "number", "integer": True, "label": {"en": "N?"}},
            {"id": "x", "type": "number", "label": {"en": "X?"}},
            {"id": "d", "type": "date", "label": {"en": "D?"}},
            {"id": "t", "type": "text", "label": {"en": "T?"}},
            {
                "id": "m",
                "type": "multiple_choice",
                "label": {"en": "M?"},
                "choices": [{"value": v, "label": {"en": v}} for v in ("a", "b", "c")],
            },
        ],
    }
)


def chain_parse(data: bytes) -> dict[str, Any]:
    return parse_instance(data, CHAIN_REGISTRY.find)


# --- round trips --------------------------------------------------------------------------------


def _round_trip(survey: Survey) -> Any:
    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(response=responses(survey, AREAS))
    def check(response: dict[str, Any]) -> None:
        instance = build_instance(survey, response)
        assert parse_instance(instance, lookup) == response
        _, errors = check_response(parse_instance(instance, lookup), lookup)
        assert errors == {}

    return check


@pytest.mark.parametrize("survey", [*REGISTRY, EVERY], ids=lambda s: s.id)
def test_any_valid_response_comes_back_from_its_instance_unchanged(survey: Survey) -> None:
    _round_trip(survey)()


def test_an_instance_reads_back_to_the_response_it_was_built_from() -> None:
    survey = REGISTRY.get("doorstep-safety", 1)
    response = {
        "id": RID,
        "survey_id": survey.id,
        "survey_version": 1,
        "area": "N1",
        "method": "doorstep",
        "collected_at": "2024-05-01T10:00:00+01:00",
        "answers": {
            "consent": True,
            "concerns": ["speeding", "other"],
            "severity": 4,
            "other_concern": "Vans\r\n<parked> & 'left'",
            "recontact": True,
        },
        "personal": {"contact_name": "Ann"},
        "consent": True,
        "replaces": OLD,
    }
    instance = build_instance(survey, response)
    assert b"<other_concern>Vans&#13;\n&lt;parked&gt; &amp; 'left'</other_concern>" in instance
    assert b"<deprecatedID>uuid:" + OLD.encode() + b"</deprecatedID>" in instance
    assert parse_instance(instance, lookup) == response


def test_a_text_answer_xml_cannot_carry_cannot_be_written() -> None:
    survey = REGISTRY.get("event-kiosk", 1)
    response = {
        "id": RID,
        "area": "N1",
        "method": "kiosk",
        "collected_at": "2024-05-01T10:00:00+01:00",
        "answers": {"top_problem": "litter", "tell_us_more": "bell \x07"},
    }
    with pytest.raises(ValueError, match="tell_us_more: the value holds a character"):
        build_instance(survey, response)


# --- reading: what the contract says --------------------------------------------------------------


def test_fields_are_typed_back_by_question_type() -> None:
    got = chain_parse(
        doc(
            "<area> N1 </area><method>event</method><ok> yes </ok><n>-12</n><x>2.50</x>",
            "<d>2024-02-29</d><t>  spaced\n text </t><m> b\tc </m>",
        )
    )
    assert got == {
        "id": RID,
        "survey_id": "chain",
        "survey_version": 1,
        "area": "N1",
        "method": "event",
        "collected_at": "2024-05-01T10:00:00+01:00",
        "answers": {
            "ok": True,
            "n": -12,
            "x": 2.5,
            "d": "2024-02-29",
            "t": "  spaced\n text ",
            "m": ["b", "c"],
        },
    }


def test_empty_and_absent_fields_are_unanswered() -> None:
    got = chain_parse(doc("<area>N1</area><method>event</method><ok/><n></n><t/><m>  </m>"))
    assert got["answers"] == {}


def test_an_element_named_xmlns_is_a_question_like_any_other() -> None:
    definition = {**CHAIN_REGISTRY.get("chain", 1).definition, "id": "xml-names"}
    definition["questions"] = [{"id": "xmlns", "type": "text", "label": {"en": "?"}}]
    registry = SurveyRegistry()
    registry.add(definition)
    data = doc(
        "<area>N1</area><method>event</method><xmlns>hi</xmlns>", root='id="xml-names" version="1"'
    )
    assert parse_instance(data, registry.find)["answers"] == {"xmlns": "hi"}


def test_a_decimal_question_keeps_whole_numbers_whole() -> None:
    assert chain_parse(doc("<area>N1</area><method>event</method><x>3</x>"))["answers"] == {"x": 3}


@pytest.mark.parametrize(
    ("field", "problem"),
    [
        ("<ok>true</ok>", {"answers.ok": ["'true' is not yes or no"]}),
        ("<n>2.5</n>", {"answers.n": ["'2.5' is not a whole number"]}),
        ("<n>1e3</n>", {"answers.n": ["'1e3' is not a whole number"]}),
        ("<x>NaN</x>", {"answers.x": ["'NaN' is not a number"]}),
        ("<x>1,5</x>", {"answers.x": ["'1,5' is not a number"]}),
        ("<d>2023-02-29</d>", {"answers.d": ["'2023-02-29' is not a date written YYYY-MM-DD"]}),
        (
            "<d>2024-05-01T10:00</d>",
            {"answers.d": ["'2024-05-01T10:00' is not a date written YYYY-MM-DD"]},
        ),
        ("<t><b>bold</b></t>", {"answers.t": ["must hold a value, not further elements"]}),
        ("<zz>1</zz>", {"zz": ["not a field of this form"]}),
        ("<t>a</t><t>b</t>", {"t": ["sent twice"]}),
    ],
)
def test_a_field_of_the_wrong_kind_is_named(field: str, problem: dict[str, list[str]]) -> None:
    error = refusal(doc("<area>N1</area><method>event</method>", field), CHAIN_REGISTRY.find)
    assert (error.code, error.errors) == ("invalid_instance", problem)
    assert error.message.startswith("This form cannot be accepted: ")


@pytest.mark.parametrize(
    ("fields", "meta", "problem"),
    [
        ("<method>event</method>", None, {"area": ["missing: the form's own field was not sent"]}),
        (
            "<area>N1</area><method/>",
            None,
            {"method": ["missing: the form's own field was not sent"]},
        ),
        (
            None,
            "<timeEnd>2024-05-01T10:00:00Z</timeEnd>",
            {"meta/instanceID": ["missing: every instance needs uuid:<uuid>"]},
        ),
        (
            None,
            f"<instanceID>{RID}</instanceID><timeEnd>2024-05-01T10:00:00Z</timeEnd>",
            {"meta/instanceID": [f"{RID!r} is not uuid:<uuid>"]},
        ),
        (
            None,
            "<instanceID>uuid:one</instanceID><timeEnd>2024-05-01T10:00:00Z</timeEnd>",
            {"meta/instanceID": ["'uuid:one' is not uuid:<uuid>"]},
        ),
        (
            None,
            f"<instanceID>uuid:{RID}</instanceID>",
            {"meta/timeEnd": ["missing: doorstep needs when the form was filled"]},
        ),
        (
            None,
            f"<instanceID>uuid:{RID}</instanceID><timeEnd>2024-05-01T10:00:00</timeEnd>",
            {"meta/timeEnd": ["'2024-05-01T10:00:00' has no UTC offset"]},
        ),
        (
            None,
            f"<instanceID>uuid:{RID}</instanceID><timeEnd>yesterday</timeEnd>",
            {"meta/timeEnd": ["'yesterday' is not a date and time"]},
        ),
        (
            None,
            f"<instanceID>uuid:{RID}</instanceID><timeEnd>2024-05-01T10:00:00Z</timeEnd><deprecatedID>two</deprecatedID>",
            {"meta/deprecatedID": ["'two' is not uuid:<uuid>"]},
        ),
        (
            None,
            f"<instanceID>uuid:{RID}</instanceID><timeEnd>2024-05-01T10:00:00Z</timeEnd><secret>1</secret>",
            {"meta/secret": ["not a field of this form"]},
        ),
    ],
)
def test_the_forms_own_fields_are_checked(
    fields: str | None, meta: str | None, problem: dict[str, list[str]]
) -> None:
    args = (fields,) if fields else ()
    error = refusal(doc(*args, meta=meta), CHAIN_REGISTRY.find)
    assert (error.code, error.errors) == ("invalid_instance", problem)


def test_every_problem_is_listed_at_once() -> None:
    error = refusal(doc("<ok>maybe</ok><n>x</n><zz/>", meta=""), CHAIN_REGISTRY.find)
    assert set(error.errors) == {
        "zz",
        "meta/instanceID",
        "area",
        "method",
        "meta/timeEnd",
        "answers.ok",
        "answers.n",
    }
    assert error.message.endswith("(and 2 more).")


def test_thousands_of_odd_elements_get_a_short_answer() -> None:
    odd = "".join(f"<u{i}/>" for i in range(5000)) + "<t>a</t>" * 5000
    error = refusal(doc("<area>N1</area><method>event</method>", odd), CHAIN_REGISTRY.find)
    assert len(error.errors) == 51 and error.errors["_"] == ["more problems than are listed here"]
    assert len(error.message) < 400


def test_instance_ids_are_normalised_and_deprecated_id_is_replaces() -> None:
    meta = (
        "<instanceID>uuid:0B7F0F1E8A534C399A8E6D1F3E2B4A10</instanceID>"
        f"<deprecatedID>uuid:{OLD}</deprecatedID><timeStart>2024-05-01T09:50:00+01:00</timeStart>"
        "<timeEnd>2024-05-01T10:00:00.123+01:00</timeEnd><instanceName>x</instanceName>"
    )
    got = chain_parse(doc(meta=meta))
    assert (got["id"], got["replaces"]) == (RID, OLD)
    assert got["collected_at"] == "2024-05-01T10:00:00.123000+01:00"  # timeEnd: when finalised


def test_time_start_serves_when_there_is_no_time_end() -> None:
    meta = (
        f"<instanceID>uuid:{RID}</instanceID>"
        "<timeStart>2024-05-01T09:50:00+01:00</timeStart><timeEnd/>"
    )
    assert chain_parse(doc(meta=meta))["collected_at"] == "2024-05-01T09:50:00+01:00"


def test_namespaces_do_not_matter() -> None:
    data = (
        '<data xmlns="http://opendatakit.org/submission" xmlns:orx="http://openrosa.org/xforms" '
        'id="chain" orx:version="1"><area>N1</area><method>event</method><ok>no</ok>'
        f"<orx:meta><orx:instanceID>uuid:{RID}</orx:instanceID>"
        "<orx:timeEnd>2024-05-01T10:00:00Z</orx:timeEnd></orx:meta></data>"
    )
    assert chain_parse(data.encode())["answers"] == {"ok": False}


def test_personal_answers_go_apart_and_consent_is_the_first_consent_answer() -> None:
    survey = REGISTRY.get("doorstep-safety", 1)
    instance = build_instance(
        survey,
        {
            "id": RID,
            "area": "N1",
            "method": "doorstep",
            "collected_at": "2024-05-01T10:00:00+01:00",
            "answers": {"consent": True, "concerns": ["none"], "recontact": True},
            "personal": {"contact_email": "ann@example.org"},
        },
    )
    got = parse_instance(instance, lookup)
    assert got["personal"] == {"contact_email": "ann@example.org"}
    assert "contact_email" not in got["answers"]
    assert got["consent"] is True
    response, errors = check_response(got, lookup, allowed_areas={"N1"})
    assert errors == {} and response is not None and response.personal == got["personal"]


# --- reading: what is refused before any field is read ------------------------------------------


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"<data id='chain' version='1'><area>N1</area>", "malformed_xml"),
        (b"", "malformed_xml"),
        (b"\xff\xfe<data/>", "malformed_xml"),
        (b"<a>&nbsp;</a>", "malformed_xml"),  # an undeclared entity
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
            b'<data id="chain" version="1"><t>&lol2;</t></data>',
            "forbidden_xml",
        ),
        (
            b'<!DOCTYPE data [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            b'<data id="chain" version="1"><t>&xxe;</t></data>',
            "forbidden_xml",
        ),
        (b'<!DOCTYPE data SYSTEM "http://example.org/x.dtd"><data/>', "forbidden_xml"),
        (b"<data version='1'/>", "not_an_instance"),
        (b"<data id='chain' version='0'/>", "invalid_instance"),
        (b"<data id='chain' version='v1'/>", "invalid_instance"),
        (b"<data id='chain' version='2'/>", "unknown_survey"),
        (b"<data id='nope' version='1'/>", "unknown_survey"),
    ],
)
def test_hostile_or_foreign_documents_are_refused_with_a_code(data: bytes, code: str) -> None:
    error = refusal(data, CHAIN_REGISTRY.find)
    assert error.code == code
    assert error.message and "\n" not in error.message


def test_an_instance_beyond_any_doorstep_forms_size_is_refused_unparsed() -> None:
    from sync.openrosa import MAX_ELEMENTS, MAX_INSTANCE_BYTES

    for data in (
        b'<data id="chain" version="1">' + b"<x/>" * (2 * MAX_ELEMENTS) + b"</data>",
        b"<a>" * MAX_ELEMENTS + b"<b/>" + b"</a>" * MAX_ELEMENTS,
        doc(f"<area>{'x' * MAX_INSTANCE_BYTES}</area>"),
    ):
        assert refusal(data).code == "too_large"


def test_an_unknown_survey_names_itself() -> None:
    error = refusal(b"<data id='chain' version='2'/>", CHAIN_REGISTRY.find)
    assert error.message == (
        "Unknown form 'chain' version 2: get the current blank form and fill it again."
    )
    assert error.errors == {"survey_version": ["unknown survey 'chain' version 2"]}


# --- the real KoboToolbox and ODK Central data ---------------------------------------------------


def _survey(sid: str, *questions: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": sid,
        "version": 1,
        "title": {"en": sid},
        "purpose": {"en": "Fixtures."},
        "languages": ["en"],
        "methods": ["doorstep"],
        "questions": [{"label": {"en": q["id"]}, **q} for q in questions],
    }


def _choices(*values: str) -> list[dict[str, Any]]:
    return [{"value": v, "label": {"en": v}} for v in values]


# Surveys shaped like the fixtures' forms, as far as doorstep can carry them. Central's
# "selectMultiple" has no doorstep twin: survey ids are lowercase slugs.
FIXTURE_SURVEYS = SurveyRegistry()
for _definition in (
    _survey(
        "tutorial",
        {"id": "name", "type": "text"},
        {"id": "age", "type": "number", "integer": True},
        {"id": "picture", "type": "text"},
        {"id": "has_children", "type": "single_choice", "choices": _choices("0", "1")},
        {"id": "gps", "type": "text"},
        {
            "id": "web_browsers",
            "type": "multiple_choice",
            "choices": _choices("firefox", "chrome", "safari", "ie"),
        },
    ),
    _survey(
        "simple", {"id": "name", "type": "text"}, {"id": "age", "type": "number", "integer": True}
    ),
    _survey(
        "transportation_2011_07_25",
        {
            "id": "available_transportation_types_to_referral_facility",
            "type": "multiple_choice",
            "choices": _choices("ambulance", "bicycle", "taxi", "other", "none"),
        },
    ),
):
    FIXTURE_SURVEYS.add(_definition)

NO_VERSION = {"survey_version": ["no version: must be a whole number such as 1"]}
NOT_INSTANCE = "not_an_instance"
ENCRYPTED = "encrypted_submission"
WHEN = "2012-06-27T11:27:53+03:00"
TUTORIAL = {
    "survey_id": "tutorial",
    "survey_version": 1,
    "area": "N1",
    "method": "doorstep",
    "collected_at": WHEN,
}
TUTORIAL_ANSWERS = {
    "age": 23,
    "picture": "1333604907194.jpg",
    "has_children": "0",
    "gps": "-1.2836198 36.8795437 0.0 1044.0",
    "web_browsers": ["firefox", "chrome", "safari"],
}


def _bad_id(value: str) -> dict[str, list[str]]:
    return {"meta/instanceID": [f"{value!r} is not uuid:<uuid>"]}


MISSING_ID = {"meta/instanceID": ["missing: every instance needs uuid:<uuid>"]}
TRANSPORT = {"transport": ["not a field of this form"]}

# Each fixture as sent, and with what a doorstep form adds to every instance (version, area,
# method, meta/timeEnd) put in by text: the outcome is a code and field errors, or a response.
OUTCOMES: dict[str, tuple[Any, Any]] = {
    "central/encrypted/encrypted.one.xml": (ENCRYPTED, ENCRYPTED),
    "central/encrypted/encrypted.two.xml": (ENCRYPTED, ENCRYPTED),
    "central/encrypted/encrypted.xml": (NOT_INSTANCE, NOT_INSTANCE),
    "central/forms/selectMultiple.xml": (NOT_INSTANCE, NOT_INSTANCE),
    "central/forms/simple.xml": (NOT_INSTANCE, NOT_INSTANCE),
    "central/forms/simple2.xml": (NOT_INSTANCE, NOT_INSTANCE),
    "central/forms/withrepeat.xml": (NOT_INSTANCE, NOT_INSTANCE),
    "kobocat-formList.xml": (NOT_INSTANCE, NOT_INSTANCE),
    "kobocat-transportation/transportation.xml": (NOT_INSTANCE, NOT_INSTANCE),
    "central/instances/selectMultiple.one.xml": (NO_VERSION, "unknown_survey"),
    "central/instances/selectMultiple.two.xml": (NO_VERSION, "unknown_survey"),
    "central/instances/selectMultiple.three.xml": (NO_VERSION, "unknown_survey"),
    "central/instances/simple.one.xml": (NO_VERSION, _bad_id("one")),
    "central/instances/simple.two.xml": (NO_VERSION, _bad_id("two")),
    "central/instances/simple.three.xml": (NO_VERSION, _bad_id("three")),
    **{
        f"central/instances/simple2.{n}.xml": (
            {"survey_version": ["version '2.1': must be a whole number such as 1"]},
        )
        * 2
        for n in ("one", "two", "three")
    },
    **{
        f"kobocat-transportation/instances/{d}/{d}{x}.xml": (NO_VERSION, TRANSPORT)
        for d in (
            "transport_2011-07-25_19-05-36",
            "transport_2011-07-25_19-05-49",
            "transport_2011-07-25_19-06-01",
            "transport_2011-07-25_19-06-14",
        )
        for x in ("", "_with_xmlns")
    },
    "kobocat-transportation/instances/transport_no_response/transport_no_response.xml": (
        NO_VERSION,
        {**TRANSPORT, **_bad_id("uuid:7g0a1508-c3b7-4c99-be00-9b237c26bcfb")},
    ),
    **{
        f"kobocat-transportation/instances/transport_with_attachment/{name}": (
            NO_VERSION,
            "unknown_survey",
        )
        for name in ("transport_with_attachment.xml", "transport_with_attachment_edit.xml")
    },
    "kobocat-transportation/transportation_empty_submission.xml": (
        NO_VERSION,
        {**TRANSPORT, **MISSING_ID},
    ),
    "kobocat-tutorial/instances/tutorial_2012-06-27_11-27-53.xml": (NO_VERSION, MISSING_ID),
    "kobocat-tutorial/instances/tutorial_2012-06-27_11-27-53_bad_id_string.xml": (
        NO_VERSION,
        "unknown_survey",
    ),
    "kobocat-tutorial/instances/tutorial_invalid_id_string_2012-06-27_11-27-53.xml": (
        NO_VERSION,
        "unknown_survey",
    ),
    "kobocat-tutorial/instances/tutorial_2012-06-27_11-27-53_w_xform_uuid.xml": (
        NO_VERSION,
        {"formhub": ["not a field of this form"], **MISSING_ID},
    ),
    "kobocat-tutorial/instances/tutorial_unicode_submission.xml": (NO_VERSION, MISSING_ID),
    "kobocat-tutorial/instances/tutorial_2012-06-27_11-27-53_w_uuid.xml": (
        NO_VERSION,
        {
            "id": "729f173c-688e-4824-86a4-8661700455ff",
            **TUTORIAL,
            "answers": {"name": "Larry\n        Again\n  ", **TUTORIAL_ANSWERS},
        },
    ),
    "kobocat-tutorial/instances/tutorial_2012-06-27_11-27-53_w_uuid_edited.xml": (
        NO_VERSION,
        {
            "id": "2d8c59eb-94e9-485d-a679-b28ffe2e9b98",
            **TUTORIAL,
            "answers": {
                "name": "Dick n Jane",
                **TUTORIAL_ANSWERS,
                "gps": "-1.357 36.728 0.0 1044.0",
            },
            "replaces": "729f173c-688e-4824-86a4-8661700455ff",
        },
    ),
    "kobocat-tutorial/instances/tutorial_2012-06-27_11-27-53_w_uuid_same_instanceID.xml": (
        NO_VERSION,
        {
            "id": "729f173c-688e-4824-86a4-8661700455ff",
            **TUTORIAL,
            "answers": {"name": "Larry\n        Only\n  ", **TUTORIAL_ANSWERS},
        },
    ),
}
_ROOT = re.compile(r"^((?:<\?xml[^>]*\?>)?\s*)<([\w.:-]+)([^>]*)>", re.S)


def with_doorstep_fields(text: str) -> str:
    """Add by text what every doorstep form's instance has and these lack; change nothing else."""
    m = _ROOT.match(text)
    assert m is not None
    attrs = m.group(3) if "version=" in m.group(3) else m.group(3) + ' version="1"'
    text = (
        f"{m.group(1)}<{m.group(2)}{attrs}><area>N1</area><method>doorstep</method>"
        + text[m.end() :]
    )
    meta = re.search(r"<((?:\w+:)?)meta(\s[^>]*)?>", text)
    prefix = meta.group(1) if meta else ""
    when = f"<{prefix}timeEnd>2012-06-27T11:27:53.000+03:00</{prefix}timeEnd>"
    if meta:
        return text[: meta.end()] + when + text[meta.end() :]
    end = text.rindex("</")
    return f"{text[:end]}<meta>{when}</meta>{text[end:]}"


def outcome(data: bytes) -> Any:
    try:
        got = parse_instance(data, FIXTURE_SURVEYS.find)
    except InstanceError as error:
        return error.errors if error.code == "invalid_instance" else error.code
    _, errors = check_response(got, FIXTURE_SURVEYS.find, allowed_areas={"N1"})
    assert errors == {}, "a fixture read in full is a valid response"
    return got


def test_every_fixture_has_an_expected_outcome() -> None:
    found = {p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*.xml")}
    assert found == set(OUTCOMES)


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_fixture_as_sent(name: str) -> None:
    assert outcome((FIXTURES / name).read_bytes()) == OUTCOMES[name][0]


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_fixture_with_a_doorstep_forms_fields(name: str) -> None:
    text = (FIXTURES / name).read_text("utf-8")
    assert outcome(with_doorstep_fields(text).encode()) == OUTCOMES[name][1]


def test_a_leading_space_in_a_select_multiple_is_no_choice() -> None:
    # Central's selectMultiple.three sends " b c"; with doorstep's fields it reads as b and c.
    data = doc("<area>N1</area><method>event</method><m> b c</m>")
    assert chain_parse(data)["answers"] == {"m": ["b", "c"]}


# --- what the endpoints serve ---------------------------------------------------------------


def test_the_response_envelope_is_openrosas_and_escapes_what_it_echoes() -> None:
    body = openrosa_response("Bad <b> & \x00 \u2028", nature="error")
    root = ET.fromstring(body)
    assert root.tag == "{http://openrosa.org/http/response}OpenRosaResponse"
    (message,) = root
    assert message.tag == "{http://openrosa.org/http/response}message"
    assert (message.get("nature"), message.text) == ("error", "Bad <b> & \ufffd \u2028")


def test_the_form_list_names_each_form_with_the_hash_of_its_bytes() -> None:
    survey = REGISTRY.get("doorstep-safety", 1)
    xform = render_xform(survey, [("N1", "North")])
    url = "https://example.org/openrosa/key/T/forms/doorstep-safety/1.xml"
    body = form_list([FormListItem.of(survey, xform, url)])
    ns = "{http://openrosa.org/xforms/xformsList}"
    root = ET.fromstring(body)
    assert root.tag == f"{ns}xforms"
    (item,) = root
    fields = {child.tag.removeprefix(ns): child.text for child in item}
    assert fields == {
        "formID": "doorstep-safety",
        "name": "Safer streets survey",
        "version": "1",
        "hash": "md5:" + hashlib.md5(xform).hexdigest(),
        "downloadUrl": url,
    }
    assert form_hash(xform) == fields["hash"]
    kobo = ET.parse(FIXTURES / "kobocat-formList.xml").getroot()
    assert set(fields) <= {child.tag.removeprefix(ns) for child in kobo[0]}


def test_collects_settings_qr_holds_collects_own_keys() -> None:
    text = collect_settings("https://example.org/openrosa/key/T0k3n", "North CSG: Ann's phone")
    assert read_collect_settings(text) == {
        "general": {
            "protocol": "odk_default",
            "server_url": "https://example.org/openrosa/key/T0k3n",
            "form_update_mode": "match_exactly",
            "autosend": "wifi_and_cellular",
            "delete_send": True,
        },
        "admin": {"change_server": False},
        "project": {"name": "North CSG: Ann's phone"},
    }
    assert collect_settings("https://e.org/k", "P") == collect_settings("https://e.org/k", "P")
    assert re.fullmatch(r"[A-Za-z0-9+/]+=*", text)
