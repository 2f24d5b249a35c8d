"""``doorstep server purge-personal`` deletes contact details past their retention, no others."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from server.catalogue.surveys import add_survey
from server.cli import main
from server.db import db
from server.models import PersonalDetail, Response
from tests import factories as f
from tests.sealing_keys import add_server_key, opened

from .conftest import TEST_SURVEY, Clock, bearer, make_response

PERSONAL_SURVEY = {
    **TEST_SURVEY,
    "version": 2,
    "questions": [*TEST_SURVEY["questions"], *f.contact()],
}


@pytest.fixture
def personal(app: Flask) -> None:
    """Add the survey version that asks for a phone number with consent."""
    with app.app_context():
        add_survey(db.session, PERSONAL_SURVEY)
        db.session.commit()
    add_server_key(app)


def push_with_contact(client: FlaskClient, device: str, phone: str) -> str:
    """Push one response with a consented phone number; return its id."""
    answers = {"concerns": ["speeding"], "ok": True}
    item = make_response(survey_version=2, answers=answers, personal={"contact": phone})
    reply = client.post("/api/v1/sync/push", json={"responses": [item]}, headers=bearer(device))
    assert reply.get_json()["results"][0]["status"] == "accepted"
    return item["id"]


def test_purge_deletes_only_expired_contact_details(
    app: Flask, client: FlaskClient, device: str, clock: Clock, runner: CliRunner, personal: None
) -> None:
    clock.now = datetime(2020, 1, 1, tzinfo=UTC)  # its year of retention is long over
    old = push_with_contact(client, device, "0700 000001")
    clock.now = datetime.now(UTC)
    fresh = push_with_contact(client, device, "0700 000002")
    result = runner.invoke(main, ["server", "purge-personal", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"deleted": 1, "retention_days": 365}
    with app.app_context():
        kept = db.session.scalars(select(PersonalDetail.response_id)).all()
        assert kept == [fresh]
        assert db.session.get(Response, old) is not None  # the answers stay
    again = runner.invoke(main, ["server", "purge-personal"])
    assert "deleted 0 expired contact details (retention: 365 days)" in again.output


def purge(runner: CliRunner, days: int) -> dict[str, int]:
    """Run purge-personal with PERSONAL_RETENTION_DAYS set to ``days``; return its JSON."""
    env = {**runner.env, "DOORSTEP_PERSONAL_RETENTION_DAYS": str(days)}
    result = runner.invoke(main, ["server", "purge-personal", "--json"], env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def kept_phones(app: Flask) -> list[str]:
    with app.app_context():
        rows = db.session.scalars(select(PersonalDetail)).all()
        return sorted(opened(row.data, row.response_id)["contact"] for row in rows)


def test_details_go_when_the_retention_setting_says(
    app: Flask, client: FlaskClient, device: str, clock: Clock, runner: CliRunner, personal: None
) -> None:
    app.config["PERSONAL_RETENTION_DAYS"] = 30
    today = datetime.now(UTC)
    for age, phone in ((31, "0700 000031"), (29, "0700 000029")):
        clock.now = today - timedelta(days=age)
        push_with_contact(client, device, phone)
    assert purge(runner, 30)["deleted"] == 1
    assert kept_phones(app) == ["0700 000029"]
    assert purge(runner, 30)["deleted"] == 0  # idempotent: a second run finds nothing new
    # Shortening the retention covers details already held, not only later ones.
    assert purge(runner, 7)["deleted"] == 1 and kept_phones(app) == []


def test_no_limit_keeps_details_until_the_setting_changes(
    app: Flask, client: FlaskClient, device: str, clock: Clock, runner: CliRunner, personal: None
) -> None:
    app.config["PERSONAL_RETENTION_DAYS"] = 0
    clock.now = datetime.now(UTC) - timedelta(days=4000)
    push_with_contact(client, device, "0700 004000")
    assert purge(runner, 0) == {"deleted": 0, "retention_days": 0}
    assert purge(runner, 365)["deleted"] == 1
