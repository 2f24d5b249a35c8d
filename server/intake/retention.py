"""Retention of consented contact details: delete them once past their expiry (no Flask).

Ingest gives each :class:`~server.models.PersonalDetail` an ``expires_at`` of
``PERSONAL_RETENTION_DAYS`` after it arrived (none when the setting is 0);
``doorstep server purge-personal`` calls :func:`purge_expired_personal`, e.g. daily from cron,
with the current setting too, so a shortened retention also covers details already held.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import CursorResult, delete, or_, select
from sqlalchemy.orm import Session

from server.models import PersonalDetail, Response

__all__ = ["purge_expired_personal"]


def purge_expired_personal(
    session: Session, now: datetime, retention: timedelta | None = None
) -> int:
    """Delete every contact detail past its expiry at ``now``; return how many went.

    With ``retention``, also delete those whose response arrived longer ago than that.
    """
    expired = PersonalDetail.expires_at.is_not(None) & (PersonalDetail.expires_at <= now)
    if retention is not None:
        old = select(Response.id).where(Response.received_at <= now - retention)
        expired = or_(expired, PersonalDetail.response_id.in_(old))
    result = session.execute(delete(PersonalDetail).where(expired))
    assert isinstance(result, CursorResult)  # a DML statement always gives a cursor result
    return result.rowcount
