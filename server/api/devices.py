"""``POST /api/v1/devices/enroll``: spend an enrollment code on a device token."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, current_app, request
from marshmallow import ValidationError

from server import clock
from server.accounts import throttle
from server.accounts.devices import enroll
from server.api.body import json_body
from server.db import db
from server.errors import error_response, status_for
from server.exceptions import DoorstepError, InvalidInput, TooManyAttempts
from sync.wire import EnrollRequestSchema, EnrollResponseSchema

bp = Blueprint("devices", __name__, url_prefix="/api/v1/devices")
KIND = "enroll-address"


@bp.errorhandler(TooManyAttempts)
def _too_many(error: TooManyAttempts) -> Response:
    """Answer 429 with ``Retry-After``, so a client knows when to try again."""
    reply = error_response(status_for(error), error.code, error.message, error.details)
    reply.headers["Retry-After"] = str(error.details.get("retry_after", 1))
    return reply


@bp.post("/enroll")
def enroll_device() -> tuple[dict[str, str], int]:
    """Enroll a device with a single-use, expiring code; answer its id and bearer token.

    401 invalid_enrollment_code; 410 enrollment_code_used or enrollment_code_expired; 429
    too_many_attempts after repeated failures from one address. The token is shown only in this
    answer.
    ---
    post:
      requestBody: {content: {application/json: {schema: EnrollRequestSchema}}}
      responses:
        201: {content: {application/json: {schema: EnrollResponseSchema}}}
        401: Error
        410: Error
        429: Error
    """
    address = request.remote_addr or "unknown"
    config = current_app.config
    limit, window = config["ENROLL_MAX_FAILURES"], config["ENROLL_FAILURE_WINDOW"]
    now = clock.now()
    try:
        with throttle.attempt(db.session, [(KIND, address, limit)], window, now) as attempt:
            device_id, token = _enroll(attempt, now)
    except TooManyAttempts as error:
        raise TooManyAttempts(
            "too many wrong enrollment codes from this address; wait and try again",
            details=error.details,
        ) from None
    return EnrollResponseSchema().dump({"device_id": device_id, "token": token}), 201


def _enroll(attempt: throttle.Attempt, now: datetime) -> tuple[str, str]:
    """Spend the request's code; a wrong one fails the attempt (kept, so every worker counts it)."""
    try:
        body = EnrollRequestSchema().load(json_body())
    except ValidationError as error:
        raise InvalidInput("the enrollment request is not valid", details=error.messages) from None
    try:
        device_id, token = enroll(db.session, body["code"], body["label"], now=now)
    except DoorstepError:
        db.session.rollback()
        attempt.fail()
        raise
    db.session.commit()
    return device_id, token
