"""Triage: the free-text queue; map a text to a category or dismiss it, one tap each."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from server.auth import area_for, visible_areas
from server.clock import now
from server.db import db
from server.issues.triage import decide, item_in, pending_count, queue
from server.schemas import DecisionForm
from server.web import auth
from server.web.forms import category_label, category_options, load_form
from survey_schemas import default_taxonomy

bp = Blueprint("triage", __name__, url_prefix="/triage")
LIMIT = 100


def _areas(me: Any, area: str | None) -> list[str]:
    return [area_for(me, area).code] if area else [a.code for a in visible_areas(me)]


@bp.get("/")
def queue_page() -> str:
    """List the texts waiting for a category in the user's areas (or one area)."""
    me = auth.require_role("admin", "coordinator")
    area = request.args.get("area") or None
    codes = _areas(me, area)
    return render_template(
        "dash/triage.html",
        items=queue(db.session, codes, "pending", LIMIT),
        pending=pending_count(db.session, codes),
        area_options=[(a.code, a.name) for a in visible_areas(me)],
        area_names={a.code: a.name for a in visible_areas(me)},
        area=area,
        options=category_options(),
    )


@bp.post("/<int:item_id>")
def decide_item(item_id: int) -> Any:
    """Map a text to a category, or dismiss it; identical texts follow the same decision."""
    me = auth.require_role("admin", "coordinator")
    data, errors = load_form(DecisionForm(), request.form)
    area = request.form.get("area") or None
    back = url_for("web.triage.queue_page", area=area) if area else url_for("web.triage.queue_page")
    if errors:
        flash(f"Not saved: {next(iter(errors.values()))}.")
        return redirect(back)
    codes = _areas(me, None)
    item = item_in(db.session, item_id, codes)
    category = data["category"] if data["action"] == "map" else None
    settled = decide(
        db.session,
        item,
        category,
        known=default_taxonomy().codes(),
        user_id=me.id,
        now=now(),
    )
    db.session.commit()
    what = f"mapped to {category_label(category)}" if category else "dismissed as not an issue"
    flash(f"“{item.text[:80]}” {what} ({settled} comment{'s' if settled != 1 else ''}).")
    return redirect(back)
