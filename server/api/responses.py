"""``GET /api/v1/responses``: stored responses, paged oldest first, as JSON or CSV.

Personal details never appear: they live in their own table and this view does not read it.
Free-text answers go through the scrubber (as triage quotes do), since a resident may type a
phone number or an address into them.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy import and_, or_, select

from server.auth import area_for, current_user, roles_required, visible_areas
from server.catalogue.surveys import registry_for
from server.db import db
from server.exceptions import InvalidInput
from server.issues.formats import csv_text
from server.issues.scrub import scrub
from server.models import Response as Stored
from server.schemas import ResponsesQuery, load_query
from survey_schemas import Survey, SurveyRegistry
from survey_schemas.dates import parse_moment
from survey_schemas.model import TEXT_TYPES

bp = Blueprint("responses", __name__, url_prefix="/api/v1")
MAX_LIMIT = 1000
FIELDS = (
    "id",
    "survey_id",
    "survey_version",
    "area",
    "method",
    "collected_at",
    "received_at",
    "language",
    "street",
    "replaces",
    "conflict",
    "clock_flag",
    "answers",
)


def _since(value: str) -> datetime:
    try:
        return parse_moment(value)
    except ValueError as error:
        raise InvalidInput(
            "invalid since", details={"since": [f"an ISO date or date-time; {error}"]}
        ) from None


def encode_cursor(received_at: datetime, rid: str) -> str:
    """Return an opaque cursor just after (received_at, id)."""
    raw = json.dumps([received_at.isoformat(), rid]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """Return the (received_at, id) a cursor points after; a bad cursor is :class:`InvalidInput`.

    Only what :func:`encode_cursor` writes is taken: a pair of a time in the accepted range
    (with its offset) and a string id.
    """
    try:
        at, rid = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(at, str) or not isinstance(rid, str) or not at.endswith("+00:00"):
            raise ValueError("not a cursor we gave")
        return parse_moment(at), rid
    except (ValueError, TypeError):
        raise InvalidInput("invalid cursor", details={"cursor": ["not a cursor we gave"]}) from None


def _scrubbed(answers: dict[str, Any], survey: Survey | None) -> dict[str, Any]:
    """Return the answers with every free-text and street answer scrubbed of contact details."""
    if survey is None:
        return answers
    return {
        qid: scrub(value)
        if isinstance(value, str) and (q := survey.by_id.get(qid)) and q.type in TEXT_TYPES
        else value
        for qid, value in answers.items()
    }


def _row(r: Stored, registry: SurveyRegistry) -> dict[str, Any]:
    out = {name: getattr(r, name) for name in FIELDS}
    out["answers"] = _scrubbed(r.answers, registry.find(r.survey_id, r.survey_version))
    out["street"] = scrub(r.street) if r.street else r.street  # "12 Acacia Road": a house
    out["collected_at"] = r.collected_at.isoformat()
    out["received_at"] = r.received_at.isoformat()
    return out


@bp.get("/responses")
@roles_required("admin", "coordinator")
def list_responses() -> Any:
    """Page through responses oldest first (``next`` is the cursor); CSV when asked.

    `Accept: text/csv` answers CSV, with the next cursor in X-Next-Cursor. Personal data is
    never shown. 404 for an ``area`` the caller may not see.
    ---
    get:
      parameters: [{in: query, schema: ResponsesQuery}]
      responses:
        200:
          content:
            application/json: {schema: ResponsesPageSchema}
            text/csv: {schema: {type: string}}
        404: Error
    """
    q = load_query(ResponsesQuery(), request.args)
    user = current_user()
    codes = [area_for(user, q["area"]).code] if q["area"] else [a.code for a in visible_areas(user)]
    query = select(Stored).where(Stored.area.in_(codes))
    if q["since"]:
        query = query.where(Stored.received_at >= _since(q["since"]))
    if q["cursor"]:
        at, rid = decode_cursor(q["cursor"])
        query = query.where(
            or_(Stored.received_at > at, and_(Stored.received_at == at, Stored.id > rid))
        )
    query = query.order_by(Stored.received_at, Stored.id).limit(q["limit"] + 1)
    rows = list(db.session.scalars(query))
    more = len(rows) > q["limit"]
    rows = rows[: q["limit"]]
    nxt = encode_cursor(rows[-1].received_at, rows[-1].id) if more else None
    registry = registry_for(db.session)
    items = [_row(r, registry) for r in rows]
    best = request.accept_mimetypes.best_match(["application/json", "text/csv"])
    if best == "text/csv":
        table = [
            [json.dumps(i[f], ensure_ascii=False) if f == "answers" else i[f] for f in FIELDS]
            for i in items
        ]
        resp = Response(csv_text(FIELDS, table), mimetype="text/csv")
        if nxt:
            resp.headers["X-Next-Cursor"] = nxt
        return resp
    return {"responses": items, "next": nxt}
