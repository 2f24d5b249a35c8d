"""Maintained merge aggregates and the triage queue (see docs/priorities.md).

Everything here is derived from the stored responses plus the triage rules, so
``doorstep server rebuild`` can throw it away and recompute it; only :class:`TriageRule` holds
decisions people made.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import UTCDateTime, db, utcnow
from server.models.responses import Response

# Corrections are looked up by the response they replace, on every ingest and rebuild.
Index("ix_responses_replaces", Response.replaces)

TRIAGE_STATUSES = ("pending", "mapped", "dismissed")


class ResponseMention(db.Model):
    """One response's mention of one category: the unit that makes mentions distinct."""

    __tablename__ = "response_mentions"
    # read by response only (corrections, triage changes): no other index to keep up per push

    response_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    category: Mapped[str] = mapped_column(String(64), primary_key=True)
    area: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(16))
    severity: Mapped[int | None] = mapped_column(Integer, default=None)
    source: Mapped[str] = mapped_column(String(8), default="choice")


# SQLite keeps an aggregate's rows in key order, so one area's days are one contiguous read;
# PostgreSQL leaves room in each page, so a push's counter updates stay on their page and
# touch no index (HOT updates).
AGGREGATE_TABLE = {"sqlite_with_rowid": False, "postgresql_with": {"fillfactor": 70}}


class MentionDay(db.Model):
    """Mentions of a category in an area on a day by one method, with the severity sum."""

    __tablename__ = "mention_days"
    __table_args__ = AGGREGATE_TABLE

    area: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    category: Mapped[str] = mapped_column(String(64), primary_key=True)
    method: Mapped[str] = mapped_column(String(16), primary_key=True)
    mentions: Mapped[int] = mapped_column(Integer, default=0)
    severity_sum: Mapped[int] = mapped_column(Integer, default=0)
    severity_count: Mapped[int] = mapped_column(Integer, default=0)


class RespondentDay(db.Model):
    """Responses counted in an area on a day by one method: the denominator of share."""

    __tablename__ = "respondent_days"
    # SQLite keeps the rows in key order, so one area's days are one contiguous read
    __table_args__ = AGGREGATE_TABLE

    area: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    method: Mapped[str] = mapped_column(String(16), primary_key=True)
    respondents: Mapped[int] = mapped_column(Integer, default=0)


class MentionMonth(db.Model):
    """:class:`MentionDay` summed by calendar month (``month`` is its first day)."""

    __tablename__ = "mention_months"
    __table_args__ = AGGREGATE_TABLE

    area: Mapped[str] = mapped_column(String(64), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    category: Mapped[str] = mapped_column(String(64), primary_key=True)
    method: Mapped[str] = mapped_column(String(16), primary_key=True)
    mentions: Mapped[int] = mapped_column(Integer, default=0)
    severity_sum: Mapped[int] = mapped_column(Integer, default=0)
    severity_count: Mapped[int] = mapped_column(Integer, default=0)


class RespondentMonth(db.Model):
    """:class:`RespondentDay` summed by calendar month."""

    __tablename__ = "respondent_months"
    __table_args__ = AGGREGATE_TABLE

    area: Mapped[str] = mapped_column(String(64), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    method: Mapped[str] = mapped_column(String(16), primary_key=True)
    respondents: Mapped[int] = mapped_column(Integer, default=0)


class EqualityDay(db.Model):
    """Answers to optional equality questions (``x-equality``), counted, never per person."""

    __tablename__ = "equality_days"
    # SQLite keeps the rows in key order, so one area's days are one contiguous read
    __table_args__ = AGGREGATE_TABLE

    area: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    method: Mapped[str] = mapped_column(String(16), primary_key=True)
    question: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(100), primary_key=True)
    respondents: Mapped[int] = mapped_column(Integer, default=0)


class TriageItem(db.Model):
    """A scrubbed free-text answer waiting for (or given) a category."""

    __tablename__ = "triage_items"
    __table_args__ = (
        UniqueConstraint("response_id", "question"),
        Index("ix_triage_items_area_status", "area", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[str] = mapped_column(String(36), index=True)
    question: Mapped[str] = mapped_column(String(64))
    area: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    norm_hash: Mapped[str] = mapped_column(String(64), index=True)
    severity: Mapped[int | None] = mapped_column(Integer, default=None)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    category: Mapped[str | None] = mapped_column(String(64), default=None)


class TriageRule(db.Model):
    """A group's decision for one normalised text: a category, or not an issue.

    It applies to that text in the group's areas only: another group decides for itself.
    """

    __tablename__ = "triage_rules"

    # norm_hash first: ingest looks rules up by the texts it holds, then picks each one's group
    norm_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), primary_key=True)
    norm: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(64), default=None)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
