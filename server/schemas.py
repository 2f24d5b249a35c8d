"""Every request schema of the API and the dashboard, and the helpers that load them.

Views validate what comes in here, at the edge (marshmallow), and hand plain values to the
domain; the OpenAPI document reads the same schemas, so it cannot drift from what is checked.
A failed load is :class:`~server.exceptions.InvalidInput`, which becomes the one error body.
"""

from __future__ import annotations

from typing import Any

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

from server.accounts.offboarding import MAX_PASSWORD, MIN_PASSWORD
from server.api.body import json_body
from server.exceptions import InvalidInput
from server.meetings.agenda_render import FORMATS
from server.reach.ledger import MAX_ITEMS, OUTCOMES
from survey_schemas import METHODS
from survey_schemas.dates import check_day, check_moment_text, check_month_text

MAX_LIMIT = 1000


# Every date and time that comes in is in the one range (survey_schemas.dates): a date
# near the ends of the calendar once overflowed on every page that showed it.
DAYS = check_day


TEXT = validate.Length(max=2000)


def load_query(schema: Schema, args: Any) -> dict[str, Any]:
    """Load query parameters with ``schema``; bad ones are :class:`InvalidInput` (400)."""
    try:
        return schema.load({k: v for k, v in args.items() if v != ""})
    except ValidationError as error:
        raise InvalidInput("invalid query parameters", details=error.messages_dict) from None


def load_body(schema: Schema) -> dict[str, Any]:
    """Load the JSON body with ``schema``; anything else is :class:`InvalidInput` (400)."""
    data = json_body()
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object", details={"_schema": ["not an object"]})
    try:
        return schema.load(data)
    except ValidationError as error:
        raise InvalidInput("invalid request body", details=error.messages_dict) from None


class PeriodQuery(Schema):
    """``since``/``until`` (ISO dates, inclusive; default the last 90 days) and ``method``."""

    since = fields.Date(load_default=None, validate=DAYS)
    until = fields.Date(load_default=None, validate=DAYS)
    method = fields.Str(load_default=None, validate=validate.OneOf(METHODS))

    @validates_schema
    def _order(self, data: dict[str, Any], **_: Any) -> None:
        if data["since"] and data["until"] and data["since"] > data["until"]:
            raise ValidationError("since must not be after until", "since")


MONTH = check_month_text


class CrimeQuery(Schema):
    """``since``/``until``: months (YYYY-MM), inclusive; default the 12 months to the latest."""

    since = fields.Str(load_default=None, validate=MONTH)
    until = fields.Str(load_default=None, validate=MONTH)

    @validates_schema
    def _order(self, data: dict[str, Any], **_: Any) -> None:
        if data["since"] and data["until"] and data["since"] > data["until"]:
            raise ValidationError("since must not be after until", "since")


class ResponsesQuery(Schema):
    """``since`` (received on/after; ISO date or date-time), ``area``, ``cursor``, ``limit``."""

    since = fields.Str(load_default=None, validate=check_moment_text)
    area = fields.Str(load_default=None, validate=validate.Length(max=64))
    cursor = fields.Str(load_default=None, validate=validate.Length(max=200))
    limit = fields.Int(load_default=100, validate=validate.Range(min=1, max=MAX_LIMIT))


class QueueQuery(Schema):
    """``area`` (default: all the caller's) and ``status`` (default ``pending``)."""

    area = fields.Str(load_default=None, validate=validate.Length(max=64))
    status = fields.Str(
        load_default="pending", validate=validate.OneOf(("pending", "mapped", "dismissed"))
    )
    limit = fields.Int(load_default=200, validate=validate.Range(min=1, max=1000))


class DecisionSchema(Schema):
    """``{"category": "<code>"}`` maps the text; ``{"category": null}`` dismisses it."""

    category = fields.Str(required=True, allow_none=True, validate=validate.Length(max=64))


class MeetingSchema(Schema):
    """A meeting record: its date, time, venue, chair, apologies, minutes, any other business,
    next date."""

    date = fields.Date(required=True, validate=DAYS)
    time = fields.Str(
        load_default="",
        validate=validate.Regexp(r"^$|^([01][0-9]|2[0-3]):[0-5][0-9]$", error="a time as HH:MM"),
    )
    venue = fields.Str(load_default="", validate=validate.Length(max=200))
    chair = fields.Str(load_default="", validate=validate.Length(max=100))
    apologies = fields.List(fields.Str(validate=validate.Length(max=200)), load_default=list)
    minutes = fields.Str(load_default="", validate=validate.Length(max=20000))
    aob = fields.List(fields.Str(validate=TEXT), load_default=list)
    next_date = fields.Date(load_default=None, allow_none=True, validate=DAYS)


class AgreeSchema(Schema):
    """An agreed priority: category, owner (provider), report-back date, meeting date, note."""

    category = fields.Str(required=True, validate=validate.Length(max=64))
    owner = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    report_back = fields.Date(required=True, validate=DAYS)
    date = fields.Date(load_default=None, validate=DAYS)
    note = fields.Str(load_default="", validate=TEXT)


class StatusSchema(Schema):
    """A status change with its dated note (and optionally a new report-back date)."""

    status = fields.Str(
        required=True,
        validate=validate.OneOf(("open", "agreed", "in_progress", "resolved", "closed")),
    )
    note = fields.Str(required=True, validate=validate.Length(min=1, max=2000))
    date = fields.Date(load_default=None, validate=DAYS)
    report_back = fields.Date(load_default=None, validate=DAYS)


class ActionSchema(Schema):
    """A dated action taken on an issue."""

    text = fields.Str(required=True, validate=validate.Length(min=1, max=2000))
    date = fields.Date(load_default=None, validate=DAYS)


class PublicSchema(Schema):
    """The issue's public "you said, we did" statement."""

    text = fields.Str(required=True, validate=TEXT)


class ExportQuery(Schema):
    """A spreadsheet export: ``group`` or ``area`` (default every area the user sees), the
    collection days ``since``/``until`` (inclusive) and ``format`` (csv, xlsx, json)."""

    group = fields.Str(load_default=None, validate=validate.Length(min=1, max=64))
    area = fields.Str(load_default=None, validate=validate.Length(min=1, max=64))
    since = fields.Date(load_default=None, validate=DAYS)
    until = fields.Date(load_default=None, validate=DAYS)
    format = fields.Str(load_default="csv", validate=validate.OneOf(("csv", "xlsx", "json")))

    @validates_schema
    def _order(self, data: dict[str, Any], **_: Any) -> None:
        if data["since"] and data["until"] and data["since"] > data["until"]:
            raise ValidationError("since must not be after until", "since")
        if data["group"] and data["area"]:
            raise ValidationError("choose a group or an area, not both", "area")


class AgendaQuery(Schema):
    """``date`` of the meeting (default today) and ``format`` (json, md, html, csv)."""

    date = fields.Date(load_default=None, validate=DAYS)
    format = fields.Str(load_default="json", validate=validate.OneOf(FORMATS))


class SessionSchema(Schema):
    """A volunteer session as the collector keeps it (volunteer ids are not stored)."""

    class Meta:
        unknown = EXCLUDE

    id = fields.UUID(required=True)
    area = fields.Str(required=True, validate=validate.Length(min=1, max=64))
    mode = fields.Str(load_default="doorstep", validate=validate.OneOf(METHODS))
    started_at = fields.AwareDateTime(required=True, validate=DAYS)
    ended_at = fields.AwareDateTime(load_default=None, allow_none=True, validate=DAYS)


class DoorSchema(Schema):
    """A door outcome; ``street`` and ``house`` may be sent but are never stored."""

    class Meta:
        unknown = EXCLUDE

    id = fields.UUID(required=True)
    session_id = fields.UUID(load_default=None, allow_none=True)
    area = fields.Str(required=True, validate=validate.Length(min=1, max=64))
    outcome = fields.Str(required=True, validate=validate.OneOf(OUTCOMES))
    at = fields.AwareDateTime(required=True, validate=DAYS)


class ActivitySchema(Schema):
    """``POST /api/v1/sync/activity`` body: ``{"sessions": [...], "doors": [...]}``."""

    class Meta:
        unknown = EXCLUDE

    sessions = fields.List(
        fields.Nested(SessionSchema), load_default=list, validate=validate.Length(max=MAX_ITEMS)
    )
    doors = fields.List(
        fields.Nested(DoorSchema), load_default=list, validate=validate.Length(max=MAX_ITEMS)
    )


class SignInSchema(Schema):
    """The sign-in form: a username and a password."""

    username = fields.Str(
        required=True,
        validate=validate.Length(min=1, max=100),
        error_messages={"required": "Enter your username"},
    )
    password = fields.Str(
        required=True,
        validate=validate.Length(min=1, max=1000),
        error_messages={"required": "Enter your password"},
    )


class FormListQuery(Schema):
    """``formID`` narrows an OpenRosa form list to one form (Enketo asks so); others ignored."""

    class Meta:
        unknown = EXCLUDE

    formID = fields.Str(  # noqa: N815 (OpenRosa's own parameter name)
        load_default=None, data_key="formID", validate=validate.Length(max=200)
    )


class CodeForm(Schema):
    """A label for the device and the group whose areas it will see."""

    label = fields.Str(load_default=None, validate=validate.Length(max=100))
    group = fields.Str(load_default=None, validate=validate.Length(max=64))


class CollectForm(Schema):
    """An ODK Collect phone: its name and the group whose areas and surveys it gets."""

    label = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    group = fields.Str(required=True, validate=validate.Length(min=1, max=64))


class ConfirmForm(Schema):
    """A confirmation step: ``confirm=yes`` once the person has seen what will happen."""

    confirm = fields.Str(load_default="", validate=validate.Length(max=10))


class GroupLeaveForm(ConfirmForm):
    """Which group to take a user out of."""

    group = fields.Str(required=True, validate=validate.Length(min=1, max=64))


class PasswordForm(Schema):
    """A new dashboard password, typed twice."""

    password = fields.Str(
        required=True,
        validate=validate.Length(
            min=MIN_PASSWORD,
            max=MAX_PASSWORD,
            error=f"Use between {MIN_PASSWORD} and {MAX_PASSWORD} characters",
        ),
        error_messages={"required": "Enter the new password"},
    )
    again = fields.Str(required=True, error_messages={"required": "Enter the password again"})

    @validates_schema
    def _same_twice(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("password") != data.get("again"):
            raise ValidationError("The two passwords are not the same", "again")


class UploadForm(Schema):
    """What comes with the file: a purpose statement (for an XLSForm) and whose survey it is."""

    purpose = fields.Str(load_default="", validate=validate.Length(max=2000))
    group = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=64))


class DecisionForm(Schema):
    """``action`` map (with a ``category``) or dismiss; ``area`` is where to come back to."""

    action = fields.Str(required=True, validate=validate.OneOf(("map", "dismiss")))
    category = fields.Str(load_default=None, validate=validate.Length(max=64))
    area = fields.Str(load_default=None, validate=validate.Length(max=64))

    @validates_schema
    def _category_for_map(self, data: dict[str, Any], **_: Any) -> None:
        if data["action"] == "map" and not data["category"]:
            raise ValidationError("Choose a category to map this comment to", "category")


#: How a resident asked to be contacted back, and how a coordinator did it.
CHANNELS = ("phone", "email", "letter", "in_person")


class ContactKeyForm(Schema):
    """A new contact key: the group and the passphrase that wraps it (typed twice)."""

    group = fields.Str(required=True, validate=validate.Length(min=1, max=64))
    passphrase = fields.Str(
        required=True,
        validate=validate.Length(min=12, max=1024, error="Use 12 to 1024 characters"),
        error_messages={"required": "Choose a passphrase"},
    )
    confirm = fields.Str(required=True, error_messages={"required": "Type the passphrase again"})

    @validates_schema
    def _typed_twice(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("passphrase") != data.get("confirm"):
            raise ValidationError("The two passphrases differ", "confirm")


class FollowUpForm(Schema):
    """Open a group's follow-up list: its passphrase (used for this request only), since when."""

    group = fields.Str(required=True, validate=validate.Length(min=1, max=64))
    passphrase = fields.Str(
        required=True,
        validate=validate.Length(min=1, max=1024),
        error_messages={"required": "Enter the group's contact passphrase"},
    )
    since = fields.Date(load_default=None, validate=DAYS)


class ContactedForm(Schema):
    """A "contacted" mark: by which channel the resident was told what happened."""

    channel = fields.Str(required=True, validate=validate.OneOf(CHANNELS))
