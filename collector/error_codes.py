"""The codes of the one error body, shared in meaning by the collector's API and the server's.

Every error either API answers is ``{"error": {"code", "message", "details"}}`` with a code from
here, so a client switches on one vocabulary whichever it talks to. The collector owns the list
because the server may import from it, not the other way round.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    """Every error code either API returns (stable: clients switch on these)."""

    BAD_REQUEST = "bad_request"
    MALFORMED_JSON = "malformed_json"
    INVALID_INPUT = "invalid_input"
    INVALID_RESPONSE = "invalid_response"
    # a pushed or imported response for an area (or correcting a response) of another group
    OUTSIDE_GROUP = "outside_group"
    INVALID_TOKEN = "invalid_token"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    CONFLICT = "conflict"
    ALREADY_EXISTS = "already_exists"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    INVALID_ENROLLMENT_CODE = "invalid_enrollment_code"
    ENROLLMENT_CODE_USED = "enrollment_code_used"
    ENROLLMENT_CODE_EXPIRED = "enrollment_code_expired"
    CURSOR_EXPIRED = "cursor_expired"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    WRONG_PASSPHRASE = "wrong_passphrase"
    STORAGE_FULL = "storage_full"
    STORAGE_ERROR = "storage_error"
    INVALID_DEVICE = "invalid_device"
    UNAVAILABLE = "unavailable"
    INTERNAL_ERROR = "internal_error"
    # why a collector's sync (``POST /api/v1/sync`` on the collector) did not finish
    SYNC_UNAVAILABLE = "sync_unavailable"
    SYNC_FAILED = "sync_failed"
    NOT_ENROLLED = "not_enrolled"
    DEVICE_REVOKED = "device_revoked"
    SERVER_UNREACHABLE = "server_unreachable"
    CONNECTION_LOST = "connection_lost"
    BAD_REPLY = "bad_reply"
    PROTOCOL_MISMATCH = "protocol_mismatch"
    PULL_RUNAWAY = "pull_runaway"
    VISITS_RUNAWAY = "visits_runaway"


#: The code of an HTTP error that no domain error explains.
HTTP_CODES: dict[int, ErrorCode] = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.INVALID_TOKEN,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    409: ErrorCode.CONFLICT,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    429: ErrorCode.TOO_MANY_ATTEMPTS,
    500: ErrorCode.INTERNAL_ERROR,
    503: ErrorCode.UNAVAILABLE,
}


def code_for(status: int) -> ErrorCode:
    """Return the code of an HTTP error status (an unlisted 4xx is a bad request)."""
    return HTTP_CODES.get(status) or (
        ErrorCode.BAD_REQUEST if status < 500 else ErrorCode.INTERNAL_ERROR
    )


def error_body(code: ErrorCode | str, message: str, details: Any = None) -> dict[str, Any]:
    """Return the one error body."""
    return {"error": {"code": str(code), "message": message, "details": details or {}}}
