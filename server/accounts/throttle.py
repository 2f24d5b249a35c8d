"""Limits on failed attempts, counted in the database (no Flask).

Every worker process of ``doorstep server serve --workers N`` sees the same rows, so N workers
allow no more wrong passwords or enrollment codes than one. An attempt is written (and
committed) before it is checked, and counted with every attempt before it still under way; a
right one is forgotten at the end, a wrong one stays as a failure. So attempts sent at the same
moment cannot all pass on one reading of the count. Attempts by one key are numbered in commit
order (SQLite: one writer at a time; PostgreSQL: a transaction lock per key), and each is
checked against the ones numbered before it: a key with ``limit`` failures (or attempts under
way) within the last ``window`` seconds is refused until the oldest of them leaves the window.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from server.accounts.tokens import hash_secret
from server.exceptions import TooManyAttempts
from server.models.throttle import FailedAttempt

__all__ = ["Attempt", "Limit", "attempt"]
log = logging.getLogger(__name__)

Limit = tuple[str, str, int]  # kind, key, how many failures the window allows
# The first key of this module's PostgreSQL advisory locks ("thr" in ASCII); the feed's differ.
LOCK_SPACE = 0x746872


class Attempt:
    """One attempt under way; call :meth:`fail` if it was wrong, so it counts as a failure."""

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids
        self.failed = False

    def fail(self) -> None:
        """Keep this attempt as a failure."""
        self.failed = True


@contextmanager
def attempt(
    session: Session, limits: Sequence[Limit], window: float, now: datetime
) -> Iterator[Attempt]:
    """Count an attempt against every key in ``limits`` while the block checks it.

    Raises :class:`TooManyAttempts` (``details.retry_after`` in seconds) before the block if a
    key is over its limit. Commits the session on the way in, and on the way out unless the
    attempt failed; a block that raises without calling :meth:`Attempt.fail` counts nothing.
    """
    since = now - timedelta(seconds=window)
    rows = [FailedAttempt(kind=kind, key_hash=hash_secret(key), at=now) for kind, key, _ in limits]
    if session.get_bind().dialect.name == "postgresql":
        # Number this key's attempts in commit order (held until the commit just below).
        for key_hash in sorted({row.key_hash for row in rows}):
            session.execute(
                text("SELECT pg_advisory_xact_lock(:space, :key)"),
                {"space": LOCK_SPACE, "key": int(key_hash[:8], 16) - 2**31},
            )
    for row in rows:  # forget this key's failures that have left the window
        session.execute(
            delete(FailedAttempt).where(
                FailedAttempt.kind == row.kind,
                FailedAttempt.key_hash == row.key_hash,
                FailedAttempt.at <= since,
            )
        )
    session.add_all(rows)
    session.commit()  # visible to every other attempt before this one is counted
    current = Attempt([row.id for row in rows])
    try:
        for row, (_, _, limit) in zip(rows, limits, strict=True):
            _refuse_if_over(session, row, limit, since, window)
        yield current
    except BaseException:
        if not current.failed:  # refused, or the check itself broke: it counts for nothing
            _forget_quietly(session, current.ids)
        raise
    if not current.failed:
        _forget(session, current.ids)


def _refuse_if_over(
    session: Session, mine: FailedAttempt, limit: int, since: datetime, window: float
) -> None:
    """Raise :class:`TooManyAttempts` if ``limit`` earlier attempts by its key are in the window."""
    others = (
        FailedAttempt.kind == mine.kind,
        FailedAttempt.key_hash == mine.key_hash,
        FailedAttempt.at > since,
        FailedAttempt.id < mine.id,
    )
    count = session.scalar(select(func.count()).select_from(FailedAttempt).where(*others)) or 0
    if count < limit:
        return
    # The key is free again once enough failures leave the window, oldest first.
    ordered = select(FailedAttempt.at).where(*others).order_by(FailedAttempt.at)
    freeing = session.scalar(ordered.offset(max(count - limit, 0)))
    left = (freeing - since).total_seconds() if freeing is not None else window
    wait = max(1, math.ceil(left))
    raise TooManyAttempts(
        f"too many failed attempts; try again in {wait} seconds",
        details={"retry_after": wait},
    )


def _forget(session: Session, ids: list[int]) -> None:
    """Delete the rows of an attempt that was right, or not checked, and commit."""
    session.execute(delete(FailedAttempt).where(FailedAttempt.id.in_(ids)))
    session.commit()


def _forget_quietly(session: Session, ids: list[int]) -> None:
    """Forget an attempt on the way out of an error, which a failure here must not hide.

    Rows that cannot be deleted now (the database is gone) count as failures until they
    leave the window, as would those of a worker killed mid-attempt.
    """
    try:
        session.rollback()
        _forget(session, ids)
    except SQLAlchemyError:
        session.rollback()
        log.warning("could not forget attempt rows %s; they count until the window ends", ids)
