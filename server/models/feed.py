"""The pull feed: the change log in commit order, its retention floor, and issue statuses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import UTCDateTime, db, utcnow

ISSUE_STATUSES = ("open", "agreed", "in_progress", "resolved", "closed")


class ChangeLog(db.Model):
    """One change to a survey, area or issue; ``seq`` is the pull cursor, in commit order."""

    __tablename__ = "change_log"
    # AUTOINCREMENT: SQLite must never reuse a seq after the newest rows are pruned.
    __table_args__ = {"sqlite_autoincrement": True}

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(100))
    # The area the change is about, so a device sees only its areas' changes; None: everyone.
    area: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    # The group the change is for (its own survey), so other groups' devices never see it.
    group_id: Mapped[int | None] = mapped_column(Integer, default=None)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ServerState(db.Model):
    """Small named values the server keeps (e.g. the change log's retention floor)."""

    __tablename__ = "server_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class Issue(db.Model):
    """An issue in an area (area + category is its identity across periods)."""

    __tablename__ = "issues"
    __table_args__ = (UniqueConstraint("area", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area: Mapped[str] = mapped_column(ForeignKey("areas.code"), index=True)
    category: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="open")
    owner: Mapped[str | None] = mapped_column(String(100), default=None)
    public_text: Mapped[str | None] = mapped_column(Text, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # The change-log seq of the last change; record_change fills it.
    updated_seq: Mapped[int | None] = mapped_column(Integer, default=None)

    def to_wire(self) -> dict[str, object]:
        """Return the issue as pull shows it: status and the public "you said, we did" text."""
        return {
            "id": self.id,
            "area": self.area,
            "category": self.category,
            "status": self.status,
            "owner": self.owner,
            "public_text": self.public_text,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }
