"""Offboarding: disable a user, revoke their API tokens, set a password, leave a group.

No Flask: ``doorstep server disable-user`` and the dashboard's Users page both call this. Each
function returns what it did as plain data (the CLI prints it with ``--json``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.accounts.passwords import hash_password
from server.accounts.sessions import end_sessions
from server.accounts.tokens import hash_secret, new_token
from server.accounts.users import get_group
from server.exceptions import InvalidInput, NotFound
from server.models import ApiToken, User

MIN_PASSWORD = 10
MAX_PASSWORD = 1000  # what the sign-in form takes


def get_user(session: Session, name: str) -> User:
    """Return the user with this name, or raise :class:`NotFound`."""
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound(f"no user {name!r}", details={"user": name})
    return user


def user_by_id(session: Session, user_id: int) -> User:
    """Return the user with this id, or raise :class:`NotFound`."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}", details={"user_id": user_id})
    return user


def _revoke(session: Session, user: User, now: datetime) -> int:
    """Revoke every live API token of ``user``; return how many."""
    done = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return done.rowcount or 0


def disable_user(session: Session, user: User, *, now: datetime) -> dict[str, Any]:
    """Disable ``user``: no sign-in, and every session and API token of theirs ends now."""
    if user.disabled_at is None:
        user.disabled_at = now
    revoked = _revoke(session, user, now)
    end_sessions(session, user.id)
    return {
        "user": user.name,
        "disabled_at": user.disabled_at.isoformat(),
        "tokens_revoked": revoked,
        "sessions_ended": True,
    }


def revoke_tokens(
    session: Session, user: User, *, now: datetime, replace: bool = False
) -> dict[str, Any]:
    """Revoke every API token of ``user``; with ``replace``, make a new one (shown once)."""
    revoked = _revoke(session, user, now)
    token = None
    if replace:
        if user.disabled_at is not None:
            raise InvalidInput(f"{user.name!r} is disabled; a new token would not work")
        token = new_token()
        session.add(ApiToken(user=user, token_hash=hash_secret(token)))
    session.flush()
    return {"user": user.name, "tokens_revoked": revoked, "token": token}


def set_password(session: Session, user: User, password: str) -> dict[str, Any]:
    """Give ``user`` a new dashboard password and end their sessions everywhere."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        words = f"between {MIN_PASSWORD} and {MAX_PASSWORD} characters"
        raise InvalidInput(f"a password needs {words}", details={"password": words})
    user.password_hash = hash_password(password)
    end_sessions(session, user.id)
    return {"user": user.name, "sessions_ended": True}


def remove_from_group(session: Session, user: User, group_code: str) -> dict[str, Any]:
    """Take ``user`` out of a group: from the next request they see nothing of it."""
    group = get_group(session, group_code)
    if group not in user.groups:
        raise NotFound(
            f"{user.name!r} is not in the group {group_code!r}",
            details={"user": user.name, "group": group_code},
        )
    user.groups.remove(group)
    session.flush()
    return {"user": user.name, "group": group_code, "groups": [g.code for g in user.groups]}
