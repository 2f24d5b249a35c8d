"""Reach: per area and method, doors knocked, contacts, surveys and volunteer hours, charted."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from server.auth import area_for, visible_areas
from server.clock import now
from server.db import db
from server.reach.ledger import ledger
from server.web import auth, charts
from server.web.forms import period_filter
from survey_schemas import METHODS

bp = Blueprint("reach", __name__, url_prefix="/reach")
SERIES = ("doors", "contacts", "surveys")


@bp.get("/")
def index() -> Any:
    """Show the reach ledger of the user's areas (or one area) over a period."""
    me = auth.require_role("admin", "coordinator")
    areas = visible_areas(me)
    chosen = request.args.get("area") or None
    codes = [area_for(me, chosen).code] if chosen else [a.code for a in areas]
    period, method, errors = period_filter(request.args, now().date())
    rows = [r for r in ledger(db.session, codes, period) if not method or r["method"] == method]
    names = {a.code: a.name for a in areas}
    top = max([1, *(r[s] for r in rows for s in SERIES)])
    totals = {s: sum(r[s] for r in rows) for s in (*SERIES, "volunteer_hours")}
    return render_template(
        "dash/reach.html",
        rows=rows,
        names=names,
        period=period,
        errors=errors,
        args=request.args,
        area_options=[(a.code, a.name) for a in areas],
        method_options=[(m, m) for m in METHODS],
        method=method,
        chosen=chosen,
        top=top,
        totals=totals,
        series=SERIES,
        bar=charts.bar,
        legend=charts.legend,
    )
