"""The public "you said, we did" page of an area: aggregates only, no sign-in.

Rules (docs/meetings.md): counts under 5 read "fewer than 5" (and their share is not shown);
the only free text is reviewed text (mapped in triage, scrubbed) and the group's own public
statements; nothing personal is read at all; everything is escaped by the template.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from sqlalchemy import select

from server.clock import now
from server.db import db
from server.exceptions import NotFound
from server.issues.priorities import area_priorities
from server.meetings.accountability import tracked
from server.models import Area, Issue
from server.period import default_period
from server.reach.ledger import SUPPRESS_UNDER, suppressed
from survey_schemas import default_taxonomy

bp = Blueprint("public", __name__)
TOP = 5


def public_view(area: Area, today: Any) -> dict[str, Any]:
    """Return what the public page of an area shows."""
    period = default_period(today)
    doc = area_priorities(db.session, area, period)
    top = []
    for p in doc.issues[:TOP]:
        enough = p.mentions >= SUPPRESS_UNDER
        top.append(
            {
                "label": p.label,
                "mentions": suppressed(p.mentions),
                "share": round(p.share * 100) if enough else None,
                "trend": p.trend if enough else None,
                "status": p.status,
                "quotes": [q.text for q in p.quotes[:2]] if enough else [],
            }
        )
    issues = list(
        db.session.scalars(
            select(Issue)
            .where(Issue.area == area.code, Issue.status != "open")
            .order_by(Issue.category)
        )
    )
    done = []
    for t in tracked(db.session, issues, today):
        plan = t.plan
        done.append(
            {
                "category": t.issue.category,
                "status": t.issue.status.replace("_", " "),
                "owner": t.issue.owner,
                "text": t.issue.public_text,
                "report_back": plan.report_back if plan else None,
            }
        )
    labels = {p.category: p.label for p in doc.issues}
    tax = default_taxonomy()
    for d in done:
        d["label"] = labels.get(d["category"]) or (
            tax[d["category"]].label_in("en") if d["category"] in tax else d["category"]
        )
    return {
        "area": area,
        "period": period,
        "respondents": suppressed(doc.respondents),
        "top": top,
        "done": done,
    }


@bp.get("/areas/<code>/public")
def area_public(code: str) -> str:
    """Show an area's priorities and what was done about them, for everyone."""
    area = db.session.scalar(select(Area).where(Area.code == code))
    if area is None:
        raise NotFound(f"no area {code!r}")
    return render_template("public.html", **public_view(area, now().date()))
