"""The app's clock: real time, or the one a test injects as ``CLOCK`` in the config."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from server.db import utcnow


def now() -> datetime:
    """Return the current aware UTC time as the running app sees it."""
    clock = current_app.config.get("CLOCK") or utcnow
    return clock()
