"""A volunteer's visit: who is signed in, their store session, and the doors they record."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from typing import Any

from flask import current_app, g, redirect, request, session, url_for
from werkzeug.datastructures import MultiDict

from collector.store import UnknownSession
from collector.web import common
from survey_schemas import Survey

__all__ = [
    "RECENT_DOORS",
    "STREET_LIMIT",
    "done",
    "door_id",
    "find_survey",
    "need_volunteer",
    "pseudonym",
    "record",
    "session_id",
]

RECENT_DOORS = 6
STREET_LIMIT = 200


def pseudonym(name: str) -> str:
    """Return a stable volunteer id that does not reveal the name (keyed by this device)."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, name.strip().casefold().encode(), hashlib.sha256).hexdigest()
    return f"v-{digest[:12]}"


def find_survey(survey_id: str | None, version: Any = None) -> Survey | None:
    """Return the given version of a survey, else its latest, else None."""
    registry = common.store().registry
    if survey_id is None:
        return None
    if version is not None:
        try:
            found = registry.find(survey_id, int(version))
        except ValueError:
            found = None
        if found is not None:
            return found
    try:
        return registry.latest(survey_id)
    except LookupError:
        return None


def need_volunteer() -> Any:
    """Return a redirect to sign in when nobody is signed in on this browser, else None."""
    if common.volunteer() is None:
        return redirect(url_for("doorstep.signin", next=request.path))
    return None


def session_id() -> str:
    """Return the store's session for this volunteer, starting one at their first street."""
    vol = common.volunteer() or {}
    if not vol.get("session"):
        vol["session"] = common.store().start_session(vol["id"], vol["area"], "doorstep")
        session["volunteer"] = vol
    found: str = vol["session"]
    return found


def door_id(form: MultiDict[str, str]) -> str | None:
    """Return the door id the phone made for this door (its queue resends it), if valid."""
    try:
        return str(uuid.UUID(form.get("door_id", "")))
    except ValueError:
        return None


def record(house: str, outcome: str, response_id: str | None, door: str | None) -> bool:
    """Record a door once in the store and in this browser's short list of recent doors."""
    try:
        recorded = common.store().record_door(
            session_id(), session["street"], house, outcome, response_id, door
        )
    except UnknownSession:  # the store was reset under this browser: sign in again
        session.pop("volunteer", None)
        return False
    earlier = [d for d in session.get("doors", []) if d[2:] != [recorded]]
    session["doors"] = [[house or "—", outcome, recorded], *earlier][:RECENT_DOORS]
    return True


def done() -> None:
    """Mark this request as having done what its form asked (a queued send may be dropped)."""
    g.outbox_done = True
