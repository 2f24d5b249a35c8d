"""A user's session epoch: dashboard sessions carry it, and bumping it ends them all."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from server.db import db


class SessionEpoch(db.Model):
    """The epoch a user's signed-cookie sessions must carry to count (no row: epoch 0).

    A signed cookie cannot be taken back; checking it against this row on every request lets
    signing out end every session of the user, wherever it was signed in.
    """

    __tablename__ = "session_epochs"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    epoch: Mapped[int] = mapped_column(Integer, default=0)
