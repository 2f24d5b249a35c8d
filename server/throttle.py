"""Limits on failed attempts, counted in the database (no Flask).

Every worker process of ``doorstep server serve --workers N`` sees the same rows, so N workers
allow no more wrong passwords or enrollment codes than one. Each failure is a row; a key that
has ``limit`` failures within the last ``window`` seconds is refused until the oldest of them
leaves the window.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from .exceptions import TooManyAttempts
from .models.throttle import FailedAttempt
from .tokens import hash_secret

__all__ = ["check", "fail"]


def check(session: Session, kind: str, key: str, limit: int, window: float, now: datetime) -> None:
    """Raise :class:`TooManyAttempts` (``details.retry_after`` in seconds) if ``key`` is over."""
    since = now - timedelta(seconds=window)
    recent = (
        FailedAttempt.kind == kind,
        FailedAttempt.key_hash == hash_secret(key),
        FailedAttempt.at > since,
    )
    count = session.scalar(select(func.count()).select_from(FailedAttempt).where(*recent)) or 0
    if count >= limit:
        # The key is free again once enough failures leave the window, oldest first.
        ordered = select(FailedAttempt.at).where(*recent).order_by(FailedAttempt.at)
        freeing = session.scalar(ordered.offset(max(count - limit, 0)))
        left = (freeing - since).total_seconds() if freeing is not None else window
        wait = max(1, math.ceil(left))
        raise TooManyAttempts(
            f"too many failed attempts; try again in {wait} seconds",
            details={"retry_after": wait},
        )


def fail(session: Session, kind: str, key: str, window: float, now: datetime) -> None:
    """Record one failed attempt and forget this key's failures that left the window."""
    key_hash = hash_secret(key)
    session.execute(
        delete(FailedAttempt).where(
            FailedAttempt.kind == kind,
            FailedAttempt.key_hash == key_hash,
            FailedAttempt.at <= now - timedelta(seconds=window),
        )
    )
    session.add(FailedAttempt(kind=kind, key_hash=key_hash, at=now))
    session.flush()
