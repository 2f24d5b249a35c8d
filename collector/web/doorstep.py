"""Doorstep mode: sign in, pick area and street, record each door, survey at the door.

The door page is the volunteer's base: with JavaScript it also holds the street choice and the
stepped survey, so a phone out of the collector's reach keeps working there and queues what it
records (``static/outbox.js``); every form still posts to its own page without JavaScript.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, session, url_for

from collector.redirects import safe_next
from collector.store import OUTCOMES, InvalidResponse, ResponseConflict, UnknownSession
from collector.web import common, forms, i18n, throttle, visit
from collector.web.common import t
from collector.web.survey_form import survey_form, wanted_step
from survey_schemas import Survey

bp = Blueprint("doorstep", __name__)

NAME_LIMIT = 100


@bp.route("/signin", methods=["GET", "POST"])
def signin() -> Any:
    """Sign a volunteer in with a name or pseudonym and the area they are working in."""
    areas = common.store().areas()
    surveys = common.surveys_for("doorstep")
    nxt = safe_next(request.values.get("next"), url_for("doorstep.street"))
    errors: dict[str, str] = {}
    form = request.form
    verdict = None
    if request.method == "POST":
        name = form.get("name", "").strip()[:NAME_LIMIT]
        if not name:
            errors["name"] = t("err_name")
        if common.area(form.get("area")) is None:
            errors["area"] = t("err_area")
        pin = common.settings().volunteer_pin
        verdict = throttle.check_pin("volunteer", form.get("pin", ""), pin) if pin else None
        if verdict is not None and not verdict.ok:
            errors["pin"] = throttle.refusal_text(verdict)
        chosen = form.get("survey") or (surveys[0].id if surveys else None)
        if not errors:
            session["volunteer"] = {
                "name": name,
                "id": visit.pseudonym(name),
                "area": form["area"],
                "survey": chosen,
            }
            session.pop("street", None)
            session.pop("doors", None)
            return redirect(nxt)
    common.no_store()
    status, headers = common.refusal(errors, verdict)
    return (
        render_template(
            "signin.html",
            areas=areas,
            surveys=surveys,
            errors=errors,
            form=form,
            nxt=nxt,
            ask_pin=bool(common.settings().volunteer_pin),
            survey_options=[(s.id, i18n.pick(s.title, common.lang())) for s in surveys],
        ),
        status,
        headers,
    )


def _area() -> dict[str, Any]:
    vol = common.volunteer() or {}
    return common.area(vol["area"]) or {"code": vol["area"], "name": vol["area"], "streets": []}


def _street_context(errors: dict[str, str]) -> dict[str, Any]:
    area = _area()
    return {
        "area": area,
        "street_options": [(s, s) for s in area.get("streets", [])],
        "street_errors": errors,
        "current": session.get("street"),
    }


@bp.route("/doorstep/street", methods=["GET", "POST"])
def street() -> Any:
    """Pick the street to knock on (one of the area's, or another typed in)."""
    if (gate := visit.need_volunteer()) is not None:
        return gate
    errors: dict[str, str] = {}
    if request.method == "POST":
        chosen = (request.form.get("other") or "").strip() or request.form.get("street", "")
        if not chosen.strip():
            errors["street"] = t("err_street")
        else:
            session["street"] = chosen.strip()[: visit.STREET_LIMIT]
            visit.session_id()
            visit.done()
            return redirect(url_for("doorstep.door"))
    return render_template("street.html", **_street_context(errors)), (422 if errors else 200)


@bp.route("/doorstep/door", methods=["GET", "POST"])
def door() -> Any:
    """Record what happened at one door: one tap per outcome; "surveyed" opens the survey."""
    if (gate := visit.need_volunteer()) is not None:
        return gate
    if not session.get("street"):
        return redirect(url_for("doorstep.street"))
    errors: dict[str, str] = {}
    if request.method == "POST":
        house = request.form.get("house", "").strip()[:50]
        outcome = request.form.get("outcome", "")
        if outcome not in OUTCOMES:
            errors["outcome"] = t("err_outcome")
        elif outcome == "surveyed":
            return redirect(url_for("doorstep.survey", house=house))
        else:
            if not visit.record(house, outcome, None, visit.door_id(request.form)):
                return redirect(url_for("doorstep.signin"))
            visit.done()
            flash(t("door_recorded", house=house or "—", outcome=t(outcome)), "success")
            return redirect(url_for("doorstep.door"))
    vol = common.volunteer() or {}
    found = visit.find_survey(vol.get("survey"))
    form = None
    if found is not None:
        form = survey_form(
            found,
            common.lang(),
            suggestions=_area().get("streets", []),
            contact=_takes_contact_details(),
        )
    return render_template(
        "door.html",
        street=session["street"],
        doors=session.get("doors", []),
        errors=errors,
        form=form,
        house="",
        response_id=common.response_id(request.form),
        **_street_context({}),
    ), (422 if errors else 200)


@bp.route("/doorstep/survey", methods=["GET", "POST"])
def survey() -> Any:
    """Show the purpose statement, then the questions in steps; save, then record the door."""
    if (gate := visit.need_volunteer()) is not None:
        return gate
    if not session.get("street"):
        return redirect(url_for("doorstep.street"))
    vol = common.volunteer() or {}
    form = request.form
    found = visit.find_survey(vol.get("survey"), form.get("survey_version"))
    if found is None:
        return render_template("no_survey.html"), 404
    house = (request.values.get("house") or "").strip()[:50]
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    response_id = common.response_id(form)
    if request.method == "POST" and common.switch_language(form):
        values = forms.parse_form(found, form, common.lang()).raw  # kept, not yet checked
    elif request.method == "POST":
        lang = common.lang()
        parsed = forms.parse_form(found, form, lang)
        if forms.declined_consent(found, parsed.merged):  # nothing else they said is kept
            if not visit.record(house, "refused", None, response_id):
                return redirect(url_for("doorstep.signin"))
            visit.done()
            flash(t("declined"), "info")
            return redirect(url_for("doorstep.door"))
        forms.check(found, parsed, lang)
        values, errors = parsed.raw, parsed.errors
        if not errors:
            outcome = _save(found, parsed, response_id, house)
            if not isinstance(outcome, dict):
                return outcome
            errors = outcome
    if errors:
        common.no_store()
    context = survey_form(
        found,
        common.lang(),
        values=values,
        errors=errors,
        suggestions=_area().get("streets", []),
        start=wanted_step(form.get("step")),
        contact=_takes_contact_details(),
    )
    return render_template(
        "survey.html",
        house=house,
        street=session["street"],
        response_id=response_id,
        form=context,
        lang_form="survey-form",
    ), (422 if errors else 200)


def _takes_contact_details() -> bool:
    """Say whether this device holds a contact key for the volunteer's area's group."""
    area = (common.volunteer() or {}).get("area")
    return area is not None and common.store().contact_key(area) is not None


def _save(found: Survey, parsed: forms.Parsed, response_id: str, house: str) -> Any:
    """Save a checked survey and record its door; return the redirect, or the store's errors."""
    vol = common.volunteer() or {}
    lang = common.lang()
    envelope = {
        "id": response_id,
        "survey_id": found.id,
        "survey_version": found.version,
        "area": vol["area"],
        "method": "doorstep",
        "answers": parsed.answers,
        "personal": parsed.personal,
        "volunteer": vol["id"],
        "consent": forms.consent_given(found, parsed.merged),
        "language": lang if lang in found.languages else None,
        "street": session["street"],
    }
    try:
        saved_id = common.store().save_response(envelope)
    except InvalidResponse as exc:
        return forms.store_errors(exc.errors, found, lang)
    except ResponseConflict:
        visit.done()
        flash(t("already_saved"), "info")
        return redirect(url_for("doorstep.door"))
    # Only now, with the response on disk, do we say "Saved" and count the door: once, as
    # the door takes the response's id (a resent form records nothing new).
    if not visit.record(house, "surveyed", saved_id, saved_id):
        return redirect(url_for("doorstep.signin"))
    visit.done()
    flash(t("saved_survey", house=house or "—"), "success")
    return redirect(url_for("doorstep.door"))


@bp.get("/doorstep/summary")
def summary() -> Any:
    """Show the session so far: doors knocked, contacts, surveys and time spent."""
    if (gate := visit.need_volunteer()) is not None:
        return gate
    vol = common.volunteer() or {}
    figures = {"doors": 0, "contacts": 0, "surveys": 0, "minutes": 0}
    if vol.get("session"):
        try:
            figures = common.store().session_summary(vol["session"])
        except UnknownSession:
            pass
    common.no_store()
    return render_template("summary.html", figures=figures)


@bp.post("/doorstep/signout")
def signout() -> Any:
    """End the session (its time stops counting) and forget the volunteer on this phone."""
    vol = common.volunteer() or {}
    if vol.get("session"):
        try:
            common.store().end_session(vol["session"])
        except UnknownSession:
            pass
    for key in ("volunteer", "street", "doors"):
        session.pop(key, None)
    flash(t("signed_out"), "success")
    return redirect(url_for("doorstep.signin"))
