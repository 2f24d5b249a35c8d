"""Recorded crime on the dashboard: each area's LSOAs, and importing police.uk street-level files.

Coordinators map their own group's areas to LSOAs; importing a force's file changes every
group's figures, so only an admin imports (the same as ``doorstep server import-crime``).
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from server.auth import area_for, visible_areas
from server.crime.records import import_crime, lsoas_of, set_lsoas
from server.db import db, utcnow
from server.exceptions import InvalidInput
from server.models import User
from server.models.crime import CrimeImport
from server.web import auth

bp = Blueprint("crime", __name__, url_prefix="/crime")
MANAGERS = ("admin", "coordinator")
RECENT_IMPORTS = 36


def _page(me: User, problems: list[str] | None = None, found: Any = None, status: int = 200):
    areas = visible_areas(me)
    imports = db.session.scalars(
        select(CrimeImport).order_by(CrimeImport.month.desc(), CrimeImport.force)
    ).all()[:RECENT_IMPORTS]
    page = render_template(
        "dash/crime.html",
        areas=areas,
        lsoas=lsoas_of(db.session, areas),
        imports=imports,
        may_import=me.role == "admin",
        problems=problems or [],
        found=found,
    )
    return page, status


@bp.get("/")
def index() -> Any:
    """Show the areas' LSOAs and the recorded crime imported so far."""
    return _page(auth.require_role(*MANAGERS))


@bp.post("/areas/<code>/lsoa")
def map_lsoa(code: str) -> Any:
    """Set the LSOA codes of one of the user's areas."""
    me = auth.require_role(*MANAGERS)
    area = area_for(me, code)
    try:
        codes = set_lsoas(db.session, area, request.form.get("lsoa", "").split())
    except InvalidInput as error:
        db.session.rollback()
        return _page(me, [f"{area.name}: {error.message}"], status=400)
    db.session.commit()
    flash(f"{area.name}: {len(codes)} LSOA{'' if len(codes) == 1 else 's'} saved.")
    return redirect(url_for("web.crime.index"))


@bp.post("/import")
def upload() -> Any:
    """Import uploaded street-level CSVs (admins: every group's figures change)."""
    me = auth.require_role("admin")
    files = [f for f in request.files.getlist("files") if f.filename]
    if not files:
        return _page(me, ["Choose one or more street-level CSV files"], status=400)
    streams = [
        (f.filename or "upload.csv", io.TextIOWrapper(f.stream, encoding="utf-8-sig", newline=""))
        for f in files
    ]
    try:
        found = import_crime(db.session, streams, now=utcnow())
    except (InvalidInput, UnicodeDecodeError) as error:
        db.session.rollback()
        message = getattr(error, "message", None) or f"not a UTF-8 CSV file ({error})"
        return _page(me, [message], status=400)
    db.session.commit()
    return _page(me, found=found)
