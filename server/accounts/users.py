"""Users, their groups and API tokens (no Flask: the CLI and the API both call this)."""

from __future__ import annotations

import functools
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.accounts.passwords import hash_password, password_matches
from server.accounts.tokens import hash_secret, matches, new_token
from server.exceptions import AlreadyExists, InvalidInput, InvalidToken, NotFound
from server.models import ApiToken, Group, User
from server.models.core import ROLES


def get_group(session: Session, code: str) -> Group:
    """Return the group with this code, or raise :class:`NotFound`."""
    group = session.scalar(select(Group).where(Group.code == code))
    if group is None:
        raise NotFound(f"no group {code!r}", details={"group": code})
    return group


def create_user(
    session: Session,
    name: str,
    role: str,
    *,
    groups: list[str] | None = None,
    password: str | None = None,
    provider: str | None = None,
) -> tuple[User, str]:
    """Create a user with an API token; return the user and the token (shown only once)."""
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}", details={"role": role})
    if not name.strip():
        raise InvalidInput("a user needs a name")
    if session.scalar(select(User).where(User.name == name)) is not None:
        raise AlreadyExists(f"a user named {name!r} exists already", details={"user": name})
    if role == "coordinator" and not groups:
        raise InvalidInput("a coordinator needs at least one --group")
    user = User(
        name=name,
        role=role,
        provider=(provider or name) if role == "provider" else None,
        password_hash=hash_password(password) if password else None,
        groups=[get_group(session, g) for g in groups or []],
    )
    session.add(user)
    token = new_token()
    session.add(ApiToken(user=user, token_hash=hash_secret(token)))
    session.flush()
    return user, token


def user_for_token(session: Session, token: str, now: datetime) -> User:
    """Return the user an API token belongs to, or raise :class:`InvalidToken`."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(token)))
    if row is None or row.revoked_at is not None or not matches(row.token_hash, token):
        raise InvalidToken("the API token is unknown or revoked")
    if row.user.disabled_at is not None:
        raise InvalidToken("the API token's user is disabled")
    row.last_used_at = now
    return row.user


@functools.cache
def _dummy_hash() -> str:
    """Return a hash of a random password, made like every real one (same method and cost)."""
    return hash_password(secrets.token_urlsafe(16))


def check_password(session: Session, name: str, password: str) -> User | None:
    """Return the user if the password is theirs and they are not disabled, else None."""
    user = session.scalar(select(User).where(User.name == name))
    if user is None or not user.password_hash:
        # Hash anyway, so the answer takes as long as for a real user and so does not tell
        # which usernames exist.
        password_matches(_dummy_hash(), password)
        return None
    right = password_matches(user.password_hash, password)
    return user if right and user.disabled_at is None else None
