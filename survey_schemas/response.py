"""What a valid response is: the envelope every part of doorstep exchanges."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from .answers import FieldErrors, validate_answers
from .model import METHODS, Survey

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
    collected_at = fields.AwareDateTime(required=True, format="iso")
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


_SCHEMA = ResponseSchema()


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
        env = _SCHEMA.load(data)
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
    for qid in personal:
        q = by_id.get(qid)
        if q is None or not q.personal:
            errors[f"personal.{qid}"] = ["not a personal-data question in this survey"]
    if not errors:
        merged = {**answers, **personal} if personal else answers
        for qid, msgs in validate_answers(survey, merged).items():
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
