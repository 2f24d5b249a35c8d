"""``GET /api/v1/areas/<code>/priorities``: an area's ranked issues over a period."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Flask, current_app, request
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from server.api.body import json_body
from server.auth import area_for, current_user, roles_required
from server.clock import now
from server.db import db
from server.exceptions import InvalidInput
from server.issues.priorities import priorities_doc, weights_from
from server.issues.ranking import Period
from survey_schemas import METHODS

bp = Blueprint("priorities", __name__, url_prefix="/api/v1")
DEFAULT_DAYS = 90
MAX_DAYS = 3660


# A period and the one before it (the trend's baseline) must both be calendar dates.
DAYS = validate.Range(min=date(1900, 1, 1), max=date(9998, 12, 31))


class PeriodQuery(Schema):
    """``since``/``until`` (ISO dates, inclusive; default the last 90 days) and ``method``."""

    since = fields.Date(load_default=None, validate=DAYS)
    until = fields.Date(load_default=None, validate=DAYS)
    method = fields.Str(load_default=None, validate=validate.OneOf(METHODS))

    @validates_schema
    def _order(self, data: dict[str, Any], **_: Any) -> None:
        if data["since"] and data["until"] and data["since"] > data["until"]:
            raise ValidationError("since must not be after until", "since")


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


def period_of(q: dict[str, Any], today: date) -> Period:
    """Return the period a query asks for; the default is the last 90 days up to today."""
    until = q["until"] or today
    since = q["since"] or date.fromordinal(until.toordinal() - DEFAULT_DAYS + 1)
    if since > until:  # until may be today's default, which the schema did not see
        raise InvalidInput("since is after until", details={"since": ["on or before until"]})
    if (until - since).days >= MAX_DAYS:
        raise InvalidInput("the period is too long", details={"since": ["at most 10 years"]})
    return Period(since, until)


@bp.get("/areas/<code>/priorities")
@roles_required("admin", "coordinator")
def area_priorities(code: str) -> dict[str, Any]:
    """Rank an area's issues over a period: mentions, share, severity, score, trend, methods."""
    area = area_for(current_user(), code)
    q = load_query(PeriodQuery(), request.args)
    period = period_of(q, now().date())
    weights = weights_from(current_app.config)
    return priorities_doc(db.session, area, period, q["method"], weights)


def register(app: Flask) -> None:
    """Register the merge, triage, meetings, reach and public blueprints on the app."""
    from server.api import meetings, responses, triage
    from server.api import reach as reach_api
    from server.meetings import public

    for module in (responses, triage, meetings, reach_api, public):
        app.register_blueprint(module.bp)
    app.register_blueprint(bp)
