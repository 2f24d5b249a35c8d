"""``/openrosa/key/<device token>/``: the form list, the forms and submissions for ODK clients.

The token in the URL is the device's ordinary bearer token (ODK Central's "key" scheme, since
Collect cannot send a bearer header): an unknown or revoked one is refused (403) before any
view runs. A submission goes through the same ingest as push (``server.intake.instances``).
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, current_app, g, request, url_for

from server import clock
from server.accounts.devices import device_for_token, note_sync
from server.catalogue.xforms import form_for, offered_forms
from server.db import db
from server.exceptions import NotFound
from server.intake.instances import Submission, ingest_instance
from server.openrosa.replies import message_reply, with_headers, xml_reply
from server.schemas import FormListQuery, load_query
from sync.openrosa import FormListItem, form_list

bp = Blueprint("openrosa", __name__, url_prefix="/openrosa/key/<token>")

PART = "xml_submission_file"
# Refusals of what cannot be read as an instance at all (400); the other refusals are 422.
UNREADABLE = frozenset({"malformed_xml", "forbidden_xml", "not_an_instance"})
STATUS = {"accepted": 201, "duplicate": 201, "conflict": 409, "rejected": 422}


@bp.before_request
def _device() -> None:
    """Know the device by the URL's token, or refuse (403) before the view runs."""
    token = (request.view_args or {}).get("token", "")
    g.device = device_for_token(db.session, token)


@bp.get("/formList")
def form_list_view(token: str) -> Response:
    """List the latest version of each survey the device answers, with the md5 of its form."""
    query = load_query(FormListQuery(), request.args)
    device = g.device
    forms = offered_forms(db.session, device.group_id)
    if query["formID"] is not None:
        forms = [f for f in forms if f.survey.id == query["formID"]]
    items = [
        FormListItem.of(
            f.survey,
            f.xml,
            url_for(
                ".form",
                token=token,
                survey_id=f.survey.id,
                version=f.survey.version,
                _external=True,
            ),
        )
        for f in forms
    ]
    note_sync(device, clock.now())
    db.session.commit()
    return xml_reply(form_list(items))


@bp.get("/forms/<survey_id>/<int:version>.xml")
def form(token: str, survey_id: str, version: int) -> Response:
    """Serve one survey version's XForm: the exact bytes the form list's hash is over."""
    found = form_for(db.session, g.device.group_id, survey_id, version)
    if found is None:
        raise NotFound(f"There is no form {survey_id!r} version {version} for this phone.")
    return xml_reply(found.xml)


@bp.route("/submission", methods=["GET", "HEAD"])
def submission_check(token: str) -> Response:
    """Answer Collect's check before it sends: 204 with the OpenRosa headers."""
    return with_headers(Response(status=204))


@bp.post("/submission")
def submission(token: str) -> Response:
    """Store one filled form (multipart, part ``xml_submission_file``) as a pushed response."""
    if request.mimetype != "multipart/form-data":
        return message_reply(400, f"Send the form as multipart/form-data with a {PART} part.")
    upload = request.files.get(PART)
    data = upload.read() if upload is not None else request.form.get(PART, "").encode("utf-8")
    if not data.strip():
        return message_reply(400, f"The submission has no {PART} part, or it is empty.")
    days = current_app.config["PERSONAL_RETENTION_DAYS"]
    result = ingest_instance(
        db.session,
        data,
        device=g.device,
        now=clock.now(),
        personal_retention=timedelta(days=days) if days else None,
    )
    return message_reply(status_of(result), result.message)


def status_of(result: Submission) -> int:
    """Return the status Collect acts on: only 201 (and 202) count as sent."""
    if result.status == "refused":
        if result.code == "too_large":
            return 413
        return 400 if result.code in UNREADABLE else 422
    return STATUS[result.status]
