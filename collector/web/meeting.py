"""Meeting mode: record the concerns residents raise at a group meeting (method ``meeting``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, session, url_for

from collector.store import InvalidResponse, ResponseConflict
from collector.web import common, forms, visit
from collector.web.common import t

bp = Blueprint("meeting", __name__, url_prefix="/meeting")

# Numbers such as the attendee count stay the same for every concern of one meeting.
KEPT_TYPES = ("number",)


@bp.route("/", methods=["GET", "POST"])
def record() -> Any:
    """Show the meeting survey for an area; save one concern at a time."""
    vol = common.volunteer()
    if vol is None:
        return redirect(url_for("doorstep.signin", next=url_for("meeting.record")))
    surveys = common.surveys_for("meeting")
    if not surveys:
        return render_template("no_survey.html"), 404
    survey = surveys[0]
    lang = common.lang()
    areas = common.store().areas()
    code = request.values.get("area") or vol["area"]
    kept = session.get("meeting_kept", {})
    values: dict[str, Any] = dict(kept)
    errors: dict[str, str] = {}
    response_id = common.response_id(request.form)
    if request.method == "POST" and common.switch_language(request.form):
        values = forms.parse_form(survey, request.form, common.lang()).raw
    elif request.method == "POST":
        parsed = forms.parse_form(survey, request.form, lang)
        forms.check(survey, parsed, lang)
        values, errors = parsed.raw, parsed.errors
        if common.area(code) is None:
            errors["area"] = t("err_area")
        if not errors:
            envelope = {
                "id": response_id,
                "survey_id": survey.id,
                "survey_version": survey.version,
                "area": code,
                "method": "meeting",
                "answers": parsed.answers,
                "personal": parsed.personal,
                "volunteer": vol["id"],
                "language": lang if lang in survey.languages else None,
            }
            try:
                common.store().save_response(envelope)
            except InvalidResponse as exc:
                errors = forms.store_errors(exc.errors, survey, lang)
            except ResponseConflict:
                visit.done()
                flash(t("already_saved"), "info")
                return redirect(url_for("meeting.record", area=code))
            else:
                session["meeting_kept"] = {
                    q.id: parsed.raw[q.id]
                    for q in survey.questions
                    if q.type in KEPT_TYPES and q.id in parsed.answers
                }
                visit.done()
                flash(t("saved_concern"), "success")
                return redirect(url_for("meeting.record", area=code))
    if errors:
        common.no_store()
    fields = forms.field_views(survey, common.lang(), values=values, errors=errors)
    return render_template(
        "meeting.html",
        survey=survey,
        fields=fields,
        areas=areas,
        area_code=code,
        response_id=response_id,
        errors=errors,
        lang_form="meeting-form",
    ), (422 if errors else 200)
