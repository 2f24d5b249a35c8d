"""Groups' contact keys (the private half only wrapped) and the log of residents contacted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import UTCDateTime, db, utcnow
from server.models.core import Group


class ContactKey(db.Model):
    """A group's X25519 contact key: the public half for devices, the private half wrapped.

    ``wrapped`` is the private key sealed by the coordinator's passphrase (scrypt + AES-GCM);
    retiring the key deletes it, and with it every way to open what was sealed to this key.
    """

    __tablename__ = "contact_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    public_key: Mapped[str] = mapped_column(String(64))
    wrapped: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(100), default=None)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    group: Mapped[Group] = relationship()


class ContactMark(db.Model):
    """One "contacted" mark on the follow-up list: who contacted a resident, when and how."""

    __tablename__ = "contact_marks"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[str] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), index=True
    )
    user: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(16))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
