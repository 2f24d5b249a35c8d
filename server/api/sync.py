"""``POST /api/v1/sync/push`` and ``GET /api/v1/sync/pull`` for enrolled devices."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, current_app, request
from marshmallow import ValidationError

from server import clock
from server.accounts.devices import note_sync
from server.api.body import json_body_marked
from server.auth import current_device, device_area_codes, device_required
from server.contacts.keys import feed_keys
from server.db import db
from server.errors import ApiError, ErrorCode
from server.exceptions import InvalidInput
from server.feed import pull_page
from server.intake.ingest import ingest_batch
from sync.wire import PullQuerySchema, PullResponseSchema, PushRequestSchema

bp = Blueprint("sync", __name__, url_prefix="/api/v1/sync")


@bp.post("/push")
@device_required
def push() -> dict[str, Any]:
    """Store a batch of responses; answer one result per response, in request order.

    The body may be gzip (Content-Encoding: gzip). Each item should be a Response; items are
    checked one by one, so a bad item is `rejected` with its errors and never fails its
    neighbours. Status per item: accepted, duplicate, conflict or rejected. Committed before
    the answer.
    ---
    post:
      requestBody: {content: {application/json: {schema: PushRequestSchema}}}
      responses:
        200: {content: {application/json: {schema: PushResponseSchema}}}
    """
    # A NUL or a lone surrogate refuses only the response that holds it, not the whole push.
    value, suspect_text = json_body_marked()
    try:
        body = PushRequestSchema().load(value)
    except ValidationError as error:
        raise InvalidInput("the push body is not valid", details=error.messages) from None
    limit = current_app.config["MAX_PUSH_RESPONSES"]
    if len(body["responses"]) > limit:
        raise ApiError(
            413,
            ErrorCode.PAYLOAD_TOO_LARGE,
            f"a push may carry at most {limit} responses; send smaller batches",
            {"max_responses": limit},
        )
    days = current_app.config["PERSONAL_RETENTION_DAYS"]
    outcomes = ingest_batch(
        db.session,
        body["responses"],
        now=clock.now(),
        device=current_device(),
        personal_retention=timedelta(days=days) if days else None,
        check_text=suspect_text,
    )
    # Outcome.to_wire already has PushResultSchema's shape (tests/server/test_ingest_fast.py
    # holds them to it); dumping through marshmallow cost about as much as storing a response
    return {"results": [o.to_wire() for o in outcomes]}


@bp.get("/pull")
@device_required
def pull() -> dict[str, Any]:
    """Answer one page of the surveys, areas and issues changed since the cursor.

    Every page also carries the device's groups' current contact keys (not a change).
    ---
    get:
      parameters: [{in: query, schema: PullQuerySchema}]
      responses:
        200: {content: {application/json: {schema: PullResponseSchema}}}
        410: Error
    """
    try:
        query = PullQuerySchema().load(request.args.to_dict())
    except ValidationError as error:
        raise InvalidInput("the pull query is not valid", details=error.messages) from None
    largest = current_app.config["PULL_PAGE_SIZE"]
    limit = min(query["limit"] or largest, largest)
    device = current_device()
    page = pull_page(db.session, query["since"], limit, device_area_codes(device), device.group_id)
    keys = feed_keys(db.session, device.group_id)
    # The dashboard shows the last sync to the minute: a device pulling after every push
    # need not write (and flush the log) each time.
    note_sync(device, clock.now())
    db.session.commit()
    return PullResponseSchema().dump(
        {
            "cursor": page.cursor,
            "surveys": page.surveys,
            "areas": page.areas,
            "issues": page.issues,
            "contact_keys": keys,
            "more": page.more,
        }
    )
