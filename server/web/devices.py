"""Devices: make an enrollment code (text and QR code), list devices with their syncs, revoke."""

from __future__ import annotations

import io
from typing import Any

import qrcode
import qrcode.image.svg
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import select

from server.accounts.collect import enroll_collect
from server.accounts.devices import create_code, revoke_device
from server.auth import visible_group_ids, visible_groups
from server.clock import now
from server.db import db
from server.exceptions import NotFound
from server.intake.clocks import clocks_off
from server.models import Device, User
from server.schemas import CodeForm, CollectForm
from server.web import auth
from server.web.forms import load_form

bp = Blueprint("devices", __name__, url_prefix="/devices")
MANAGERS = ("admin", "coordinator")


def _devices(me: User) -> list[Device]:
    q = select(Device).order_by(Device.revoked_at.is_not(None), Device.enrolled_at.desc())
    groups = visible_group_ids(me)
    if groups is not None:
        q = q.where(Device.group_id.in_(groups))
    return list(db.session.scalars(q))


def enroll_command(server_url: str, code: str) -> str:
    """Return the command a collector runs to enroll with this code (also the QR's text)."""
    return f"doorstep collector enroll {server_url} {code}"


def qr_svg(text: str, label: str) -> Markup:
    """Return ``text`` as an inline SVG QR code (no style attributes, so the CSP allows it)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    buf = io.BytesIO()
    image.save(buf)
    svg = buf.getvalue().decode("utf-8")
    svg = svg[svg.index("<svg") :]
    # The QR drawing is ours; only the label is user text, and it is escaped here.
    head = Markup('<svg class="qr" role="img" aria-label="{}"').format(label)
    return head + Markup(svg[len("<svg") :])


def _page(me: User, errors: dict[str, str] | None = None, **extra: Any) -> Any:
    status = extra.pop("status", 200)
    devices = _devices(me)
    page = render_template(
        "dash/devices.html",
        devices=devices,
        clocks=clocks_off(db.session, [d.id for d in devices]),
        groups=[(g.code, g.name) for g in visible_groups(me)],
        admin=me.role == "admin",
        errors=errors or {},
        **extra,
    )
    return page, status


@bp.get("/")
def index() -> Any:
    """List devices with last sync and counts, and the form for a new enrollment code."""
    return _page(auth.require_role(*MANAGERS))


@bp.post("/codes")
def new_code() -> Any:
    """Make a single-use enrollment code and show it once, as text and as a QR code."""
    me = auth.require_role(*MANAGERS)
    f = request.form
    raw = {"label": f.get("label", "").strip(), "group": f.get("group", "")}
    data, errors = load_form(CodeForm(), raw)
    allowed = {g.code for g in visible_groups(me)}
    if not errors and me.role != "admin" and data["group"] not in allowed:
        errors = {"group": "Choose one of your groups"}
    if not errors and data["group"] and data["group"] not in allowed:
        errors = {"group": "Choose a group from the list"}
    if errors:
        return _page(me, errors, status=400)
    code, expires = create_code(
        db.session,
        now=now(),
        ttl_seconds=current_app.config["ENROLL_CODE_TTL"],
        label=data["label"] or None,
        group=data["group"] or None,
    )
    db.session.commit()
    command = enroll_command(request.url_root.rstrip("/"), code)
    return _page(
        me,
        code=code,
        expires=expires,
        command=command,
        qr=qr_svg(command, f"QR code for enrollment code {code}"),
    )


@bp.post("/collect")
def new_collect() -> Any:
    """Make a device for an ODK Collect phone and show its settings QR code, once."""
    me = auth.require_role(*MANAGERS)
    f = request.form
    raw = {"label": f.get("label", "").strip(), "group": f.get("group", "")}
    data, errors = load_form(CollectForm(), raw)
    if not errors and data["group"] not in {g.code for g in visible_groups(me)}:
        errors = {"group": "Choose one of your groups"}
    if errors:  # named for this form's fields, not the enrollment code form's
        return _page(me, {f"collect-{k}": v for k, v in errors.items()}, status=400)
    server_url = current_app.config["PUBLIC_URL"] or request.url_root
    phone = enroll_collect(
        db.session, label=data["label"], group=data["group"], server_url=server_url, now=now()
    )
    db.session.commit()
    return _page(
        me,
        collect=phone,
        collect_label=data["label"],
        collect_qr=qr_svg(phone["settings"], f"ODK Collect settings QR code for {data['label']}"),
    )


@bp.post("/<device_id>/revoke")
def revoke(device_id: str) -> Any:
    """Revoke a device: its next sync is refused; what it sent stays."""
    me = auth.require_role(*MANAGERS)
    device = db.session.get(Device, device_id)
    groups = visible_group_ids(me)
    if device is None or (groups is not None and device.group_id not in groups):
        raise NotFound(f"no device {device_id!r}")
    revoke_device(db.session, device.id, now=now())
    db.session.commit()
    flash(f"Device “{device.label}” revoked. Its next sync will be refused.")
    return redirect(url_for("web.devices.index"))
