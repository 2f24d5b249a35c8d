"""Meetings, what they agreed about issues, and each issue's dated log (docs/meetings.md)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import UTCDateTime, db, utcnow

NOTE_KINDS = ("status", "action", "public", "due")  # due: the report-back date set or moved


class Meeting(db.Model):
    """A group's meeting on a day: where, when and who chairs; apologies, minutes, any other
    business, the next date."""

    __tablename__ = "meetings"
    __table_args__ = (UniqueConstraint("group_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    time: Mapped[str] = mapped_column(String(5), default="", server_default="")  # "19:00"
    venue: Mapped[str] = mapped_column(String(200), default="", server_default="")
    chair: Mapped[str] = mapped_column(String(100), default="", server_default="")
    apologies: Mapped[list[str]] = mapped_column(JSON, default=list)
    minutes: Mapped[str] = mapped_column(Text, default="")
    aob: Mapped[list[str]] = mapped_column(JSON, default=list)
    next_date: Mapped[dt.date | None] = mapped_column(Date, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class IssuePlan(db.Model):
    """What was agreed for an issue: when, at which meeting, and when the owner reports back."""

    __tablename__ = "issue_plans"

    issue_id: Mapped[int] = mapped_column(
        ForeignKey("issues.id", ondelete="CASCADE"), primary_key=True
    )
    agreed_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"), default=None)
    report_back: Mapped[dt.date | None] = mapped_column(Date, default=None)


class IssueNote(db.Model):
    """One dated entry of an issue's log: a status change, an action, or a public statement."""

    __tablename__ = "issue_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    on: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(8))
    # the old and new status, or for a ``due`` entry the old and new report-back date (ISO)
    from_status: Mapped[str | None] = mapped_column(String(16), default=None)
    to_status: Mapped[str | None] = mapped_column(String(16), default=None)
    text: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
