"""Kiosk mode: residents answer by themselves, one question per screen, then it starts again.

The person's answers so far live in a store draft, and this browser's session holds only the
draft id, the current question and when it was last touched. After a submission, or once the
idle time has passed (checked here on every request, so it works without JavaScript too),
the draft is discarded or submitted and the session forgets it: nobody can page back to an
earlier respondent's answers. Other screens need the exit PIN.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for

from collector.sealing import is_sealed
from collector.store import InvalidResponse, UnknownDraft
from collector.web import common, forms, throttle
from collector.web.common import t
from survey_schemas import Survey, is_relevant

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk")

# Idle time is measured on a monotonic clock: setting the wall clock neither ends nor prolongs
# a respondent's turn (tests replace this).
clock = time.monotonic
STATE = "kiosk"
SAVED = "kiosk_saved"
DONE_SECONDS = 10  # the thank-you screen's timer back to the start (with JavaScript)


def _survey() -> Survey:
    try:
        return common.store().registry.latest(common.settings().kiosk or "")
    except LookupError:
        abort(404)


def _method(survey: Survey) -> str:
    return "kiosk" if "kiosk" in survey.methods else survey.methods[0]


def _reset(message: str | None = None) -> None:
    """Forget the current respondent: discard their unfinished answers."""
    state = session.pop(STATE, None)
    if state and state.get("draft"):
        common.store().discard_draft(state["draft"])
    if message:
        flash(message, "info")


def _state() -> dict[str, Any] | None:
    """Return the current respondent's state, or None once it has gone idle (then reset)."""
    state = session.get(STATE)
    if not state:
        return None
    now, last = clock(), state.get("last", 0)
    # A reading from before a reboot (larger than now) counts as idle.
    if not 0 <= now - last <= common.settings().kiosk_idle_seconds:
        _reset(t("timed_out"))
        return None
    state["last"] = now
    session[STATE] = state
    return state


def _left_out(survey: Survey, area: Any) -> frozenset[str]:
    """Return the contact questions when this device has no contact key for the area's group."""
    if common.store().contact_key(str(area)) is not None:
        return frozenset()
    return forms.contact_questions(survey)


def _relevant_ids(
    survey: Survey, answers: dict[str, Any], left_out: frozenset[str] = frozenset()
) -> list[str]:
    """Return the questions that apply given the answers so far, in order."""
    given: dict[str, Any] = {}
    out = []
    for q in survey.questions:
        if q.id in left_out:
            continue
        if is_relevant(q.relevant, given):
            out.append(q.id)
            if q.id in answers:
                given[q.id] = answers[q.id]
    return out


def _likely_total(
    survey: Survey, answers: dict[str, Any], left_out: frozenset[str] = frozenset()
) -> int:
    """Count the questions that apply, or may still apply, for "Question n of total"."""
    order = _relevant_ids(survey, answers, left_out)
    maybe = [
        q.id
        for q in survey.questions
        if q.id not in order
        and q.id not in left_out
        and q.depends_on - set(answers)  # hangs on an answer not given yet
    ]
    return len(order) + len(maybe)


@bp.get("/")
def start() -> Any:
    """Show the consent screen: what the survey is for, then "I agree, start"."""
    survey = _survey()
    _state()  # forgets a respondent who went idle; a fresh start happens on "I agree"
    areas = common.store().areas()
    return render_template("kiosk_start.html", survey=survey, areas=areas, errors={})


@bp.post("/start")
def begin() -> Any:
    """Start a fresh respondent after consent (and their area, when there is a choice)."""
    survey = _survey()
    areas = common.store().areas()
    code = request.form.get("area") or (areas[0]["code"] if len(areas) == 1 else "")
    if common.area(code) is None:
        errors = {"area": t("err_area")}
        return render_template("kiosk_start.html", survey=survey, areas=areas, errors=errors), 422
    _reset()
    draft = {
        "survey_id": survey.id,
        "survey_version": survey.version,
        "area": code,
        "method": _method(survey),
        "consent": True,
        "answers": {},
        "personal": {},
    }
    draft_id = common.store().save_draft(draft)
    first = _relevant_ids(survey, {}, _left_out(survey, code))[0]
    session[STATE] = {"draft": draft_id, "step": first, "last": clock()}
    return redirect(url_for("kiosk.question"))


@bp.route("/question", methods=["GET", "POST"])
def question() -> Any:
    """Ask the current question; "Next" saves it to the draft, the last one submits."""
    state = _state()
    if state is None:
        return redirect(url_for("kiosk.start"))
    store = common.store()
    draft = store.get_draft(state["draft"])
    if draft is None:
        _reset()
        return redirect(url_for("kiosk.start"))
    survey = store.registry.get(draft["survey_id"], draft["survey_version"])
    lang = common.lang()
    qid = state["step"]
    answers = {**draft.get("answers", {}), **draft.get("personal", {})}
    left_out = _left_out(survey, draft.get("area"))
    order = _relevant_ids(survey, answers, left_out)
    if qid not in order:  # an earlier answer changed: go to the first open question
        qid = order[0]
    # A contact detail in the draft is sealed: it cannot be shown again, only answered again.
    values, errors = {qid: None if is_sealed(answers.get(qid)) else answers.get(qid)}, {}
    if request.method == "POST" and common.switch_language(request.form):
        values = forms.parse_form(survey, request.form, common.lang(), only=[qid]).raw
    elif request.method == "POST":
        if request.form.get("action") == "back":
            position = order.index(qid)
            state["step"] = order[max(0, position - 1)]
            session[STATE] = state
            return redirect(url_for("kiosk.question"))
        parsed = forms.parse_form(survey, request.form, lang, only=[qid])
        rest = {k: v for k, v in answers.items() if k != qid}
        merged = forms.Parsed({**rest, **parsed.answers}, {}, parsed.errors, parsed.raw)
        merged.answers.update(parsed.personal)
        forms.check(survey, merged, lang, only=[qid])
        values, errors = parsed.raw, merged.errors
        if not errors:
            answers = forms.prune(survey, merged.answers)
            order = _relevant_ids(survey, answers, left_out)
            later = order[order.index(qid) + 1 :]
            _save(survey, state["draft"], draft, answers)
            if later:
                state["step"] = later[0]
                session[STATE] = state
                return redirect(url_for("kiosk.question"))
            return _submit(survey, state["draft"])
    field = forms.field_views(survey, common.lang(), values=values, errors=errors, only=[qid])[0]
    return render_template(
        "kiosk_question.html",
        survey=survey,
        field=field,
        number=order.index(qid) + 1,
        total=_likely_total(survey, answers, left_out),
        first=order.index(qid) == 0,
        last=order.index(qid) == len(order) - 1,
        lang_form="kiosk-form",
    ), (422 if errors else 200)


def _save(survey: Survey, draft_id: str, draft: dict[str, Any], answers: dict[str, Any]) -> None:
    personal = {k: v for k, v in answers.items() if (q := survey.question(k)) and q.personal}
    plain = {k: v for k, v in answers.items() if k not in personal}
    lang = common.lang()
    language = lang if lang in survey.languages else None
    body = {**draft, "answers": plain, "personal": personal, "language": language}
    common.store().save_draft(body, draft_id)


def _submit(survey: Survey, draft_id: str) -> Any:
    try:
        common.store().submit_draft(draft_id)
    except (InvalidResponse, UnknownDraft):
        # A draft that cannot be saved (e.g. a survey rule missed above): start again honestly.
        _reset(t("nothing_saved"))
        return redirect(url_for("kiosk.start"))
    session.pop(STATE, None)
    session[SAVED] = True  # the thank-you screen may say "saved" once, for this save
    return redirect(url_for("kiosk.done"))


@bp.get("/done")
def done() -> Any:
    """Thank the respondent once their answers are saved; a timer (script) starts again."""
    _reset()
    if not session.pop(SAVED, False):
        return redirect(url_for("kiosk.start"))
    return render_template("kiosk_done.html", survey=_survey(), restart_seconds=DONE_SECONDS)


@bp.get("/timeout")
def timeout() -> Any:
    """Start again after the idle time (the page's timer comes here)."""
    _reset(t("timed_out") if session.get(STATE) else None)
    return redirect(url_for("kiosk.start"))


@bp.route("/exit", methods=["GET", "POST"])
def exit_kiosk() -> Any:
    """Ask staff for the exit PIN; without one set, there is no way out."""
    pin = common.settings().kiosk_exit_pin
    if not pin:
        abort(404)
    _reset()
    errors: dict[str, str] = {}
    verdict = None
    if request.method == "POST":
        verdict = throttle.check_pin("kiosk_exit", request.form.get("pin", ""), pin)
        if verdict.ok:
            session["kiosk_unlocked"] = True
            return redirect(url_for("kiosk.staff"))
        errors["pin"] = throttle.refusal_text(verdict)
    common.no_store()
    status, headers = common.refusal(errors, verdict)
    return render_template("kiosk_exit.html", errors=errors), status, headers


@bp.get("/staff")
def staff() -> Any:
    """Show staff the counts and the way back into kiosk mode (after the PIN)."""
    if not session.get("kiosk_unlocked"):
        return redirect(url_for("kiosk.start"))
    return render_template("kiosk_staff.html", survey=_survey())


@bp.post("/lock")
def lock() -> Any:
    """Lock the screen again as a kiosk."""
    session.pop("kiosk_unlocked", None)
    return redirect(url_for("kiosk.start"))
