"""The public "you said, we did" page of an area: aggregates only, no sign-in.

Rules (docs/meetings.md): counts under 5 read "fewer than 5" (and their share is not shown);
the only free text is reviewed text (mapped in triage, scrubbed) and the group's own public
statements; nothing personal is read at all; everything is escaped by the template. No Flask:
the page itself is ``server/web/public.py``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.crime.compare import compare, latest_month, month_of, months_to
from server.issues.priorities import area_priorities
from server.meetings.accountability import tracked
from server.models import Area, Issue
from server.period import default_period
from server.reach.ledger import SUPPRESS_UNDER, suppressed
from survey_schemas import default_taxonomy

TOP = 5


def public_view(session: Session, area: Area, today: date) -> dict[str, Any]:
    """Return what the public page of an area shows."""
    period = default_period(today)
    doc = area_priorities(session, area, period)
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
        session.scalars(
            select(Issue)
            .where(Issue.area == area.code, Issue.status != "open")
            .order_by(Issue.category)
        )
    )
    done = []
    for t in tracked(session, issues, today):
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
    last, end = latest_month(session), month_of(today)
    crime = compare(session, area, months_to(min(last, end) if last else end))
    return {
        "area": area,
        "period": period,
        "crime": crime if crime.imported else None,
        "respondents": suppressed(doc.respondents),
        "top": top,
        "done": done,
    }
