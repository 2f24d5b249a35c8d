"""Accountability: agreed priorities, statuses with dated notes, actions, providers, pull."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.accounts.users import create_user
from server.db import db
from server.meetings.accountability import is_overdue
from tests.server.conftest import Clock, bearer, user_token


def provider_token(app: Flask, name: str, provider: str) -> str:
    with app.app_context():
        user, token = create_user(db.session, name, "provider")
        user.provider = provider
        db.session.commit()
    return token


def agree(client: FlaskClient, token: str, category: str = "speeding", **kw) -> dict:
    body = {
        "category": category,
        "owner": "Police",
        "report_back": "2025-04-01",
        "date": "2025-03-01",
        **kw,
    }
    r = client.post("/api/v1/areas/abbey/issues", json=body, headers=bearer(token))
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_agreeing_records_owner_date_and_a_dated_note(app: Flask, client: FlaskClient):
    token = user_token(app, "cora", group="northfield")
    issue = agree(client, token)
    assert (issue["status"], issue["owner"], issue["report_back"]) == (
        "agreed",
        "Police",
        "2025-04-01",
    )
    assert issue["log"][0]["on"] == "2025-03-01" and issue["log"][0]["to"] == "agreed"
    listed = client.get("/api/v1/areas/abbey/issues", headers=bearer(token)).get_json()["issues"]
    assert [i["id"] for i in listed] == [issue["id"]]


def test_status_moves_follow_the_rules(app: Flask, client: FlaskClient, clock: Clock):
    token = user_token(app, "cora", group="northfield")
    url = f"/api/v1/issues/{agree(client, token)['id']}/status"
    clock.now = datetime(2025, 3, 31, 9, 0, tzinfo=UTC)  # notes are never dated later than today
    bad = client.post(url, json={"status": "open", "note": "x"}, headers=bearer(token))
    assert bad.status_code == 400
    assert client.post(url, json={"status": "resolved"}, headers=bearer(token)).status_code == 400
    ok = client.post(
        url,
        json={"status": "in_progress", "note": "Speed checks booked", "date": "2025-03-10"},
        headers=bearer(token),
    )
    assert ok.status_code == 200
    done = client.post(
        url,
        json={"status": "resolved", "note": "Speed bumps in", "date": "2025-03-30"},
        headers=bearer(token),
    ).get_json()
    assert [(n["from"], n["to"], n["on"]) for n in done["log"]] == [
        ("open", "agreed", "2025-03-01"),
        (None, "2025-04-01", "2025-03-01"),  # the report-back date set: a "due" entry
        ("agreed", "in_progress", "2025-03-10"),
        ("in_progress", "resolved", "2025-03-30"),
    ]


def test_provider_sees_and_updates_only_its_issues(app: Flask, client: FlaskClient):
    coord = user_token(app, "cora", group="northfield")
    mine = agree(client, coord)
    theirs = agree(client, coord, category="litter", owner="Council")
    police = provider_token(app, "pc-plum", "Police")
    listed = client.get("/api/v1/provider/issues", headers=bearer(police)).get_json()["issues"]
    assert [i["id"] for i in listed] == [mine["id"]]
    r = client.post(
        f"/api/v1/issues/{mine['id']}/actions",
        json={"text": "Patrols added"},
        headers=bearer(police),
    )
    assert r.status_code == 201
    r = client.post(
        f"/api/v1/issues/{mine['id']}/status",
        json={"status": "in_progress", "note": "On it"},
        headers=bearer(police),
    )
    assert r.status_code == 200
    r = client.post(
        f"/api/v1/issues/{mine['id']}/status",
        json={"status": "closed", "note": "Bored"},
        headers=bearer(police),
    )
    assert r.status_code == 403
    for path in ("status", "actions"):
        r = client.post(
            f"/api/v1/issues/{theirs['id']}/{path}",
            json={"status": "in_progress", "note": "x", "text": "x"},
            headers=bearer(police),
        )
        assert r.status_code in (400, 404)
    r = client.post(
        f"/api/v1/issues/{theirs['id']}/actions", json={"text": "x"}, headers=bearer(police)
    )
    assert r.status_code == 404
    assert client.get("/api/v1/areas/abbey/priorities", headers=bearer(police)).status_code == 403


def test_public_statement_reaches_collectors_through_pull(app, client, device):
    token = user_token(app, "cora", group="northfield")
    issue = agree(client, token)
    before = client.get("/api/v1/sync/pull", headers=bearer(device)).get_json()["cursor"]
    text = "You said speeding; police ran 12 speed checks."
    r = client.put(
        f"/api/v1/issues/{issue['id']}/public", json={"text": text}, headers=bearer(token)
    )
    assert r.status_code == 200
    pulled = client.get(
        "/api/v1/sync/pull", query_string={"since": before}, headers=bearer(device)
    ).get_json()
    assert [(i["id"], i["public_text"]) for i in pulled["issues"]] == [(issue["id"], text)]


@pytest.mark.parametrize(
    ("status", "due", "last", "today", "overdue"),
    [
        ("agreed", date(2025, 4, 1), None, date(2025, 4, 2), True),
        ("agreed", date(2025, 4, 1), None, date(2025, 4, 1), False),
        ("in_progress", date(2025, 4, 1), date(2025, 3, 1), date(2025, 4, 2), True),
        ("in_progress", date(2025, 4, 1), date(2025, 3, 20), date(2025, 4, 2), False),
        ("resolved", date(2025, 4, 1), None, date(2025, 5, 1), False),
        ("agreed", None, None, date(2025, 5, 1), False),
    ],
)
def test_overdue_rule(status, due, last, today, overdue) -> None:
    assert is_overdue(status, due, last, today) is overdue
