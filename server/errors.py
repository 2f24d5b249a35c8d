"""The one error body of the API, its codes, and the HTTP mapping of domain errors."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, abort, jsonify, request
from werkzeug.exceptions import HTTPException

from collector.error_codes import ErrorCode, code_for, error_body
from server import exceptions as exc
from server.openrosa.replies import is_openrosa, message_reply

# Domain error class → HTTP status; the first matching base class wins.
STATUS: dict[type[exc.DoorstepError], int] = {
    exc.InvalidInput: 400,
    exc.InvalidToken: 401,
    exc.EnrollmentInvalid: 401,
    exc.Forbidden: 403,
    exc.WrongPassphrase: 403,
    exc.NotFound: 404,
    exc.AlreadyExists: 409,
    exc.EnrollmentUsed: 410,
    exc.EnrollmentExpired: 410,
    exc.CursorExpired: 410,
    exc.TooManyAttempts: 429,
}


class ApiError(Exception):
    """An error raised inside a view that becomes the one error body."""

    def __init__(
        self, status: int, code: ErrorCode, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details = details or {}


def error_response(
    status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> Response:
    """Return ``{"error": {"code", "message", "details"}}`` with the given status."""
    resp = jsonify(error_body(code, message, details))
    resp.status_code = status
    if status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="doorstep"'
    return resp


def status_for(error: exc.DoorstepError) -> int:
    """Return the HTTP status for a domain error."""
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def openrosa_status(error: exc.DoorstepError) -> int:
    """Return the status of a domain error for an OpenRosa client.

    An unknown or revoked token is 403, not 401: Collect answers a 401 by asking the volunteer
    for a user name and password, which a doorstep phone does not have.
    """
    return 403 if isinstance(error, exc.InvalidToken) else status_for(error)


def _is_api() -> bool:
    return request.path.startswith("/api/")


def refuse_nul() -> None:
    """Refuse a URL, query or form value holding a NUL: PostgreSQL text cannot store one.

    JSON bodies are checked as they are parsed (``collector.json_text``).
    """
    values = [*request.args.values(), *(request.view_args or {}).values()]
    if request.method not in ("GET", "HEAD", "OPTIONS") and request.mimetype in _FORMS:
        values += request.form.values()
    if any(isinstance(v, str) and "\x00" in v for v in values):
        message = "a value holds a NUL character"
        if _is_api():
            raise ApiError(400, ErrorCode.INVALID_INPUT, message)
        abort(400, message)


_FORMS = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def register(app: Flask) -> None:
    """Install the handlers that give every API error the one body, and refuse NUL input."""
    app.before_request(refuse_nul)

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> Response:
        if is_openrosa():
            return message_reply(error.status, error.message)
        return error_response(error.status, error.code, error.message, error.details)

    @app.errorhandler(exc.DoorstepError)
    def _domain_error(error: exc.DoorstepError) -> Response:
        if is_openrosa():
            return message_reply(openrosa_status(error), error.message)
        return error_response(status_for(error), error.code, error.message, error.details)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response | HTTPException:
        if is_openrosa():
            return message_reply(error.code or 500, error.description or error.name)
        if not _is_api():
            return error
        status = error.code or 500
        code = code_for(status)
        # Flask raises a 400 whose description mentions JSON when get_json() cannot parse.
        if status == 400 and "json" in (error.description or "").lower():
            code = ErrorCode.MALFORMED_JSON
        return error_response(status, code, error.description or error.name)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        app.logger.exception("unhandled error", exc_info=error)
        if is_openrosa():
            return message_reply(500, "The server failed; nothing was lost. Send it again later.")
        return error_response(500, ErrorCode.INTERNAL_ERROR, "the server failed; nothing was lost")
