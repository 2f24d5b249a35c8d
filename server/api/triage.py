"""Triage endpoints: the queue of free text and a coordinator's decision for one text."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from server.auth import area_for, current_user, roles_required, visible_areas
from server.clock import now
from server.db import db
from server.issues.triage import decide, item_in, pending_count, queue
from server.schemas import DecisionSchema, QueueQuery, load_body, load_query
from survey_schemas import default_taxonomy

bp = Blueprint("triage", __name__, url_prefix="/api/v1")


def _areas(area: str | None) -> list[str]:
    user = current_user()
    return [area_for(user, area).code] if area else [a.code for a in visible_areas(user)]


@bp.get("/triage")
@roles_required("admin", "coordinator")
def triage_queue() -> dict[str, Any]:
    """List texts waiting for a category (identical texts once, with how many said them).

    404 for an ``area`` the caller may not see.
    ---
    get:
      parameters: [{in: query, schema: QueueQuery}]
      responses:
        200: {content: {application/json: {schema: TriageQueueSchema}}}
        404: Error
    """
    q = load_query(QueueQuery(), request.args)
    areas = _areas(q["area"])
    items = queue(db.session, areas, q["status"], q["limit"])
    return {"items": [i.as_dict() for i in items], "pending": pending_count(db.session, areas)}


@bp.post("/triage/<int:item_id>")
@roles_required("admin", "coordinator")
def triage_decide(item_id: int) -> dict[str, Any]:
    """Map a text to a category, or dismiss it; identical texts follow the same decision.

    ``{"category": null}`` dismisses the text.
    ---
    post:
      requestBody: {content: {application/json: {schema: DecisionSchema}}}
      responses:
        200: {content: {application/json: {schema: TriageDecisionSchema}}}
    """
    data = load_body(DecisionSchema())
    areas = _areas(None)
    item = item_in(db.session, item_id, areas)
    user = current_user()
    settled = decide(
        db.session,
        item,
        data["category"],
        known=default_taxonomy().codes(),
        user_id=user.id,
        now=now(),
    )
    db.session.commit()
    return {"id": item_id, "category": data["category"], "settled": settled}
