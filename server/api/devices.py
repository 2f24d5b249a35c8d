"""``POST /api/v1/devices/enroll``: spend an enrollment code on a device token."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from flask import Blueprint, current_app, request
from marshmallow import ValidationError

from sync.wire import EnrollRequestSchema, EnrollResponseSchema

from .. import clock
from ..db import db
from ..enrollment import enroll
from ..exceptions import DoorstepError, InvalidInput, TooManyAttempts
from .body import json_body

bp = Blueprint("devices", __name__, url_prefix="/api/v1/devices")


class FailureLimiter:
    """Count failed attempts per client address in a sliding window (one process's memory)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def check(self, address: str, limit: int, window: float, now: float) -> None:
        """Raise :class:`TooManyAttempts` if the address failed ``limit`` times in the window."""
        with self._lock:
            recent = self._failures[address]
            while recent and recent[0] <= now - window:
                recent.popleft()
            if len(recent) >= limit:
                raise TooManyAttempts(
                    "too many wrong enrollment codes from this address; wait and try again",
                    details={"retry_after": int(recent[0] + window - now) + 1},
                )

    def fail(self, address: str, now: float) -> None:
        """Record one failed attempt."""
        with self._lock:
            self._failures[address].append(now)


def _limiter() -> FailureLimiter:
    return current_app.extensions.setdefault("doorstep_enroll_limiter", FailureLimiter())


@bp.post("/enroll")
def enroll_device() -> tuple[dict[str, str], int]:
    """Enroll a device with a single-use code; answer its id and bearer token."""
    address = request.remote_addr or "unknown"
    config = current_app.config
    # A monotonic clock: the window must not jump when the wall clock does.
    mono = time.monotonic()
    _limiter().check(address, config["ENROLL_MAX_FAILURES"], config["ENROLL_FAILURE_WINDOW"], mono)
    try:
        body = EnrollRequestSchema().load(json_body())
    except ValidationError as error:
        raise InvalidInput("the enrollment request is not valid", details=error.messages) from None
    try:
        device_id, token = enroll(db.session, body["code"], body["label"], now=clock.now())
    except DoorstepError:
        db.session.rollback()
        _limiter().fail(address, mono)
        raise
    db.session.commit()
    return EnrollResponseSchema().dump({"device_id": device_id, "token": token}), 201
