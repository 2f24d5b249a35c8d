"""The reach ledger's raw material: volunteers' sessions and the doors they knocked.

Doors keep no street or house number: the ledger needs counts, never who lives where.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import UTCDateTime, db


class VisitSession(db.Model):
    """A volunteer's stint in an area by one method; its length is volunteer time."""

    __tablename__ = "visit_sessions"
    __table_args__ = (Index("ix_visit_sessions_area_day", "area", "day"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    area: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(16))
    day: Mapped[dt.date] = mapped_column(Date)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    device_id: Mapped[str | None] = mapped_column(String(36), default=None)


class DoorVisit(db.Model):
    """One door knocked and its outcome (no_answer, refused, come_back, surveyed)."""

    __tablename__ = "door_visits"
    __table_args__ = (Index("ix_door_visits_area_day", "area", "day"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    session_id: Mapped[str | None] = mapped_column(String(36), default=None)
    area: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(16))
    day: Mapped[dt.date] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(16))
    device_id: Mapped[str | None] = mapped_column(String(36), default=None)
