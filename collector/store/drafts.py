"""Drafts: partly filled responses kept for later (a kiosk's unfinished form, say).

Part of the collector store: :class:`collector.store.ResponseStore` opens it on its own
database, lock, clock and survey registry, and its public methods call these.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from tinydb import Query, TinyDB

from survey_schemas import SurveyRegistry

__all__ = ["Drafts"]


class Drafts:
    """Drafts in the store's `drafts` table, keyed by their id (the future response id)."""

    def __init__(
        self,
        db: TinyDB,
        lock: threading.RLock,
        now: Callable[[], datetime],
        registry: SurveyRegistry,
    ) -> None:
        self._drafts = db.table("drafts")
        self._lock = lock
        self._now = now
        self._registry = registry

    def save(self, data: Mapping[str, Any], draft_id: str | None) -> str:
        """Save a draft, keeping the survey version it was started on; return its id."""
        with self._lock:
            draft_id = draft_id or str(uuid.uuid4())
            old = self._drafts.get(Query().id == draft_id)
            body = dict(data)
            if old is not None:
                body["survey_id"] = old["data"].get("survey_id")
                body["survey_version"] = old["data"].get("survey_version")
            elif body.get("survey_id") and body.get("survey_version") is None:
                try:
                    body["survey_version"] = self._registry.latest(body["survey_id"]).version
                except LookupError:
                    pass  # checked when the draft is submitted
            body["id"] = draft_id
            started = old["started_at"] if old else self._now().isoformat()
            doc = {"id": draft_id, "data": body, "started_at": started}
            self._drafts.upsert(
                {**doc, "updated_at": self._now().isoformat()}, Query().id == draft_id
            )
            return draft_id

    def get(self, draft_id: str) -> dict[str, Any] | None:
        """Return a draft's data, or None."""
        with self._lock:
            doc = self._drafts.get(Query().id == draft_id)
            return dict(doc["data"]) if doc else None

    def summaries(self) -> list[dict[str, Any]]:
        """Return the open drafts: id, survey, version and when last saved."""
        with self._lock:
            return [
                {
                    "id": d["id"],
                    "survey_id": d["data"].get("survey_id"),
                    "survey_version": d["data"].get("survey_version"),
                    "updated_at": d["updated_at"],
                }
                for d in self._drafts.all()
            ]

    def discard(self, draft_id: str) -> None:
        """Delete a draft (nothing happens if it is already gone)."""
        with self._lock:
            self._drafts.remove(Query().id == draft_id)
