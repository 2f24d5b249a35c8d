"""Domain errors raised by server code that knows nothing of HTTP; ``errors.py`` maps them."""

from __future__ import annotations

from typing import Any


class DoorstepError(Exception):
    """A domain failure with a stable snake_case code, a message for people and details."""

    code = "doorstep_error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class NotFound(DoorstepError):
    """The thing asked for does not exist (or is not the caller's to see)."""

    code = "not_found"


class InvalidInput(DoorstepError):
    """The input failed validation; ``details`` holds field errors."""

    code = "invalid_input"


class InvalidToken(DoorstepError):
    """The bearer token is missing, unknown or revoked."""

    code = "invalid_token"


class Forbidden(DoorstepError):
    """The caller is known but their role may not do this."""

    code = "forbidden"


class EnrollmentInvalid(DoorstepError):
    """The enrollment code is not one the server issued."""

    code = "invalid_enrollment_code"


class EnrollmentUsed(DoorstepError):
    """The enrollment code was already used by a device."""

    code = "enrollment_code_used"


class EnrollmentExpired(DoorstepError):
    """The enrollment code is past its expiry time."""

    code = "enrollment_code_expired"


class TooManyAttempts(DoorstepError):
    """Too many failed attempts from one client address; try again later."""

    code = "too_many_attempts"


class CursorExpired(DoorstepError):
    """The pull cursor is older than the retained change history."""

    code = "cursor_expired"


class AlreadyExists(DoorstepError):
    """A thing with that name already exists."""

    code = "already_exists"


class WrongPassphrase(DoorstepError):
    """The passphrase does not open the group's contact key; nothing is shown."""

    code = "wrong_passphrase"
