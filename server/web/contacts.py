"""Contact keys and the follow-up list on the dashboard (coordinators of the group only).

A passphrase typed here is used for that one request: it is not kept in the session, a cookie
or a log, and the opened details are rendered into that one answer (``no-store``), never cached.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from server.clock import now
from server.contacts.keys import group_keys, new_contact_key, retire_contact_key
from server.db import db
from server.exceptions import NotFound
from server.models import Group, User
from server.models.contacts import ContactKey
from server.schemas import ContactKeyForm
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
    key = new_contact_key(db.session, group, data["passphrase"], now=now(), by=me.name)
    kid = key.kid
    db.session.commit()
    flash(
        f"Contact key {kid} made for {group.name}. Its devices get it at their next sync. "
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
