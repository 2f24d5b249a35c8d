"""Stored responses, the conflicting copies kept beside them, and personal details kept apart."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import UTCDateTime, db, utcnow


class Response(db.Model):
    """One response as first received; never changed afterwards except the conflict flag."""

    __tablename__ = "responses"
    # GET /api/v1/responses pages oldest first on (received_at, id), for one area or several:
    # one area walks the first index in order; many areas walk the second and filter.
    __table_args__ = (
        Index("ix_responses_area_received_at_id", "area", "received_at", "id"),
        Index("ix_responses_received_at_id", "received_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    survey_id: Mapped[str] = mapped_column(String(64))
    survey_version: Mapped[int] = mapped_column(Integer)
    area: Mapped[str] = mapped_column(String(64))  # indexed with received_at, id above
    method: Mapped[str] = mapped_column(String(16))
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    device_id: Mapped[str | None] = mapped_column(String(36), default=None)
    source: Mapped[str] = mapped_column(String(16), default="push")
    volunteer: Mapped[str | None] = mapped_column(String(100), default=None)
    consent: Mapped[bool | None] = mapped_column(Boolean, default=None)
    language: Mapped[str | None] = mapped_column(String(16), default=None)
    street: Mapped[str | None] = mapped_column(String(200), default=None)
    replaces: Mapped[str | None] = mapped_column(String(36), default=None)
    content_hash: Mapped[str] = mapped_column(String(64))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    conflict: Mapped[bool] = mapped_column(Boolean, default=False)
    # "ahead": collected after it was received; "early": long before its survey version
    # existed (server.intake.clocks). Kept and counted; the devices page shows the device.
    clock_flag: Mapped[str | None] = mapped_column(String(8), default=None)


class ResponseConflict(db.Model):
    """Another content seen for an existing response id, kept for a coordinator to look at."""

    __tablename__ = "response_conflicts"
    __table_args__ = (UniqueConstraint("response_id", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[str] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    content_hash: Mapped[str] = mapped_column(String(64))
    envelope: Mapped[dict[str, Any]] = mapped_column(JSON)
    device_id: Mapped[str | None] = mapped_column(String(36), default=None)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class PersonalDetail(db.Model):
    """Consented contact details for one response, apart from its answers; deleted when expired."""

    __tablename__ = "personal_details"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[str] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), unique=True
    )
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
