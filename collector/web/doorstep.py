"""Doorstep mode: sign in, pick area and street, record each door, survey at the door."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from collector.store import OUTCOMES, InvalidResponse, ResponseConflict, UnknownSession
from collector.web import common, forms, i18n, throttle
from collector.web.common import t
from survey_schemas import Survey

bp = Blueprint("doorstep", __name__)

NAME_LIMIT = 100
RECENT_DOORS = 6


def pseudonym(name: str) -> str:
    """Return a stable volunteer id that does not reveal the name (keyed by this device)."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, name.strip().casefold().encode(), hashlib.sha256).hexdigest()
    return f"v-{digest[:12]}"


def _survey(survey_id: str | None, version: Any = None) -> Survey | None:
    registry = common.store().registry
    if survey_id is None:
        return None
    if version is not None:
        try:
            found = registry.find(survey_id, int(version))
        except ValueError:
            found = None
        if found is not None:
            return found
    try:
        return registry.latest(survey_id)
    except LookupError:
        return None


@bp.route("/signin", methods=["GET", "POST"])
def signin() -> Any:
    """Sign a volunteer in with a name or pseudonym and the area they are working in."""
    areas = common.store().areas()
    surveys = common.surveys_for("doorstep")
    nxt = common.safe_next(request.values.get("next"), url_for("doorstep.street"))
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
            errors["pin"] = (
                t("err_pin_wait", minutes=verdict.wait_minutes)
                if verdict.wait_seconds
                else t("err_pin")
            )
        chosen = form.get("survey") or (surveys[0].id if surveys else None)
        if not errors:
            session["volunteer"] = {
                "name": name,
                "id": pseudonym(name),
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


def _need_volunteer() -> Any:
    if common.volunteer() is None:
        return redirect(url_for("doorstep.signin", next=request.path))
    return None


def _session_id() -> str:
    """Return the store's session for this volunteer, starting one at their first street."""
    vol = common.volunteer() or {}
    if not vol.get("session"):
        vol["session"] = common.store().start_session(vol["id"], vol["area"], "doorstep")
        session["volunteer"] = vol
    session_id: str = vol["session"]
    return session_id


@bp.route("/doorstep/street", methods=["GET", "POST"])
def street() -> Any:
    """Pick the street to knock on (one of the area's, or another typed in)."""
    if (gate := _need_volunteer()) is not None:
        return gate
    vol = common.volunteer() or {}
    area = common.area(vol["area"]) or {"code": vol["area"], "name": vol["area"], "streets": []}
    errors: dict[str, str] = {}
    if request.method == "POST":
        chosen = (request.form.get("other") or "").strip() or request.form.get("street", "")
        if not chosen.strip():
            errors["street"] = t("err_street")
        else:
            session["street"] = chosen.strip()[:200]
            _session_id()
            return redirect(url_for("doorstep.door"))
    return render_template(
        "street.html",
        area=area,
        street_options=[(s, s) for s in area.get("streets", [])],
        errors=errors,
        current=session.get("street"),
    ), (422 if errors else 200)


@bp.route("/doorstep/door", methods=["GET", "POST"])
def door() -> Any:
    """Record what happened at one door: one tap per outcome; "surveyed" opens the survey."""
    if (gate := _need_volunteer()) is not None:
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
            if not _record(house, outcome, None):
                return redirect(url_for("doorstep.signin"))
            flash(t("door_recorded", house=house or "—", outcome=t(outcome)), "success")
            return redirect(url_for("doorstep.door"))
    return render_template(
        "door.html", street=session["street"], doors=session.get("doors", []), errors=errors
    ), (422 if errors else 200)


def _record(house: str, outcome: str, response_id: str | None) -> bool:
    """Record a door in the store and in this browser's short list of recent doors."""
    try:
        common.store().record_door(_session_id(), session["street"], house, outcome, response_id)
    except UnknownSession:  # the store was reset under this browser: sign in again
        session.pop("volunteer", None)
        return False
    recent = [[house or "—", outcome], *session.get("doors", [])][:RECENT_DOORS]
    session["doors"] = recent
    return True


@bp.route("/doorstep/survey", methods=["GET", "POST"])
def survey() -> Any:
    """Show the purpose statement, then the questions; save, then record the door."""
    if (gate := _need_volunteer()) is not None:
        return gate
    if not session.get("street"):
        return redirect(url_for("doorstep.street"))
    vol = common.volunteer() or {}
    form = request.form
    found = _survey(vol.get("survey"), form.get("survey_version"))
    if found is None:
        return render_template("no_survey.html"), 404
    lang = common.lang()
    house = (request.values.get("house") or "").strip()[:50]
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    response_id = common.response_id(form)
    if request.method == "POST":
        parsed = forms.parse_form(found, form, lang)
        if forms.declined_consent(found, parsed.merged):  # nothing else they said is kept
            if not _record(house, "refused", None):
                return redirect(url_for("doorstep.signin"))
            flash(t("declined"), "info")
            return redirect(url_for("doorstep.door"))
        forms.check(found, parsed, lang)
        values, errors = parsed.raw, parsed.errors
        if not errors:
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
                errors = forms.store_errors(exc.errors, found, lang)
            except ResponseConflict:
                flash(t("already_saved"), "info")
                return redirect(url_for("doorstep.door"))
            else:
                # Only now, with the response on disk, do we say "Saved" and count the door.
                if saved_id not in session.get("saved", []):
                    if not _record(house, "surveyed", saved_id):
                        return redirect(url_for("doorstep.signin"))
                    session["saved"] = [saved_id, *session.get("saved", [])][:20]
                flash(t("saved_survey", house=house or "—"), "success")
                return redirect(url_for("doorstep.door"))
    fields = forms.field_views(
        found,
        lang,
        values=values,
        errors=errors,
        suggestions=(common.area(vol["area"]) or {}).get("streets", []),
    )
    if errors:
        common.no_store()
    return render_template(
        "survey.html",
        survey=found,
        fields=fields,
        house=house,
        street=session["street"],
        response_id=response_id,
        action=url_for("doorstep.survey"),
        submit=t("save_survey"),
        cancel=url_for("doorstep.door"),
    ), (422 if errors else 200)


@bp.get("/doorstep/summary")
def summary() -> Any:
    """Show the session so far: doors knocked, contacts, surveys and time spent."""
    if (gate := _need_volunteer()) is not None:
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
    for key in ("volunteer", "street", "doors", "saved"):
        session.pop(key, None)
    flash(t("signed_out"), "success")
    return redirect(url_for("doorstep.signin"))
