"""Slots that later layers (``sync/``) fill at import, because ``collector/`` may not import them.

- ``background_jobs``: each is called as ``job(app)`` in its own daemon thread when
  ``doorstep collector serve`` starts. A job loops until
  ``app.extensions["doorstep_stopping"]`` (a :class:`threading.Event`) is set, and reaches the
  store as ``app.extensions["doorstep_store"]`` and the settings as
  ``app.config["DOORSTEP_SETTINGS"]``.
- ``sync_now``: ``sync_now(store) -> dict`` runs one sync and returns a JSON-able summary;
  ``POST /api/v1/sync`` on a running collector calls it (see docs/collector-api.md). Raise
  :class:`SyncFailed` for failures people should read about.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from collector.error_codes import ErrorCode

if TYPE_CHECKING:
    from flask import Flask

    from collector.store import ResponseStore

__all__ = ["SyncFailed", "background_jobs", "set_sync_now", "sync_now"]

BackgroundJob = Callable[["Flask"], None]
SyncNow = Callable[["ResponseStore"], dict[str, Any]]

background_jobs: list[BackgroundJob] = []
sync_now: SyncNow | None = None


class SyncFailed(Exception):
    """A sync could not finish; ``code`` is a stable snake_case reason for the API."""

    def __init__(self, message: str, code: str = ErrorCode.SYNC_FAILED, status: int = 502) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def set_sync_now(fn: SyncNow | None) -> None:
    """Install the function that runs one sync for the local API (None removes it)."""
    global sync_now
    sync_now = fn
