"""The collector store's domain errors (the HTTP layer maps them to status codes)."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "InvalidResponse",
    "ResponseConflict",
    "StoreError",
    "UnknownDraft",
    "UnknownSession",
]


class StoreError(Exception):
    """A domain error of the collector store."""


class InvalidResponse(StoreError):
    """The response failed validation; ``errors`` maps field names to messages."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        super().__init__("the response is not valid")
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in errors.items()}


class ResponseConflict(StoreError):
    """A response with this id is already stored with different content."""

    def __init__(self, response_id: str) -> None:
        super().__init__(f"response {response_id} is already stored with different content")
        self.response_id = response_id


class UnknownDraft(StoreError, LookupError):
    """No draft with that id."""


class UnknownSession(StoreError, LookupError):
    """No doorstep session with that id."""
