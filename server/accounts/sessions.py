"""Dashboard sessions the server can end (no Flask).

A session is a signed cookie holding the user's id, their session epoch and a random session id.
It counts only while the user is enabled, the epoch is the user's current one (disabling the user
or changing their password moves it on, ending every session at once) and its id has not been
signed out of (which ends that one session, and any copy of its cookie, only).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from server.accounts.tokens import hash_secret, new_token
from server.models import EndedSession, SessionEpoch, User


def session_epoch(session: Session, user_id: int) -> int:
    """Return the epoch a user's dashboard sessions must carry to count."""
    row = session.get(SessionEpoch, user_id)
    return row.epoch if row is not None else 0


def end_sessions(session: Session, user_id: int) -> None:
    """End every dashboard session of a user, in every browser (the signed cookies stay void)."""
    row = session.get(SessionEpoch, user_id)
    if row is None:
        session.add(SessionEpoch(user_id=user_id, epoch=1))
    else:
        row.epoch += 1
    session.flush()


def new_session_id() -> str:
    """Return a fresh random id for a dashboard session."""
    return new_token()


def end_session(
    session: Session, session_id: str, user_id: int, *, now: datetime, lifetime: timedelta
) -> None:
    """End one session (sign-out on one device), remembered for as long as it could last."""
    # Sessions that have expired anyway need no row any more.
    session.execute(delete(EndedSession).where(EndedSession.until <= now))
    key = hash_secret(session_id)
    if session.get(EndedSession, key) is None:
        session.add(EndedSession(session_hash=key, user_id=user_id, until=now + lifetime))
    session.flush()


def live_user(session: Session, user_id: object, epoch: object, session_id: object) -> User | None:
    """Return the user of a session if it still counts, else None."""
    if not isinstance(user_id, int) or not isinstance(session_id, str) or not session_id:
        return None
    user = session.get(User, user_id)
    if user is None or user.disabled_at is not None or epoch != session_epoch(session, user_id):
        return None
    ended = select(EndedSession.session_hash).where(
        EndedSession.session_hash == hash_secret(session_id)
    )
    return None if session.scalar(ended) is not None else user
