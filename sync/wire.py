"""The sync wire format, protocol version 1: marshmallow schemas both ends agree on.

The server imports these schemas (never the client). A pushed response item has the shape of
:class:`survey_schemas.ResponseSchema`; the server checks each item on its own so one bad
response never rejects its neighbours, which is why :class:`PushRequestSchema` keeps items raw.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from survey_schemas import ResponseSchema

PROTOCOL_VERSION = 1
PUSH_STATUSES = ("accepted", "duplicate", "conflict", "rejected")
RESPONSE_FIELDS: tuple[str, ...] = tuple(ResponseSchema().fields)


class HealthSchema(Schema):
    """``GET /api/v1/health``."""

    status = fields.Str(required=True)
    protocol = fields.Int(required=True)


class EnrollRequestSchema(Schema):
    """``POST /api/v1/devices/enroll`` body."""

    class Meta:
        unknown = RAISE

    code = fields.Str(required=True, validate=validate.Length(min=1, max=64))
    label = fields.Str(load_default="device", validate=validate.Length(min=1, max=100))


class EnrollResponseSchema(Schema):
    """``201`` answer to enrollment: the device id and its bearer token (shown once)."""

    device_id = fields.Str(required=True)
    token = fields.Str(required=True)


class PushRequestSchema(Schema):
    """``POST /api/v1/sync/push`` body: items stay raw here and are checked one by one."""

    class Meta:
        unknown = RAISE

    responses = fields.List(fields.Raw(), required=True)


class PushResultSchema(Schema):
    """The outcome for one pushed response, in request order."""

    id = fields.Str(required=True, allow_none=True)
    status = fields.Str(required=True, validate=validate.OneOf(PUSH_STATUSES))
    errors = fields.Dict(keys=fields.Str(), values=fields.List(fields.Str()))
    # a rejected item's reason: ``invalid_response``, or ``outside_group`` for an area (or a
    # response to correct) of a group other than the device's
    code = fields.Str()


class PushResponseSchema(Schema):
    """``200`` answer to a push."""

    results = fields.List(fields.Nested(PushResultSchema), required=True)


class PullQuerySchema(Schema):
    """``GET /api/v1/sync/pull`` query: ``since`` is the cursor of the last page, if any."""

    class Meta:
        unknown = EXCLUDE

    since = fields.Str(load_default=None, validate=validate.Length(min=1, max=40))
    limit = fields.Int(load_default=None, validate=validate.Range(min=1))


class AreaWireSchema(Schema):
    """An area as pull and ``GET /api/v1/areas`` show it; ``deleted`` marks a removed one."""

    code = fields.Str(required=True)
    name = fields.Str()
    group = fields.Str()
    group_name = fields.Str()
    households = fields.Int(allow_none=True)
    streets = fields.List(fields.Str())
    deleted = fields.Bool()


class IssueWireSchema(Schema):
    """An issue's status and public "you said, we did" text, as pull shows it."""

    id = fields.Int(required=True)
    area = fields.Str()
    category = fields.Str()
    status = fields.Str()
    owner = fields.Str(allow_none=True)
    public_text = fields.Str(allow_none=True)
    updated_at = fields.Str(allow_none=True)
    deleted = fields.Bool()


class ContactKeyWireSchema(Schema):
    """A group's public contact key: devices seal residents' contact details to it."""

    kid = fields.Str(required=True)
    group = fields.Str(required=True)
    public_key = fields.Str(required=True, metadata={"description": "base64url, 32 bytes"})
    alg = fields.Str(required=True, metadata={"example": "hpke-x25519-sha256-aes128gcm"})


class PullResponseSchema(Schema):
    """``200`` answer to a pull: one page of what changed since the cursor, oldest first.

    ``contact_keys`` is not a change: every page carries the newest active contact key of each
    group the device serves, and the device keeps exactly those (a retired key leaves it).
    """

    cursor = fields.Str(required=True)
    surveys = fields.List(fields.Dict(), required=True)
    areas = fields.List(fields.Nested(AreaWireSchema), required=True)
    issues = fields.List(fields.Nested(IssueWireSchema), required=True)
    contact_keys = fields.List(fields.Nested(ContactKeyWireSchema))
    more = fields.Bool(required=True)


def wire_content(item: Mapping[str, Any]) -> dict[str, Any]:
    """Return the envelope fields a device sent, without empty optional ones or contact details.

    Contact details are kept apart from the answers, so they are not part of a response's
    content: a conflicting copy kept for a coordinator does not carry them, and a device that
    has forgotten them after the server acknowledged the response (or a bundle exported since)
    still sends the same response.
    """
    return {
        key: item[key]
        for key in RESPONSE_FIELDS
        if key != "personal" and key in item and item[key] is not None
    }


def content_hash(item: Mapping[str, Any]) -> str:
    """Return the sha256 of a wire response's canonical JSON (what makes a retry a duplicate).

    Only envelope fields count, and an absent optional field equals a null one, so a client
    that adds bookkeeping keys or drops nulls still gets ``duplicate`` for the same response.
    """
    canon = _CANONICAL.encode(wire_content(item))
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()


# json.dumps with these arguments, built once (dumps builds an encoder for every call)
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


__all__ = [
    "PROTOCOL_VERSION",
    "PUSH_STATUSES",
    "AreaWireSchema",
    "EnrollRequestSchema",
    "EnrollResponseSchema",
    "HealthSchema",
    "IssueWireSchema",
    "PullQuerySchema",
    "PullResponseSchema",
    "PushRequestSchema",
    "PushResponseSchema",
    "PushResultSchema",
    "content_hash",
    "wire_content",
]
