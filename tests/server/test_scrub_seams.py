"""Personal data through the seams (issue 13): UK phone formats and the export's street fields."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.catalogue.surveys import add_survey
from server.db import db
from server.issues.scrub import scrub
from tests.server.conftest import TEST_SURVEY, bearer, device_token, make_response, user_token

PHONES = (
    "(0116) 496 0123",
    "(020) 7946 0018",
    "+44 (0)116 496 0123",
    "+44(0)20 7946 0018",
    "+44 7700 900123",
    "+447700900123",
    "07 700 90 01 23",
    "0116  496  0123",
    "0116-496-0123",
    "0116 4960 123",
)


@pytest.mark.parametrize("phone", PHONES)
def test_uk_phone_formats_are_scrubbed(phone: str):
    text = f"Ring {phone} about the van"
    assert scrub(text) == "Ring [phone] about the van"


# Found by the outsider attack on issue 13: the survey is asked in Polish and Urdu, and a
# number with an international prefix ("0048", "+1") kept its tail ("[phone] 678") or all of it.
INTERNATIONAL = (
    "0044 (0)20 7946 0000",
    "0048 512 345 678",
    "+48 512 345 678",
    "+92 300 123 4567",
    "0092 300 1234567",
    "+1 (212) 555-0123",
    "+353 1 234 5678",
)


@pytest.mark.parametrize("phone", INTERNATIONAL)
def test_international_numbers_are_scrubbed_whole(phone: str):
    assert scrub(f"Ring {phone} about the van") == "Ring [phone] about the van"


@pytest.mark.parametrize("text", ["in 2024 there were 12 cars", "since 1999 and 2001", "A38"])
def test_years_and_road_numbers_stay(text: str):
    assert scrub(text) == text


STREET_SURVEY = {
    **TEST_SURVEY,
    "id": "street-safety",
    "questions": [
        *TEST_SURVEY["questions"],
        {"id": "where", "type": "street", "label": {"en": "Which street?"}},
    ],
}


def test_the_export_scrubs_the_street_field_and_street_answers(app: Flask, client: FlaskClient):
    with app.app_context():
        add_survey(db.session, dict(STREET_SURVEY))
        db.session.commit()
    _, device = device_token(app)
    item = make_response(
        survey_id="street-safety",
        street="12 Acacia Road",
        answers={"concerns": ["speeding"], "where": "outside 4 Mill Lane, ring 07700 900123"},
    )
    pushed = client.post("/api/v1/sync/push", json={"responses": [item]}, headers=bearer(device))
    assert pushed.get_json()["results"][0]["status"] == "accepted"
    token = user_token(app, "cora", group="northfield")
    [row] = client.get("/api/v1/responses", headers=bearer(token)).get_json()["responses"]
    assert row["street"] == "[address]"
    assert "Mill Lane" not in row["answers"]["where"] and "[phone]" in row["answers"]["where"]
    csv = client.get("/api/v1/responses", headers={**bearer(token), "Accept": "text/csv"})
    body = csv.get_data(as_text=True)
    assert "Acacia" not in body and "07700" not in body and "Mill Lane" not in body
