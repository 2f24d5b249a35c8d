"""The reach ledger: door outcomes and sessions from collectors, equality answers in aggregate."""

from __future__ import annotations

import uuid

from flask import Flask
from flask.testing import FlaskClient

from tests.factories import push_accepted
from tests.server.conftest import bearer, device_token, user_token
from tests.server.test_triage import add_full_survey, full


def activity() -> dict:
    sid = str(uuid.uuid4())
    doors = [
        {
            "id": str(uuid.uuid4()),
            "session_id": sid,
            "area": "abbey",
            "street": "Abbey Road",
            "house": "12",
            "outcome": outcome,
            "response_id": None,
            "at": "2025-02-20T10:05:00+00:00",
        }
        for outcome in ("no_answer", "no_answer", "refused", "come_back", "surveyed", "surveyed")
    ]
    session = {
        "id": sid,
        "volunteer": "v1",
        "area": "abbey",
        "mode": "doorstep",
        "started_at": "2025-02-20T10:00:00+00:00",
        "ended_at": "2025-02-20T11:30:00+00:00",
    }
    return {"sessions": [session], "doors": doors}


def test_activity_is_stored_once_and_feeds_the_ledger(app: Flask, client: FlaskClient, device):
    add_full_survey(app)
    push_accepted(client, device, [full(), full()])
    body = activity()
    for _ in range(2):  # a retry changes nothing
        r = client.post("/api/v1/sync/activity", json=body, headers=bearer(device))
        assert r.status_code == 200
        assert len(r.get_json()["doors"]) == 6 and len(r.get_json()["sessions"]) == 1
    token = user_token(app, "cora", group="northfield")
    got = client.get("/api/v1/areas/abbey/reach", headers=bearer(token)).get_json()
    (row,) = got["methods"]
    assert row == {
        "area": "abbey",
        "method": "doorstep",
        "doors": 6,
        "contacts": 4,
        "surveys": 2,
        "contact_rate": 0.6667,
        "volunteer_hours": 1.5,
    }
    assert "house" not in str(got) and "Abbey Road" not in str(got)


def test_equality_answers_are_counted_and_small_counts_hidden(app, client: FlaskClient, device):
    add_full_survey(app)
    push_accepted(
        client,
        device,
        [full(answers={"age": "65-plus"}) for _ in range(5)] + [full(answers={"age": "16-24"})],
    )
    token = user_token(app, "cora", group="northfield")
    got = client.get("/api/v1/areas/abbey/reach", headers=bearer(token)).get_json()["reached"]
    assert got == [
        {"area": "abbey", "question": "age", "value": "16-24", "respondents": "fewer than 5"},
        {"area": "abbey", "question": "age", "value": "65-plus", "respondents": 5},
    ]


def test_activity_is_validated_and_scoped(app: Flask, client: FlaskClient) -> None:
    _, riverside_device = device_token(app, group="riverside")
    r = client.post("/api/v1/sync/activity", json=activity(), headers=bearer(riverside_device))
    assert r.status_code == 200 and r.get_json() == {"sessions": [], "doors": []}
    bad = activity()
    bad["doors"][0]["outcome"] = "bribed"
    r = client.post("/api/v1/sync/activity", json=bad, headers=bearer(riverside_device))
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid_input"
    assert client.post("/api/v1/sync/activity", json=activity()).status_code == 401
