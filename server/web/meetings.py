"""Meetings: create one for a group, see its generated agenda (A4 print view), record decisions."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from server.auth import area_for, group_for, visible_groups
from server.clock import now
from server.db import db
from server.exceptions import DoorstepError, NotFound
from server.issues.priorities import weights_from
from server.meetings.accountability import agree, meeting_on, record_meeting
from server.meetings.agenda import build_agenda
from server.meetings.agenda_render import render_body
from server.meetings.escalation import thresholds_from
from server.models import Group
from server.models.meetings import Meeting
from server.schemas import AgendaQuery, AgreeSchema, MeetingSchema
from server.web import auth
from server.web.forms import category_label, category_options, flatten, load_form
from survey_schemas import default_taxonomy

bp = Blueprint("meetings", __name__)
MANAGERS = ("admin", "coordinator")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _meeting(group: Group, day: str) -> Meeting:
    try:
        on = date.fromisoformat(day)
    except ValueError:
        raise NotFound(f"no meeting on {day!r}") from None
    found = meeting_on(db.session, group, on)
    if found is None:
        raise NotFound(f"{group.name} has no meeting on {on.isoformat()}")
    return found


@bp.get("/meetings")
def index() -> Any:
    """List the user's groups; with one group, go straight to its meetings."""
    me = auth.require_role(*MANAGERS)
    groups = visible_groups(me)
    if len(groups) == 1:
        return redirect(url_for("web.meetings.group", group=groups[0].code))
    return render_template("dash/meetings_index.html", groups=groups)


def _group_page(group: Group, errors: dict[str, str] | None = None, status: int = 200) -> Any:
    meetings = list(
        db.session.scalars(
            select(Meeting).where(Meeting.group_id == group.id).order_by(Meeting.date.desc())
        )
    )
    page = render_template(
        "dash/meetings.html",
        group=group,
        meetings=meetings,
        errors=errors or {},
        form=request.form if errors else {},
        today=now().date(),
    )
    return page, status


@bp.get("/groups/<group>/meetings")
def group(group: str) -> Any:
    """Show a group's meetings and the form to create one."""
    g = group_for(auth.require_role(*MANAGERS), group)
    return _group_page(g)


@bp.post("/groups/<group>/meetings")
def save(group: str) -> Any:
    """Create (or update) the group's meeting on a date."""
    g = group_for(auth.require_role(*MANAGERS), group)
    f = request.form
    raw = {
        "date": f.get("date", ""),
        "time": f.get("time", ""),
        "venue": f.get("venue", ""),
        "chair": f.get("chair", ""),
        "apologies": _lines(f.get("apologies", "")),
        "minutes": f.get("minutes", ""),
        "aob": _lines(f.get("aob", "")),
        "next_date": f.get("next_date", ""),
    }
    data, errors = load_form(MeetingSchema(), raw)
    if errors:
        return _group_page(g, errors, 400)
    m = record_meeting(db.session, g, data)
    db.session.commit()
    flash(f"Meeting on {m.date.isoformat()} saved.")
    return redirect(url_for("web.meetings.meeting", group=g.code, day=m.date.isoformat()))


def _meeting_page(g: Group, m: Meeting, errors: dict[str, str] | None = None, status: int = 200):
    agenda = build_agenda(
        db.session,
        g,
        m.date,
        weights=weights_from(current_app.config),
        today=now().date(),
        thresholds=thresholds_from(current_app.config),
    )
    page = render_template(
        "dash/meeting.html",
        group=g,
        meeting=m,
        agenda=agenda,
        areas=[(a.code, a.name) for a in g.areas],
        categories=category_options(),
        errors=errors or {},
        form=request.form if errors else {},
        label=category_label,
        default_provider=lambda code: default_taxonomy()[code].provider,
    )
    return page, status


@bp.get("/groups/<group>/meetings/<day>")
def meeting(group: str, day: str) -> Any:
    """Show a meeting: its agenda's shortlist and the form to record decisions."""
    g = group_for(auth.require_role(*MANAGERS), group)
    return _meeting_page(g, _meeting(g, day))


@bp.post("/groups/<group>/meetings/<day>/decisions")
def decide(group: str, day: str) -> Any:
    """Record an agreed priority decided at the meeting: owner and report-back date."""
    me = auth.require_role(*MANAGERS)
    g = group_for(me, group)
    m = _meeting(g, day)
    data, errors = load_form(AgreeSchema(), {**request.form, "date": m.date.isoformat()})
    area_code = request.form.get("area", "")
    if not errors and area_code not in {a.code for a in g.areas}:
        errors = {"area": "Choose one of the group's areas"}
    if not errors and data["category"] not in default_taxonomy():
        errors = {"category": "Choose an issue from the list"}
    if errors:
        return _meeting_page(g, m, errors, 400)
    area = area_for(me, area_code)
    try:
        agree(
            db.session,
            area,
            data["category"],
            owner=data["owner"],
            report_back=data["report_back"],
            on=m.date,
            meeting=m,
            note=data["note"],
            user_id=me.id,
        )
    except DoorstepError as error:
        db.session.rollback()
        return _meeting_page(g, m, flatten(error.details) or {"owner": error.message}, 400)
    db.session.commit()
    flash(
        f"Agreed: {category_label(data['category'])} in {area.name}, {data['owner']} to report "
        f"back by {data['report_back'].isoformat()}."
    )
    return redirect(url_for("web.meetings.meeting", group=g.code, day=m.date.isoformat()))


@bp.get("/groups/<group>/agenda")
def agenda(group: str) -> Any:
    """Show the generated agenda of the group's meeting on a date, laid out to print on A4."""
    g = group_for(auth.require_role(*MANAGERS), group)
    q, errors = load_form(AgendaQuery(), request.args)
    today = now().date()
    on = (q.get("date") if not errors else None) or today
    built = build_agenda(
        db.session,
        g,
        on,
        weights=weights_from(current_app.config),
        today=today,
        thresholds=thresholds_from(current_app.config),
    )
    return render_template(
        "dash/agenda.html",
        a=built,
        body=render_body(built),
        group=g,
        meeting=meeting_on(db.session, g, on),
        errors=errors,
    )
