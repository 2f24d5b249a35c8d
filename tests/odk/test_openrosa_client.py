"""ODK's own engine as the client of doorstep's OpenRosa server, on loopback.

A phone is enrolled as Collect's QR code enrolls it; the form list and each form come from the
server over HTTP (the hash checked against the bytes, as Collect does); ODK Web Forms' engine
(@getodk/xforms-engine, headless in node) loads each served form, a volunteer's answers are
filled in, and the instance the engine emits is POSTed back as Collect posts it. doorstep
stores it, takes a resend as sent, keeps other content under the same instanceID apart, and
reads the engine's deprecatedID as ``replaces``.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import requests
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings

from server.accounts.collect import enroll_collect
from server.catalogue.surveys import add_bundled_surveys, registry_for
from server.db import db
from server.models import Response, ResponseConflict
from survey_schemas import Survey
from sync.openrosa import read_collect_settings
from tests.server.test_openrosa_server import form_list, submit
from tests.survey_schemas.valid_responses import responses

from .engine import OdkEngine, steps_for
from .test_odk_engine import as_odk_sends

NORTHFIELD = ["abbey", "bell-green"]


def phone(app: Flask, live_server: str) -> str:
    """Enroll a Northfield phone as its QR code would; return the server URL Collect keeps."""
    with app.app_context():
        add_bundled_surveys(db.session)
        data = enroll_collect(
            db.session,
            label="Ann's phone",
            group="northfield",
            server_url=live_server,
            now=app.config["CLOCK"](),
        )
        db.session.commit()
    return read_collect_settings(data["settings"])["general"]["server_url"]


def served_forms(base: str) -> dict[str, bytes]:
    """Download every listed form, checking each against its hash as Collect does."""
    out = {}
    for form_id, item in form_list(base).items():
        body = requests.get(item["downloadUrl"], timeout=30).content
        assert item["hash"] == "md5:" + hashlib.md5(body).hexdigest(), form_id
        out[form_id] = body
    return out


def test_odk_fills_every_served_form_and_doorstep_stores_what_it_submits(
    app: Flask, live_server: str, odk_engine: OdkEngine
) -> None:
    base = phone(app, live_server)
    forms = served_forms(base)
    with app.app_context():
        registry = registry_for(db.session)
        surveys: dict[str, Survey] = {sid: registry.latest(sid) for sid in forms}
    assert {"doorstep-safety", "test-safety"} <= set(surveys)
    for form_id, xform in forms.items():
        sender(app, base, odk_engine, surveys[form_id], xform)()


def sender(app: Flask, base: str, engine: OdkEngine, survey: Survey, xform: bytes) -> Any:
    """Return a Hypothesis test: ODK fills ``xform`` with a valid response, doorstep stores it."""

    @settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
    @given(response=responses(survey, NORTHFIELD, odk=True))
    def send(response: dict[str, Any]) -> None:
        out = engine.fill(xform, steps_for(survey, response))
        assert (out["load"], out["status"]) == ("success", "ready"), out.get("error")
        instance = out["xml"].encode("utf-8")
        status, message = submit(base, instance)
        assert status == 201, message
        assert submit(base, instance)[0] == 201  # a resend after a lost answer
        found = re.search(r"<instanceID>uuid:([^<]+)</instanceID>", out["xml"])
        assert found is not None
        with app.app_context():
            row = db.session.get(Response, found.group(1))
            assert row is not None and row.source == "openrosa"
            sent = {k: as_odk_sends(survey, k, v) for k, v in response["answers"].items()}
            assert (row.survey_id, row.area, row.answers) == (survey.id, response["area"], sent)

    return send


def test_odk_edits_and_clashes_are_doorstep_conflicts_and_corrections(
    app: Flask, live_server: str, odk_engine: OdkEngine
) -> None:
    base = phone(app, live_server)
    xform = served_forms(base)["test-safety"]
    with app.app_context():
        survey = registry_for(db.session).latest("test-safety")
    response = {"area": "abbey", "method": "doorstep",
                "answers": {"concerns": ["speeding"], "severity": 2}}  # fmt: skip
    first = odk_engine.fill(xform, steps_for(survey, response))["xml"]
    assert submit(base, first.encode())[0] == 201
    rid = re.search(r"<instanceID>(uuid:[^<]+)</instanceID>", first).group(1)
    # Other answers under the same instanceID (a clash): kept apart, nothing overwritten.
    other = {**response, "answers": {"concerns": ["litter"]}}
    clash = odk_engine.fill(xform, steps_for(survey, other))["xml"]
    clash = re.sub(r"<instanceID>[^<]+</instanceID>", f"<instanceID>{rid}</instanceID>", clash)
    status, message = submit(base, clash.encode())
    assert status == 409 and "kept for a coordinator" in message
    # An edit, as an ODK client makes one: a new instanceID, the old one as deprecatedID.
    edit = odk_engine.fill(xform, steps_for(survey, other))["xml"]
    edit = re.sub(r"<deprecatedID\s*/>|<deprecatedID></deprecatedID>",
                  f"<deprecatedID>{rid}</deprecatedID>", edit)  # fmt: skip
    assert f"<deprecatedID>{rid}</deprecatedID>" in edit
    assert submit(base, edit.encode())[0] == 201
    new_id = re.search(r"<instanceID>uuid:([^<]+)</instanceID>", edit).group(1)
    with app.app_context():
        old = db.session.get(Response, rid.removeprefix("uuid:"))
        assert old.answers == {"concerns": ["speeding"], "severity": 2} and old.conflict
        assert db.session.get(Response, new_id).replaces == old.id
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ResponseConflict)) == 1
