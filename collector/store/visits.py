"""The reach ledger: doorstep sessions and the doors knocked in them, kept until synced.

Part of the collector store: :class:`collector.store.ResponseStore` opens it on its own
database, lock and clock, and its public methods call these.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from tinydb import Query, TinyDB

from collector.store.errors import UnknownSession

__all__ = ["CONTACT_OUTCOMES", "OUTCOMES", "Visits"]

OUTCOMES = ("no_answer", "refused", "come_back", "surveyed")
# Someone came to the door: the contact rate counts these.
CONTACT_OUTCOMES = frozenset({"refused", "come_back", "surveyed"})
# The same words as the outbox states: a session or door waits as unsynced until pushed.
UNSYNCED, SYNCED = "unsynced", "synced"


class Visits:
    """Sessions and doors in the store's `sessions` and `doors` tables."""

    def __init__(self, db: TinyDB, lock: threading.RLock, now: Callable[[], datetime]) -> None:
        self._sessions = db.table("sessions")
        self._doors = db.table("doors")
        self._lock = lock
        self._now = now

    def start_session(self, volunteer: str, area: str, mode: str) -> str:
        """Start a volunteer's session in an area; return its id."""
        with self._lock:
            session_id = str(uuid.uuid4())
            self._sessions.insert(
                {
                    "id": session_id,
                    "volunteer": volunteer,
                    "area": area,
                    "mode": mode,
                    "started_at": self._now().isoformat(),
                    "ended_at": None,
                    "state": UNSYNCED,
                }
            )
            return session_id

    def _session(self, session_id: str) -> Any:
        doc = self._sessions.get(Query().id == session_id)
        if doc is None:
            raise UnknownSession(f"no session {session_id}")
        return doc

    def record_door(
        self,
        session_id: str,
        street: str,
        house: str,
        outcome: str,
        response_id: str | None,
        door_id: str | None = None,
    ) -> str:
        """Record one door's outcome in a session; return its id.

        A ``door_id`` already recorded is not recorded again (a phone resending its queue).
        """
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
        with self._lock:
            session = self._session(session_id)
            if door_id is not None and self._doors.contains(Query().id == door_id):
                return door_id
            door_id = door_id or str(uuid.uuid4())
            self._doors.insert(
                {
                    "id": door_id,
                    "session_id": session_id,
                    "area": session["area"],
                    "street": street,
                    "house": house,
                    "outcome": outcome,
                    "response_id": response_id,
                    "at": self._now().isoformat(),
                    "state": UNSYNCED,
                }
            )
            return door_id

    def end_session(self, session_id: str) -> None:
        """Close a session (its time spent stops counting)."""
        with self._lock:
            self._session(session_id)
            fields = {"ended_at": self._now().isoformat(), "state": UNSYNCED}
            self._sessions.update(fields, Query().id == session_id)

    def session_summary(self, session_id: str) -> dict[str, int]:
        """Return ``{"doors", "contacts", "surveys", "minutes"}`` for a session."""
        with self._lock:
            session = self._session(session_id)
            doors = self._doors.search(Query().session_id == session_id)
        end = datetime.fromisoformat(session["ended_at"]) if session["ended_at"] else self._now()
        seconds = (end - datetime.fromisoformat(session["started_at"])).total_seconds()
        return {
            "doors": len(doors),
            "contacts": sum(d["outcome"] in CONTACT_OUTCOMES for d in doors),
            "surveys": sum(d["outcome"] == "surveyed" for d in doors),
            "minutes": max(0, round(seconds / 60)),
        }

    def unsynced(self, limit: int) -> dict[str, list[dict[str, Any]]]:
        """Return up to ``limit`` unsynced sessions and doors, without their state."""
        with self._lock:
            pending = Query().state == UNSYNCED
            strip = ("state",)
            return {
                "sessions": [
                    {k: v for k, v in d.items() if k not in strip}
                    for d in self._sessions.search(pending)[:limit]
                ],
                "doors": [
                    {k: v for k, v in d.items() if k not in strip}
                    for d in self._doors.search(pending)[:limit]
                ],
            }

    def mark_synced(self, session_ids: Iterable[str], door_ids: Iterable[str]) -> None:
        """Mark sessions and doors as received by the server."""
        with self._lock:
            self._sessions.update({"state": SYNCED}, Query().id.one_of(list(session_ids)))
            self._doors.update({"state": SYNCED}, Query().id.one_of(list(door_ids)))
