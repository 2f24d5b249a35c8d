"""Retention of consented contact details: delete them once past their expiry (no Flask).

Ingest gives each :class:`~server.models.PersonalDetail` an ``expires_at`` of
``PERSONAL_RETENTION_DAYS`` after it arrived (none when the setting is 0);
``doorstep server purge-personal`` calls :func:`purge_expired_personal`, e.g. daily from cron.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CursorResult, delete
from sqlalchemy.orm import Session

from .models import PersonalDetail

__all__ = ["purge_expired_personal"]


def purge_expired_personal(session: Session, now: datetime) -> int:
    """Delete every contact detail past its expiry at ``now``; return how many went."""
    expired = delete(PersonalDetail).where(
        PersonalDetail.expires_at.is_not(None), PersonalDetail.expires_at <= now
    )
    result = session.execute(expired)
    assert isinstance(result, CursorResult)  # a DML statement always gives a cursor result
    return result.rowcount
