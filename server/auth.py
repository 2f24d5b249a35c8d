"""Who is asking: bearer tokens for devices and users, role checks, and group scoping."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import g, request, session
from sqlalchemy import select

from server import clock
from server.accounts.devices import device_for_token
from server.accounts.sessions import live_user
from server.accounts.users import user_for_token
from server.db import db
from server.exceptions import Forbidden, InvalidToken, NotFound
from server.models import Area, Device, Group, User

P = ParamSpec("P")
R = TypeVar("R")


def bearer_token() -> str:
    """Return the request's bearer token, or raise :class:`InvalidToken`."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("send the token as 'Authorization: Bearer <token>'")
    return token.strip()


def current_device() -> Device:
    """Return the device the request's token belongs to (cached on ``g``)."""
    if "device" not in g:
        g.device = device_for_token(db.session, bearer_token())
    return g.device


def current_user() -> User:
    """Return the signed-in user: API token first, then the browser session."""
    if "user" not in g:
        if request.headers.get("Authorization"):
            g.user = user_for_token(db.session, bearer_token(), clock.now())
            # The last-used time is bookkeeping; keep it even if the view only reads.
            db.session.commit()
        elif session.get("user_id") is not None:
            user = session_user()
            if user is None:
                raise InvalidToken("the session has ended; sign in again")
            g.user = user
        else:
            raise InvalidToken("sign in, or send an API token as 'Authorization: Bearer <token>'")
    return g.user


def session_user() -> User | None:
    """Return the user of the browser session if it still counts (see accounts.sessions)."""
    return live_user(db.session, session.get("user_id"), session.get("epoch"), session.get("sid"))


def device_required(view: Callable[P, R]) -> Callable[P, R]:
    """Let the view run only for a live enrolled device."""

    @functools.wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        current_device()
        return view(*args, **kwargs)

    # The OpenAPI document reads this (and doorstep_roles) to say who may call the view.
    wrapped.doorstep_device = True  # type: ignore[attr-defined]
    return wrapped


def roles_required(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Let the view run only for a user with one of ``roles`` (any role if none given)."""

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            user = current_user()
            if roles and user.role not in roles:
                raise Forbidden(f"this needs the role {' or '.join(roles)}")
            return view(*args, **kwargs)

        wrapped.doorstep_roles = roles or ("admin", "coordinator", "provider")  # type: ignore[attr-defined]
        return wrapped

    return decorate


def visible_group_ids(user: User) -> set[int] | None:
    """Return the ids of the groups a user may see, or None for every group (admins)."""
    if user.role == "admin":
        return None
    return {group.id for group in user.groups}


def visible_groups(user: User) -> list[Group]:
    """Return the groups a user may see (an admin: every group), ordered by code."""
    if user.role == "admin":
        return list(db.session.scalars(select(Group).order_by(Group.code)))
    return sorted(user.groups, key=lambda group: group.code)


def visible_areas(user: User) -> list[Area]:
    """Return the areas a user may see, ordered by code."""
    query = select(Area).order_by(Area.code)
    groups = visible_group_ids(user)
    if groups is not None:
        query = query.where(Area.group_id.in_(groups))
    return list(db.session.scalars(query))


def area_for(user: User, code: str) -> Area:
    """Return an area the user may see; another group's area is :class:`NotFound` (not 403)."""
    area = db.session.scalar(select(Area).where(Area.code == code))
    groups = visible_group_ids(user)
    if area is None or (groups is not None and area.group_id not in groups):
        raise NotFound(f"no area {code!r}", details={"area": code})
    return area


def group_for(user: User, code: str) -> Group:
    """Return a group the user may see; another's is :class:`NotFound`."""
    group = db.session.scalar(select(Group).where(Group.code == code))
    groups = visible_group_ids(user)
    if group is None or (groups is not None and group.id not in groups):
        raise NotFound(f"no group {code!r}", details={"group": code})
    return group


def device_area_codes(device: Device) -> set[str] | None:
    """Return the area codes a device may see, or None for all (a device with no group)."""
    if device.group_id is None:
        return None
    return set(db.session.scalars(select(Area.code).where(Area.group_id == device.group_id)))
