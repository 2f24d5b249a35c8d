"""Home: the user's groups and areas at a glance, or a provider's assigned issues."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template

from server.auth import visible_areas
from server.clock import now
from server.db import db
from server.issues.priorities import area_priorities, weights_from
from server.meetings.accountability import active_issues, provider_issues, tracked
from server.meetings.escalation import escalations, thresholds_from
from server.models import Area
from server.period import default_period
from server.web import auth
from server.web.forms import category_label

bp = Blueprint("home", __name__)
TOP = 3


def _area_cards(areas: list[Area]) -> list[dict[str, Any]]:
    """Return each area's top issues, respondents and overdue priorities for this period."""
    today = now().date()
    period = default_period(today)
    weights = weights_from(current_app.config)
    overdue: dict[str, list[Any]] = {}
    for t in tracked(db.session, active_issues(db.session, [a.code for a in areas]), today):
        if t.overdue:
            overdue.setdefault(t.issue.area, []).append(t)
    cards = []
    for area in areas:
        doc = area_priorities(db.session, area, period, weights=weights)
        cards.append(
            {
                "area": area,
                "top": doc.issues[:TOP],
                "respondents": doc.respondents,
                "overdue": overdue.get(area.code, []),
            }
        )
    return cards


@bp.get("/")
def index() -> str:
    """Show the groups and areas the user serves, or the issues a provider owns."""
    me = auth.user()
    today = now().date()
    if me.role == "provider":
        issues = provider_issues(db.session, me.provider or "") if me.provider else []
        return render_template(
            "dash/home_provider.html",
            items=tracked(db.session, issues, today),
            label=category_label,
        )
    areas = visible_areas(me)
    cards = _area_cards(areas)
    found = escalations(
        db.session, [a.code for a in areas], today, thresholds_from(current_app.config)
    )
    names = {a.code: a.name for a in areas}
    groups: dict[int, dict[str, Any]] = {}
    for card in cards:
        group = card["area"].group
        entry = groups.setdefault(group.id, {"group": group, "cards": [], "escalated": []})
        entry["cards"].append(card)
        entry["escalated"] += sorted(
            (e for e in found.values() if e.area == card["area"].code),
            key=lambda e: (e.kind != "overdue_twice", -e.residents, e.category),
        )
    return render_template(
        "dash/home.html",
        groups=list(groups.values()),
        period=default_period(today),
        label=category_label,
        area_name=names,
    )
