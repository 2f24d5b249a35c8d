"""Contact keys and the follow-up list on the dashboard (coordinators of the group only).

A passphrase typed here is used for that one request: it is not kept in the session, a cookie
or a log, and the opened details are rendered into that one answer (``no-store``), never cached.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from server.clock import now
from server.contacts.follow_up import CHANNELS, follow_up_list, mark_contacted
from server.contacts.keys import group_keys, new_contact_key, retire_contact_key
from server.db import db
from server.exceptions import NotFound, WrongPassphrase
from server.models import Area, Group, Response, User
from server.models.contacts import ContactKey
from server.schemas import ContactedForm, ContactKeyForm, FollowUpForm
from server.web import auth
from server.web.forms import load_form

bp = Blueprint("contacts", __name__, url_prefix="/contacts")
COORDINATOR = "coordinator"


def my_group(me: User, code: str | None) -> Group | None:
    """Return the user's own group with this code, or None."""
    return next((g for g in me.groups if g.code == code), None)


def _keys_page(me: User, errors: dict[str, str] | None = None, status: int = 200) -> Any:
    groups = sorted(me.groups, key=lambda g: g.code)
    page = render_template(
        "dash/contact_keys.html",
        keys=group_keys(db.session, [g.id for g in groups]),
        groups=[(g.code, g.name) for g in groups],
        errors=errors or {},
    )
    return page, status


@bp.get("/")
def keys() -> Any:
    """List the user's groups' contact keys, with the form for a new one."""
    return _keys_page(auth.require_role(COORDINATOR))


@bp.post("/keys")
def new_key() -> Any:
    """Make a contact key for one of the user's groups, wrapped by the passphrase typed."""
    me = auth.require_role(COORDINATOR)
    f = request.form
    raw = {k: f.get(k, "") for k in ("group", "passphrase", "confirm")}
    data, errors = load_form(ContactKeyForm(), raw)
    group = my_group(me, data.get("group")) if not errors else None
    if not errors and group is None:
        errors = {"group": "Choose one of your groups"}
    if errors or group is None:
        return _keys_page(me, errors, status=400)
    key, sealed = new_contact_key(db.session, group, data["passphrase"], now=now(), by=me.name)
    kid = key.kid
    db.session.commit()
    clear = (
        f" {sealed} residents' details stored in the clear are now sealed to it." if sealed else ""
    )
    flash(
        f"Contact key {kid} made for {group.name}. Its devices get it at their next sync.{clear} "
        "Keep the passphrase safe: without it these details can never be read."
    )
    return redirect(url_for("web.contacts.keys"))


@bp.post("/keys/<kid>/retire")
def retire(kid: str) -> Any:
    """Retire one of the user's groups' keys: what was sealed to it is deleted for good."""
    me = auth.require_role(COORDINATOR)
    key = db.session.scalar(select(ContactKey).where(ContactKey.kid == kid))
    if key is None or my_group(me, key.group.code) is None:
        raise NotFound(f"no contact key {kid!r}")
    _, gone = retire_contact_key(db.session, kid, now=now())
    db.session.commit()
    flash(f"Contact key {kid} retired; {gone} residents' sealed details deleted for good.")
    return redirect(url_for("web.contacts.keys"))


def _follow_up_page(
    me: User, errors: dict[str, str] | None = None, status: int = 200, **extra: Any
) -> Any:
    groups = sorted(me.groups, key=lambda g: g.code)
    page = render_template(
        "dash/follow_up.html",
        groups=[(g.code, g.name) for g in groups],
        channels=CHANNELS,
        errors=errors or {},
        **extra,
    )
    return page, status


@bp.get("/follow-up")
def follow_up() -> Any:
    """Ask for the group and its contact passphrase, to open the follow-up list."""
    return _follow_up_page(auth.require_role(COORDINATOR))


@bp.post("/follow-up")
def open_follow_up() -> Any:
    """Show the follow-up list, opened with the passphrase typed (for this answer only)."""
    me = auth.require_role(COORDINATOR)
    f = request.form
    raw = {k: f.get(k, "") for k in ("group", "passphrase")}
    if f.get("since"):
        raw["since"] = f["since"]
    data, errors = load_form(FollowUpForm(), raw)
    group = my_group(me, data.get("group")) if not errors else None
    if not errors and group is None:
        errors = {"group": "Choose one of your groups"}
    if errors or group is None:
        return _follow_up_page(me, errors, status=400)
    try:
        residents = follow_up_list(
            db.session, group, data["passphrase"], now=now(), since=data["since"]
        )
    except WrongPassphrase as error:
        return _follow_up_page(me, {"passphrase": error.message}, status=403)
    except NotFound as error:
        return _follow_up_page(me, {"group": error.message}, status=400)
    return _follow_up_page(me, residents=residents, group=group, since=data["since"])


@bp.post("/follow-up/<response_id>/contacted")
def contacted(response_id: str) -> Any:
    """Log that the user contacted a resident of one of their groups, and by which channel."""
    me = auth.require_role(COORDINATOR)
    area = db.session.scalar(
        select(Area).join(Response, Response.area == Area.code).where(Response.id == response_id)
    )
    group = my_group(me, area.group.code) if area is not None else None
    if group is None:
        raise NotFound(f"no resident {response_id!r} on your follow-up list")
    data, errors = load_form(ContactedForm(), {"channel": request.form.get("channel", "")})
    if errors:
        flash(f"Not marked: {errors['channel']}.")
        return redirect(url_for("web.contacts.follow_up"))
    mark_contacted(db.session, group, response_id, by=me.name, channel=data["channel"], now=now())
    db.session.commit()
    flash("Marked as contacted. Open the list again with the passphrase to see it.")
    return redirect(url_for("web.contacts.follow_up"))
