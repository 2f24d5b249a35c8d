"""Groups, areas, people and their API tokens, and the survey versions the server knows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import UTCDateTime, db, utcnow

ROLES = ("admin", "coordinator", "provider")

user_groups = Table(
    "user_groups",
    db.metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", Integer, ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
)


class Group(db.Model):
    """A Community Safety Group (CSG): it covers areas and holds meetings."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))

    areas: Mapped[list[Area]] = relationship(back_populates="group", order_by="Area.code")


class Area(db.Model):
    """A neighbourhood a group covers; responses and issues belong to one by its code."""

    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    households: Mapped[int | None] = mapped_column(Integer, default=None)
    streets: Mapped[list[str]] = mapped_column(JSON, default=list)

    group: Mapped[Group] = relationship(back_populates="areas")

    def to_wire(self) -> dict[str, Any]:
        """Return the area as the API and pull show it."""
        return {
            "code": self.code,
            "name": self.name,
            "group": self.group.code,
            "group_name": self.group.name,
            "households": self.households,
            "streets": list(self.streets or []),
        }


class User(db.Model):
    """A person who signs in: admin, coordinator (of some groups) or provider."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    provider: Mapped[str | None] = mapped_column(String(100), default=None)
    password_hash: Mapped[str | None] = mapped_column(String(256), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the user is offboarded: no sign-in, session or API token of theirs works.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    groups: Mapped[list[Group]] = relationship(secondary=user_groups, order_by="Group.code")
    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")


class ApiToken(db.Model):
    """A coordinator's API token, kept only as its sha256."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    user: Mapped[User] = relationship(back_populates="tokens")


class SurveyVersion(db.Model):
    """A released survey version, exactly as added; never edited.

    Every version of a survey belongs to the same group (or to every group).
    """

    __tablename__ = "survey_versions"
    __table_args__ = (UniqueConstraint("survey_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    # The group whose devices take it; None: every group's (bundled surveys, an admin's).
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"), default=None)

    group: Mapped[Group | None] = relationship()
