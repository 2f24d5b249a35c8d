"""What a valid response is: the envelope every part of doorstep exchanges."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from .answers import FieldErrors, validate_answers
from .dates import check_day, day_in_range
from .model import METHODS, Survey
from .sealed import sealed_problem

AREA = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", error="must be an area code")


class ResponseSchema(Schema):
    """The response envelope on the wire and in the local API (DESIGN: Sync contract)."""

    class Meta:
        unknown = RAISE

    id = fields.UUID(required=True)
    survey_id = fields.Str(required=True, validate=validate.Length(min=1, max=64))
    survey_version = fields.Int(required=True, strict=True, validate=validate.Range(min=1))
    area = fields.Str(required=True, validate=AREA)
    method = fields.Str(required=True, validate=validate.OneOf(METHODS))
    collected_at = fields.AwareDateTime(required=True, format="iso", validate=check_day)
    # No key field: deserialising every answer key through fields.Str doubled the cost of
    # an envelope (bench/validate.py); a key that is not a question id (a string) gets a
    # field error from check_response all the same.
    answers = fields.Dict(required=True)
    personal = fields.Dict(load_default=dict)
    volunteer = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=100))
    consent = fields.Bool(load_default=None, allow_none=True)
    language = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=16))
    street = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=200))
    replaces = fields.UUID(load_default=None, allow_none=True)


@dataclass(frozen=True)
class Response:
    """A checked response; ``personal`` holds consented contact details, kept apart."""

    id: str
    survey_id: str
    survey_version: int
    area: str
    method: str
    collected_at: datetime
    answers: Mapping[str, Any]
    personal: Mapping[str, Any] = field(default_factory=dict)
    volunteer: str | None = None
    consent: bool | None = None
    language: str | None = None
    street: str | None = None
    replaces: str | None = None


_ABSENT = object()
_SCHEMA = ResponseSchema()
_FIELDS = frozenset(_SCHEMA.fields)
_REQUIRED = ("id", "survey_id", "survey_version", "area", "method", "collected_at", "answers")
_OPTIONAL_TEXT = (("volunteer", 100), ("language", 16), ("street", 200))
_AREA_MATCH = AREA.regex.match
_METHODS = frozenset(METHODS)


def _uuid(value: Any) -> uuid.UUID | None:
    """Return ``value`` as a UUID when it is a plain string the UUID field takes, else None."""
    if type(value) is not str:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _fast_load(data: Any) -> dict[str, Any] | None:
    """Return what ``ResponseSchema().load(data)`` returns, or None when unsure.

    A quick path for plain, well-formed envelopes: it accepts only what the schema surely
    accepts and builds the very same result; anything else (a problem, an unusual type) is
    left to marshmallow, which stays the source of truth and of every error message.
    """
    if type(data) is not dict or not data.keys() <= _FIELDS:
        return None
    try:
        rid, sid, version, area, method, when, answers = (data[k] for k in _REQUIRED)
    except KeyError:
        return None
    parsed_id = _uuid(rid)
    if (
        parsed_id is None
        or type(sid) is not str
        or not 1 <= len(sid) <= 64
        or type(version) is not int
        or version < 1
        or type(area) is not str
        or _AREA_MATCH(area) is None
        or type(method) is not str
        or method not in _METHODS
        or type(when) is not str
        or type(answers) is not dict
    ):
        return None
    try:
        collected = datetime.fromisoformat(when)
    except ValueError:
        return None
    if collected.tzinfo is None or collected.tzinfo.utcoffset(collected) is None:
        return None
    if not day_in_range(collected):
        return None
    out: dict[str, Any] = {
        "id": parsed_id,
        "survey_id": sid,
        "survey_version": version,
        "area": area,
        "method": method,
        "collected_at": collected,
        "answers": dict(answers),
    }
    personal = data.get("personal", _ABSENT)
    if personal is _ABSENT:
        out["personal"] = {}
    elif type(personal) is dict:
        out["personal"] = dict(personal)
    else:
        return None
    for key, longest in _OPTIONAL_TEXT:
        value = data.get(key)
        if value is not None and (type(value) is not str or len(value) > longest):
            return None
        out[key] = value
    consent = data.get("consent")
    if not (consent is None or consent is True or consent is False):
        return None
    out["consent"] = consent
    replaces = data.get("replaces")
    if replaces is not None:
        replaces = _uuid(replaces)
        if replaces is None:
            return None
    out["replaces"] = replaces
    return out


def load_envelope(data: Any) -> dict[str, Any]:
    """Load an envelope as ``ResponseSchema`` does; raise its ValidationError when invalid."""
    loaded = _fast_load(data)
    return loaded if loaded is not None else _SCHEMA.load(data)


def _flat(messages: Any) -> FieldErrors:
    out: FieldErrors = {}
    for key, val in messages.items() if isinstance(messages, dict) else [("_", messages)]:
        if isinstance(val, dict):
            for sub, msgs in _flat(val).items():
                out[f"{key}.{sub}"] = msgs
        else:
            out[str(key)] = [str(m) for m in (val if isinstance(val, list) else [val])]
    return out


def check_response(
    data: Any, lookup: Any, *, allowed_areas: Any = None
) -> tuple[Response | None, FieldErrors]:
    """Check a response envelope and its answers; return ``(response, {})`` or ``(None, errors)``.

    ``lookup(survey_id, version)`` returns the :class:`Survey` or None (a
    :class:`~survey_schemas.registry.SurveyRegistry`'s ``find`` fits). Error keys are
    field names, with answers as ``answers.<question id>``.
    """
    if not isinstance(data, Mapping):
        return None, {"_": ["a response must be a JSON object"]}
    try:
        env = load_envelope(data)
    except ValidationError as exc:
        return None, _flat(exc.messages)
    survey: Survey | None = lookup(env["survey_id"], env["survey_version"])
    if survey is None:
        return None, {
            "survey_version": [
                f"unknown survey {env['survey_id']!r} version {env['survey_version']}"
            ]
        }
    errors: FieldErrors = {}
    if env["method"] not in survey.methods:
        errors["method"] = [f"{survey.id} is not collected by {env['method']!r}"]
    if allowed_areas is not None and env["area"] not in allowed_areas:
        errors["area"] = [f"unknown area {env['area']!r}"]
    if env["language"] is not None and env["language"] not in survey.languages:
        errors["language"] = [f"{survey.id} has no {env['language']!r} text"]
    answers, personal = env["answers"], env["personal"]
    by_id = survey.by_id
    for qid in answers:
        q = by_id.get(qid)
        if q is not None and q.personal:
            errors[f"answers.{qid}"] = ["personal data goes in 'personal', apart from the answers"]
    sealed: set[str] = set()
    for qid, value in personal.items():
        q = by_id.get(qid)
        if q is None or not q.personal:
            errors[f"personal.{qid}"] = ["not a personal-data question in this survey"]
        elif type(value) is dict:  # sealed on the device: only its shape can be checked here
            sealed.add(qid)
            if problem := sealed_problem(value):
                errors[f"personal.{qid}"] = [problem]
    if not errors:
        merged = {**answers, **personal} if personal else answers
        found = validate_answers(survey, merged, opaque=frozenset(sealed))
        for qid, msgs in found.items():
            prefix = "personal" if qid in personal else "answers"
            errors[f"{prefix}.{qid}"] = msgs
    if errors:
        return None, errors
    return (
        Response(
            id=str(env["id"]),
            survey_id=env["survey_id"],
            survey_version=env["survey_version"],
            area=env["area"],
            method=env["method"],
            collected_at=env["collected_at"],
            answers=answers,
            personal=personal,
            volunteer=env["volunteer"],
            consent=env["consent"],
            language=env["language"],
            street=env["street"],
            replaces=str(env["replaces"]) if env["replaces"] else None,
        ),
        {},
    )


def new_response_id() -> str:
    """Return a fresh response id (a random UUID)."""
    return str(uuid.uuid4())
