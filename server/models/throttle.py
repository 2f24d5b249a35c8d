"""Failed attempts at a guarded door (sign-in, enrollment), shared by every worker process."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import UTCDateTime, db


class FailedAttempt(db.Model):
    """One failed attempt of a kind (``signin-user``...) by a key, kept only as its sha256.

    The key is hashed because a sign-in's username field sometimes holds a mistyped password.
    Rows older than the kind's window are deleted as new failures arrive.
    """

    __tablename__ = "failed_attempts"
    __table_args__ = (Index("ix_failed_attempts_kind_key_at", "kind", "key_hash", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    key_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
