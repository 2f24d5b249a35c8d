"""Meetings, agendas, agreed priorities, issue statuses, actions and provider updates."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, current_app, request
from sqlalchemy import select

from server.auth import area_for, current_user, group_for, roles_required
from server.clock import now
from server.db import db
from server.exceptions import InvalidInput
from server.issues.priorities import weights_from
from server.meetings.accountability import (
    add_action,
    agree,
    check_provider_change,
    entry_day,
    meeting_on,
    provider_issues,
    record_meeting,
    set_public_text,
    set_status,
    tracked,
    visible_issue,
)
from server.meetings.agenda import build_agenda
from server.meetings.agenda_render import as_dict, render
from server.meetings.escalation import escalations, thresholds_from
from server.models import Issue
from server.models.meetings import Meeting
from server.schemas import (
    ActionSchema,
    AgendaQuery,
    AgreeSchema,
    MeetingSchema,
    PublicSchema,
    StatusSchema,
    load_body,
    load_query,
)
from survey_schemas import default_taxonomy

bp = Blueprint("meetings", __name__, url_prefix="/api/v1")
MIMETYPES = {"md": "text/markdown", "html": "text/html", "csv": "text/csv"}


def _meeting_json(m: Meeting) -> dict[str, Any]:
    return {
        "date": m.date.isoformat(),
        "time": m.time,
        "venue": m.venue,
        "chair": m.chair,
        "apologies": m.apologies,
        "minutes": m.minutes,
        "aob": m.aob,
        "next_date": m.next_date.isoformat() if m.next_date else None,
    }


def _today() -> date:
    return now().date()


@bp.get("/groups/<group>/meetings")
@roles_required("admin", "coordinator")
def list_meetings(group: str) -> dict[str, Any]:
    """List a group's meetings, newest first.
    ---
    get:
      responses:
        200: {content: {application/json: {schema: MeetingListSchema}}}
    """
    g = group_for(current_user(), group)
    q = select(Meeting).where(Meeting.group_id == g.id).order_by(Meeting.date.desc())
    return {"meetings": [_meeting_json(m) for m in db.session.scalars(q)]}


@bp.put("/groups/<group>/meetings")
@roles_required("admin", "coordinator")
def save_meeting(group: str) -> dict[str, Any]:
    """Record (or update) the group's meeting on a date.
    ---
    put:
      requestBody: {content: {application/json: {schema: MeetingSchema}}}
      responses:
        200: {content: {application/json: {schema: MeetingRecordSchema}}}
    """
    g = group_for(current_user(), group)
    data = load_body(MeetingSchema())
    m = record_meeting(db.session, g, data)
    db.session.commit()
    return _meeting_json(m)


@bp.get("/groups/<group>/agenda")
@roles_required("admin", "coordinator")
def group_agenda(group: str) -> Any:
    """Generate the agenda of the group's meeting (JSON, Markdown, printable HTML or CSV).

    ``format`` json (default), md, html or csv chooses the media type.
    ---
    get:
      parameters: [{in: query, schema: AgendaQuery}]
      responses:
        200:
          content:
            application/json: {schema: {type: object}}
            text/markdown: {schema: {type: string}}
            text/html: {schema: {type: string}}
            text/csv: {schema: {type: string}}
    """
    g = group_for(current_user(), group)
    q = load_query(AgendaQuery(), request.args)
    today = _today()
    agenda = build_agenda(
        db.session,
        g,
        q["date"] or today,
        weights=weights_from(current_app.config),
        today=today,
        thresholds=thresholds_from(current_app.config),
    )
    if q["format"] == "json":
        return as_dict(agenda)
    return Response(render(agenda, q["format"]), mimetype=MIMETYPES[q["format"]])


@bp.get("/areas/<code>/issues")
@roles_required("admin", "coordinator")
def area_issues(code: str) -> dict[str, Any]:
    """List an area's issues with status, owner, report-back date, overdue flag, log, escalation.

    ``escalated`` also names issues residents keep raising that have no entry yet.
    ---
    get:
      responses:
        200: {content: {application/json: {schema: IssueListSchema}}}
    """
    area = area_for(current_user(), code)
    issues = list(db.session.scalars(select(Issue).where(Issue.area == area.code)))
    today = _today()
    found = escalations(db.session, [area.code], today, thresholds_from(current_app.config))
    escalated = sorted(found.values(), key=lambda e: (e.kind, e.category))
    listed = []
    for t in tracked(db.session, issues, today):
        why = found.get((t.issue.area, t.issue.category))
        listed.append({**t.as_dict(), "escalated": why.as_dict() if why else None})
    return {"issues": listed, "escalated": [e.as_dict() for e in escalated]}


@bp.post("/areas/<code>/issues")
@roles_required("admin", "coordinator")
def agree_priority(code: str) -> tuple[dict[str, Any], int]:
    """Record an agreed priority: owner (a provider) and report-back date.
    ---
    post:
      requestBody: {content: {application/json: {schema: AgreeSchema}}}
      responses:
        201: {content: {application/json: {schema: TrackedIssueSchema}}}
    """
    user = current_user()
    area = area_for(user, code)
    data = load_body(AgreeSchema())
    if data["category"] not in default_taxonomy():
        raise InvalidInput("unknown category", details={"category": ["not in the taxonomy"]})
    on = data["date"] or _today()
    meeting = meeting_on(db.session, area.group, on)
    issue = agree(
        db.session,
        area,
        data["category"],
        owner=data["owner"],
        report_back=data["report_back"],
        on=on,
        meeting=meeting,
        note=data["note"],
        user_id=user.id,
    )
    db.session.commit()
    return tracked(db.session, [issue], _today())[0].as_dict(), 201


@bp.post("/issues/<int:issue_id>/status")
@roles_required("admin", "coordinator", "provider")
def change_status(issue_id: int) -> dict[str, Any]:
    """Move an issue to a new status with a dated note (providers: in progress or resolved).

    A provider may only mark its issues in_progress or resolved, and neither sets
    ``report_back`` nor dates its note (403); only the group moves a report-back date, each move
    kept in the log (kind ``due``: from → to, by whom, why). A ``date`` after today is refused.
    ---
    post:
      requestBody: {content: {application/json: {schema: StatusSchema}}}
      responses:
        200: {content: {application/json: {schema: TrackedIssueSchema}}}
    """
    user = current_user()
    issue = visible_issue(db.session, user, issue_id)
    data = load_body(StatusSchema())
    check_provider_change(user.role, data["status"], data["report_back"])
    set_status(
        db.session,
        issue,
        data["status"],
        on=entry_day(user.role, data["date"], _today()),
        note=data["note"],
        user_id=user.id,
        report_back=data["report_back"],
    )
    db.session.commit()
    return tracked(db.session, [issue], _today())[0].as_dict()


@bp.post("/issues/<int:issue_id>/actions")
@roles_required("admin", "coordinator", "provider")
def log_action(issue_id: int) -> tuple[dict[str, Any], int]:
    """Log a dated action on an issue (an update that keeps it from being overdue).

    Dated today unless a coordinator gives an earlier ``date``; a later one is refused, and a
    provider may not give one (403).
    ---
    post:
      requestBody: {content: {application/json: {schema: ActionSchema}}}
      responses:
        201: {content: {application/json: {schema: TrackedIssueSchema}}}
    """
    user = current_user()
    issue = visible_issue(db.session, user, issue_id)
    data = load_body(ActionSchema())
    on = entry_day(user.role, data["date"], _today())
    add_action(db.session, issue, on=on, text=data["text"], user_id=user.id)
    db.session.commit()
    return tracked(db.session, [issue], _today())[0].as_dict(), 201


@bp.put("/issues/<int:issue_id>/public")
@roles_required("admin", "coordinator")
def publish(issue_id: int) -> dict[str, Any]:
    """Publish the issue's "you said, we did" statement (public page and collectors).
    ---
    put:
      requestBody: {content: {application/json: {schema: PublicSchema}}}
      responses:
        200: {content: {application/json: {schema: TrackedIssueSchema}}}
    """
    user = current_user()
    issue = visible_issue(db.session, user, issue_id)
    data = load_body(PublicSchema())
    set_public_text(db.session, issue, data["text"], on=_today(), user_id=user.id)
    db.session.commit()
    return tracked(db.session, [issue], _today())[0].as_dict()


@bp.get("/provider/issues")
@roles_required("provider")
def my_issues() -> dict[str, Any]:
    """List the issues assigned to the calling provider.
    ---
    get:
      responses:
        200: {content: {application/json: {schema: IssueListSchema}}}
    """
    user = current_user()
    issues = provider_issues(db.session, user.provider or "") if user.provider else []
    return {"issues": [t.as_dict() for t in tracked(db.session, issues, _today())]}
