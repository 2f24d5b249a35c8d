"""The issue page: history, status changes with notes, actions, owner, report-back date and
the public "you said, we did" text with a preview.

Changes go through ``server.meetings.accountability``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from server.auth import area_for
from server.clock import now
from server.db import db
from server.exceptions import DoorstepError, Forbidden, InvalidInput, NotFound
from server.meetings.accountability import (
    PROVIDER_STATUSES,
    TRANSITIONS,
    add_action,
    agree,
    check_provider_change,
    entry_day,
    meeting_on,
    no_issue,
    set_public_text,
    set_status,
    tracked,
    visible_issue,
)
from server.meetings.escalation import escalations, thresholds_from
from server.models import Area, Issue, User
from server.period import Period
from server.schemas import ActionSchema, AgreeSchema, PublicSchema, StatusSchema
from server.web import auth, charts
from server.web.forms import category_label, flatten, load_form
from server.web.series import mentions_over_time, step_name, summary
from survey_schemas import default_taxonomy

bp = Blueprint("issues", __name__, url_prefix="/areas/<code>/issues")
HISTORY_DAYS = 364
MANAGERS = ("admin", "coordinator")


def _find(me: User, code: str, category: str) -> tuple[Area, Issue | None]:
    """Return the area and issue the user may see; anything else is :class:`NotFound`."""
    issue = db.session.scalar(select(Issue).where(Issue.area == code, Issue.category == category))
    if me.role in MANAGERS:
        area = area_for(me, code)
        if issue is None and category not in default_taxonomy():
            raise no_issue()
        return area, issue
    if issue is None:
        raise no_issue()  # to a provider, as for another's issue: what exists is not said
    visible_issue(db.session, me, issue.id)  # a provider sees only the issues it owns
    area = db.session.scalar(select(Area).where(Area.code == code))
    assert area is not None
    return area, issue


def _page(
    me: User, area: Area, category: str, issue: Issue | None, **extra: Any
) -> tuple[str, int]:
    """Render the issue page (with a form's errors and values when given)."""
    today = now().date()
    item = tracked(db.session, [issue], today)[0] if issue is not None else None
    period = Period(today - timedelta(days=HISTORY_DAYS - 1), today)
    parts, series = mentions_over_time(db.session, area.code, period, category=category)
    counts = series.get(category, [0] * len(parts))
    label = category_label(category)
    statuses = TRANSITIONS.get(issue.status, ()) if issue else ()
    if me.role == "provider":
        statuses = tuple(s for s in statuses if s in PROVIDER_STATUSES)
    tax = default_taxonomy()
    cat = tax.categories.get(category)
    status = extra.pop("status", 200)
    html = render_template(
        "dash/issue.html",
        area=area,
        category=category,
        label=label,
        item=item,
        issue=issue,
        manage=me.role in MANAGERS,
        status_options=[(s, s.replace("_", " ")) for s in statuses],
        statuses=statuses,
        history=list(zip(parts, counts, strict=True)),
        spark=charts.timeline(
            counts,
            period.since,
            period.until,
            step_name(parts),
            summary(label, parts, counts),
            "spark spark-large",
        ),
        provider=cat.provider if cat else "",
        remit=tax.remits.get(cat.remit, cat.remit) if cat else "",
        errors=extra.pop("errors", {}),
        form=extra.pop("form", {}),
        preview=extra.pop("preview", None),
        which=extra.pop("which", ""),
        today=today,
        escalated=escalations(
            db.session, [area.code], today, thresholds_from(current_app.config)
        ).get((area.code, category)),
        **extra,
    )
    return html, status


def _back(code: str, category: str) -> Any:
    return redirect(url_for("web.issues.show", code=code, category=category))


@bp.get("/<category>")
def show(code: str, category: str) -> tuple[str, int]:
    """Show one issue of an area."""
    me = auth.user()
    area, issue = _find(me, code, category)
    return _page(me, area, category, issue)


def _failed(
    me: User, area: Area, category: str, issue: Issue | None, which: str, errors: dict[str, str]
) -> tuple[str, int]:
    """Show the page again with the form's errors next to its fields (ids are per form)."""
    db.session.rollback()
    keyed = {f"{which}-{name}": message for name, message in errors.items()}
    return _page(
        me, area, category, issue, errors=keyed, form=request.form, which=which, status=400
    )


@bp.post("/<category>/agree")
def agree_priority(code: str, category: str) -> Any:
    """Record the issue as an agreed priority with an owner and a report-back date."""
    me = auth.require_role(*MANAGERS)
    area, issue = _find(me, code, category)
    data, errors = load_form(AgreeSchema(), {**request.form, "category": category})
    if errors:
        return _failed(me, area, category, issue, "agree", errors)
    on = data["date"] or now().date()
    try:
        agree(
            db.session,
            area,
            category,
            owner=data["owner"],
            report_back=data["report_back"],
            on=on,
            meeting=meeting_on(db.session, area.group, on),
            note=data["note"],
            user_id=me.id,
        )
    except DoorstepError as error:
        return _failed(
            me, area, category, issue, "agree", flatten(error.details) or {"owner": error.message}
        )
    db.session.commit()
    flash(
        f"{category_label(category)} agreed as a priority; {data['owner']} reports back by "
        f"{data['report_back'].isoformat()}."
    )
    return _back(code, category)


@bp.post("/<category>/status")
def change_status(code: str, category: str) -> Any:
    """Move the issue to a new status with a dated note."""
    me = auth.user()
    area, issue = _find(me, code, category)
    if issue is None:
        raise NotFound("agree the issue as a priority before changing its status")
    data, errors = load_form(StatusSchema(), request.form)
    if errors:
        return _failed(me, area, category, issue, "status", errors)
    check_provider_change(me.role, data["status"], data["report_back"])
    try:
        set_status(
            db.session,
            issue,
            data["status"],
            on=entry_day(me.role, data["date"], now().date()),
            note=data["note"],
            user_id=me.id,
            report_back=data["report_back"],
        )
    except Forbidden:
        raise  # a provider dating its note: refused as a whole, not as a field to correct
    except DoorstepError as error:
        return _failed(
            me, area, category, issue, "status", flatten(error.details) or {"status": error.message}
        )
    db.session.commit()
    flash(f"Status changed to {data['status'].replace('_', ' ')}.")
    return _back(code, category)


@bp.post("/<category>/actions")
def log_action(code: str, category: str) -> Any:
    """Log a dated action taken on the issue."""
    me = auth.user()
    area, issue = _find(me, code, category)
    if issue is None:
        raise NotFound("agree the issue as a priority before logging actions")
    data, errors = load_form(ActionSchema(), request.form)
    if errors:
        return _failed(me, area, category, issue, "action", errors)
    try:
        on = entry_day(me.role, data["date"], now().date())
    except InvalidInput as error:
        return _failed(me, area, category, issue, "action", flatten(error.details))
    add_action(db.session, issue, on=on, text=data["text"], user_id=me.id)
    db.session.commit()
    flash("Action logged.")
    return _back(code, category)


@bp.post("/<category>/public")
def publish(code: str, category: str) -> Any:
    """Preview or publish the issue's "you said, we did" text."""
    me = auth.require_role(*MANAGERS)
    area, issue = _find(me, code, category)
    if issue is None:
        raise NotFound("agree the issue as a priority before publishing what was done")
    data, errors = load_form(PublicSchema(), request.form)
    if errors:
        return _failed(me, area, category, issue, "public", errors)
    if request.form.get("action") == "preview":
        return _page(
            me, area, category, issue, preview=data["text"], form=request.form, which="public"
        )
    set_public_text(db.session, issue, data["text"], on=now().date(), user_id=me.id)
    db.session.commit()
    flash("Published on the public page and sent to collectors at their next sync.")
    return _back(code, category)
