"""Errors the sync client raises; the CLI and the background job turn them into messages."""

from __future__ import annotations

from typing import Any

from collector.error_codes import ErrorCode


class SyncError(Exception):
    """A sync request failed; carries the server's error code, message and details if any."""

    def __init__(
        self,
        message: str,
        *,
        code: str = ErrorCode.SYNC_FAILED,
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.details = details or {}
        # Set by sync_store: what was done before the failure (outcomes already recorded).
        self.summary: Any = None


class ServerUnreachable(SyncError):
    """The server could not be reached (or kept failing) after every retry."""


class Unauthorized(SyncError):
    """The server refused the credentials (401): stop and keep everything."""


class DeviceRevoked(Unauthorized):
    """The device's token was revoked or is unknown (401 on push or pull)."""


class EnrollmentRefused(SyncError):
    """The enrollment code was wrong (401), or already used or expired (410)."""


class CursorExpired(SyncError):
    """The pull cursor is older than the server keeps (410): pull everything again."""


class RequestRejected(SyncError):
    """The server refused the request as it stands (400/403/413/422); a retry cannot help."""


class NotEnrolled(SyncError):
    """The collector has no server or token yet: run ``doorstep collector enroll`` first."""


__all__ = [
    "CursorExpired",
    "DeviceRevoked",
    "EnrollmentRefused",
    "NotEnrolled",
    "RequestRejected",
    "ServerUnreachable",
    "SyncError",
    "Unauthorized",
]
