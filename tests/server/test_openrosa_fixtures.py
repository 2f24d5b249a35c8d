"""Every real KoboToolbox and ODK Central fixture, POSTed to the server as Collect would send it.

Each one (as sent, and with the fields every doorstep form adds) is either stored, after the
matching survey was added, or refused with the status Collect acts on and a message saying why.
What ``sync.openrosa`` reads of each is held in tests/sync/test_openrosa.py (``OUTCOMES``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from server.catalogue.deployment import upsert_areas
from server.catalogue.surveys import add_survey
from server.db import db
from server.models import Response, ResponseConflict
from tests.server.conftest import device_token
from tests.server.test_openrosa_server import base_of, submit
from tests.sync.test_openrosa import (
    ENCRYPTED,
    FIXTURE_SURVEYS,
    FIXTURES,
    NOT_INSTANCE,
    OUTCOMES,
    with_doorstep_fields,
)

TUTORIAL = "kobocat-tutorial/instances/tutorial_2012-06-27_11-27-53"
# With a doorstep form's fields, in this order: the first instance, its edit (deprecatedID),
# then other content under the first one's instanceID, which Kobo stored twice.
STORED = {
    f"{TUTORIAL}_w_uuid.xml": 201,
    f"{TUTORIAL}_w_uuid_edited.xml": 201,
    f"{TUTORIAL}_w_uuid_same_instanceID.xml": 409,
}


def expected_status(outcome: Any) -> int:
    """Return the status of a fixture the reader refuses (400: not an instance; else 422)."""
    if outcome == NOT_INSTANCE:
        return 400
    assert outcome == ENCRYPTED or outcome == "unknown_survey" or isinstance(outcome, dict)
    return 422


def test_every_fixture_is_stored_or_refused_with_the_right_status(
    app: Flask, live_server: str
) -> None:
    with app.app_context():
        for survey in FIXTURE_SURVEYS:
            add_survey(db.session, dict(survey.definition))
        upsert_areas(db.session, [{"code": "N1", "name": "North 1", "group": "northfield"}])
        db.session.commit()
    base = base_of(live_server, device_token(app, group="northfield")[1])
    seen = []
    for name in sorted(OUTCOMES):
        data = (FIXTURES / name).read_bytes()
        for sent, outcome in (
            (data, OUTCOMES[name][0]),
            (with_doorstep_fields(data.decode("utf-8")).encode(), OUTCOMES[name][1]),
        ):
            status, message = submit(base, sent)
            if isinstance(outcome, dict) and "survey_id" in outcome:
                assert status == STORED[name], (name, status, message)
                seen.append((name, outcome))
                continue
            assert status == expected_status(outcome), (name, status, message)
            assert len(message) > 20, (name, message)  # a sentence a volunteer can act on
            if isinstance(outcome, dict):  # each field at fault is named
                named = [(f, f.rsplit("_", 1)[-1]) for f in outcome]  # survey_version: version
                assert any(f in message or tail in message for f, tail in named), (name, message)
    assert [name for name, _ in seen] == list(STORED)
    with app.app_context():
        for name, outcome in seen[:2]:
            row = db.session.get(Response, outcome["id"])
            assert row is not None and row.source == "openrosa", name
            assert (row.survey_id, row.area, row.answers) == (
                "tutorial",
                "N1",
                outcome["answers"],
            )
            assert row.replaces == outcome.get("replaces")
        (kept,) = db.session.scalars(sa.select(ResponseConflict)).all()
        assert kept.response_id == seen[2][1]["id"]
        assert kept.envelope["answers"]["name"] == "Larry\n        Only\n  "


@pytest.mark.parametrize("name", ["central/encrypted/encrypted.one.xml"])
def test_an_encrypted_submission_says_so(app: Flask, live_server: str, name: str) -> None:
    base = base_of(live_server, device_token(app, group="northfield")[1])
    status, message = submit(base, (FIXTURES / name).read_bytes())
    assert status == 422 and "encrypted" in message
    ET.fromstring((FIXTURES / name).read_bytes())  # a real envelope, not a stand-in
