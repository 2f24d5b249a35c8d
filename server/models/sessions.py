"""Dashboard sessions the server can end: a per-user epoch, and the sessions signed out of."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import UTCDateTime, db


class SessionEpoch(db.Model):
    """The epoch a user's signed-cookie sessions must carry to count (no row: epoch 0).

    A signed cookie cannot be taken back; checking it against this row on every request lets
    disabling a user (or changing their password) end every session of theirs at once.
    """

    __tablename__ = "session_epochs"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    epoch: Mapped[int] = mapped_column(Integer, default=0)


class EndedSession(db.Model):
    """One dashboard session signed out of, by the sha256 of its id, until it would expire.

    Signing out on one device ends that session only; a copy of its cookie is refused too.
    """

    __tablename__ = "ended_sessions"

    session_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    until: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
