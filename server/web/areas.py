"""The area page: ranked priorities with charts, the split by method, quotes, status and owner."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from server.auth import area_for
from server.clock import now
from server.crime.compare import compare, latest_month, month_of, months_to
from server.crime.records import lsoas_of
from server.db import db
from server.issues.priorities import area_priorities, weights_from
from server.reach.groups import method_label
from server.web import auth, charts
from server.web.forms import period_filter
from server.web.series import mentions_over_time, step_name, summary
from survey_schemas import METHODS

bp = Blueprint("areas", __name__, url_prefix="/areas")
TOP = 5  # issues shown first; the rest are one tap away


@bp.get("/<code>")
def show(code: str) -> str:
    """Show an area's ranked issues for a period and method (a GET filter form)."""
    area = area_for(auth.require_role("admin", "coordinator"), code)
    period, method, errors = period_filter(request.args, now().date())
    weights = weights_from(current_app.config)
    doc = area_priorities(db.session, area, period, method, weights=weights)
    parts, series = mentions_over_time(db.session, area.code, period, method)
    sparks = {}
    for p in doc.issues:
        counts = series.get(p.category, [0] * len(parts))
        sparks[p.category] = charts.timeline(
            counts, period.since, period.until, step_name(parts), summary(p.label, parts, counts)
        )
    last = latest_month(db.session) or month_of(now().date())
    comparison = compare(db.session, area, months_to(last))
    return render_template(
        "dash/area.html",
        area=area,
        doc=doc,
        sparks=sparks,
        period=period,
        method=method,
        methods=METHODS,
        method_options=[(m, m) for m in METHODS],
        errors=errors,
        args=request.args,
        top=TOP,
        bar=charts.bar,
        legend=charts.legend,
        share_axis=charts.share_axis,
        method_label=method_label,
        method_names=[method_label(m) for m in METHODS],
        weights=weights,
        cmp=comparison,
        lsoas=lsoas_of(db.session, [area])[area.code],
    )
