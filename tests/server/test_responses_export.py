"""The responses export scrubs contact details a resident typed into a free-text answer."""

from __future__ import annotations

import csv
import io
import json

from flask import Flask
from flask.testing import FlaskClient

from server.catalogue.surveys import add_survey
from server.db import db
from tests.factories import push

from .conftest import TEST_SURVEY, bearer, make_response, user_token

TYPED = "Call me on 07700 900123 or bob@example.org, I live at 12 Acacia Road. Kids racing."


def _add_text_survey(app: Flask) -> None:
    survey = json.loads(json.dumps(TEST_SURVEY))
    survey["version"] = 3
    survey["questions"] += [
        {"id": "more", "type": "text", "label": {"en": "Anything else?"}},
        {"id": "when", "type": "date", "label": {"en": "When did it last happen?"}},
    ]
    with app.app_context():
        add_survey(db.session, survey)
        db.session.commit()


def test_free_text_is_scrubbed_and_other_answers_kept(
    app: Flask, client: FlaskClient, device: str
) -> None:
    _add_text_survey(app)
    answers = {"concerns": ["speeding"], "severity": 4, "more": TYPED, "when": "2025-02-28"}
    sent = make_response(survey_version=3, answers=answers)
    assert push(client, device, [sent]).json["results"][0]["status"] == "accepted"
    admin = bearer(user_token(app, "ada", role="admin"))

    listed = client.get("/api/v1/responses", headers=admin).json["responses"]
    (got,) = [r["answers"] for r in listed if r["id"] == sent["id"]]
    assert got == {
        "concerns": ["speeding"],
        "severity": 4,
        "more": "Call me on [phone] or [email], I live at [address] Kids racing.",
        "when": "2025-02-28",  # a date is not a phone number
    }

    text = client.get("/api/v1/responses", headers={**admin, "Accept": "text/csv"}).text
    (row,) = [r for r in csv.DictReader(io.StringIO(text)) if r["id"] == sent["id"]]
    assert json.loads(row["answers"]) == got
    assert "07700" not in text and "bob@example.org" not in text and "Acacia" not in text
