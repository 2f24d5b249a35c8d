"""The public "you said, we did" page of an area, for everyone: no sign-in, aggregates only."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from server.clock import now
from server.db import db
from server.exceptions import NotFound
from server.meetings.public import public_view
from server.models import Area

bp = Blueprint("public", __name__)


@bp.get("/areas/<code>/public")
def area_public(code: str) -> str:
    """Show an area's priorities and what was done about them, for everyone."""
    area = db.session.scalar(select(Area).where(Area.code == code))
    if area is None:
        raise NotFound(f"no area {code!r}")
    return render_template("public.html", **public_view(db.session, area, now().date()))
