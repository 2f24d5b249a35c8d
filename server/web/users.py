"""Users (admins only): disable, revoke API tokens, set a password, take out of a group.

Each change that cannot be undone from here asks first: a post without ``confirm=yes`` shows
what will happen and a button that posts it again confirmed. The work is
``server/accounts/offboarding.py``, as for ``doorstep server disable-user`` and the rest.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from server.accounts import offboarding
from server.clock import now
from server.db import db
from server.exceptions import InvalidInput
from server.models import User
from server.schemas import ConfirmForm, GroupLeaveForm, PasswordForm
from server.web import auth
from server.web.forms import load_form

bp = Blueprint("users", __name__, url_prefix="/users")


def _page(errors: dict[str, str] | None = None, status: int = 200, **extra: Any) -> Any:
    order = (User.disabled_at.is_not(None), User.name)  # the disabled last
    users = list(db.session.scalars(select(User).order_by(*order)))
    page = render_template("dash/users.html", users=users, errors=errors or {}, **extra)
    return page, status


def _confirm(user: User, action: str, what: str, fields: dict[str, str] | None = None) -> Any:
    """Show what a change will do, with a button that posts it again confirmed."""
    page = render_template(
        "dash/user_confirm.html", user=user, action=action, what=what, fields=fields or {}
    )
    return page, 200


@bp.get("/")
def index() -> Any:
    """List every user with their role, groups, API tokens and whether they are disabled."""
    auth.require_role("admin")
    return _page()


@bp.post("/<int:user_id>/disable")
def disable(user_id: int) -> Any:
    """Disable a user: their sign-in, every session and every API token end now."""
    me = auth.require_role("admin")
    user = offboarding.user_by_id(db.session, user_id)
    data, _ = load_form(ConfirmForm(), request.form)
    if user.id == me.id:
        raise InvalidInput("You cannot disable your own account; ask another admin.")
    if data.get("confirm") != "yes":
        what = (
            f"Disable {user.name}? They are signed out everywhere at once, cannot sign in, "
            "and their API tokens stop working."
        )
        return _confirm(user, "disable", what)
    done = offboarding.disable_user(db.session, user, now=now())
    db.session.commit()
    flash(f"{user.name} is disabled; {done['tokens_revoked']} API token(s) revoked.")
    return redirect(url_for("web.users.index"))


@bp.post("/<int:user_id>/revoke-token")
def revoke_token(user_id: int) -> Any:
    """Revoke every API token of a user (their scripts get 401 from now on)."""
    auth.require_role("admin")
    user = offboarding.user_by_id(db.session, user_id)
    data, _ = load_form(ConfirmForm(), request.form)
    if data.get("confirm") != "yes":
        what = f"Revoke every API token of {user.name}? Their scripts stop working at once."
        return _confirm(user, "revoke_token", what)
    done = offboarding.revoke_tokens(db.session, user, now=now())
    db.session.commit()
    flash(f"{done['tokens_revoked']} API token(s) of {user.name} revoked.")
    return redirect(url_for("web.users.index"))


@bp.post("/<int:user_id>/password")
def set_password(user_id: int) -> Any:
    """Set a user's dashboard password (typed twice); their sessions end everywhere."""
    me = auth.require_role("admin")
    user = offboarding.user_by_id(db.session, user_id)
    data, errors = load_form(PasswordForm(), request.form)
    if errors:
        return _page({f"{name}-{user.id}": text for name, text in errors.items()}, 400)
    offboarding.set_password(db.session, user, data["password"])
    db.session.commit()
    if user.id == me.id:  # the admin's own sessions ended with the rest
        return redirect(url_for("web.auth.sign_in"))
    flash(f"Password of {user.name} set; they are signed out everywhere.")
    return redirect(url_for("web.users.index"))


@bp.post("/<int:user_id>/remove-group")
def remove_group(user_id: int) -> Any:
    """Take a user out of one group: from their next request they see nothing of it."""
    auth.require_role("admin")
    user = offboarding.user_by_id(db.session, user_id)
    data, errors = load_form(GroupLeaveForm(), request.form)
    if errors or data["group"] not in {g.code for g in user.groups}:
        raise InvalidInput(f"{user.name} is not in that group.")
    if data.get("confirm") != "yes":
        group = data["group"]
        what = f"Take {user.name} out of the group {group}? They see nothing of it from now on."
        return _confirm(user, "remove_group", what, {"group": data["group"]})
    offboarding.remove_from_group(db.session, user, data["group"])
    db.session.commit()
    flash(f"{user.name} is no longer in {data['group']}.")
    return redirect(url_for("web.users.index"))
