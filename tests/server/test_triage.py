"""Triage: free text waits, a coordinator maps or dismisses it, identical text follows."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from server.catalogue.surveys import add_survey
from server.db import db
from server.issues.aggregates import rebuild
from tests.factories import push_accepted
from tests.server.conftest import bearer, user_token

FULL_SURVEY: dict[str, Any] = {
    "id": "full-safety",
    "version": 1,
    "title": {"en": "Full"},
    "purpose": {"en": "Test"},
    "languages": ["en"],
    "methods": ["doorstep", "event", "kiosk", "meeting"],
    "questions": [
        {
            "id": "concerns",
            "type": "multiple_choice",
            "label": {"en": "Problems?"},
            "choices": [
                {"value": "speeding", "label": {"en": "Speeding"}, "category": "speeding"},
                {"value": "other", "label": {"en": "Other"}},
            ],
        },
        {
            "id": "severity",
            "type": "scale",
            "min": 1,
            "max": 5,
            "severity_for": "concerns",
            "label": {"en": "How bad?"},
        },
        {
            "id": "other_text",
            "type": "text",
            "issue_text": True,
            "label": {"en": "What?"},
            "relevant": {"question": "concerns", "includes": "other"},
        },
        {"id": "recontact", "type": "consent", "label": {"en": "May we call you?"}},
        {
            "id": "contact_name",
            "type": "text",
            "personal": True,
            "label": {"en": "Name"},
            "relevant": {"question": "recontact", "equals": True},
        },
        {
            "id": "age",
            "type": "single_choice",
            "x-equality": True,
            "label": {"en": "Age"},
            "choices": [
                {"value": "16-24", "label": {"en": "16-24"}},
                {"value": "25-64", "label": {"en": "25-64"}},
                {"value": "65-plus", "label": {"en": "65+"}},
            ],
        },
    ],
}


def add_full_survey(app: Flask) -> None:
    with app.app_context():
        add_survey(db.session, dict(FULL_SURVEY))
        db.session.commit()


def full(text: str | None = None, area: str = "abbey", day: str = "2025-02-20", **kw: Any):
    answers: dict[str, Any] = {"concerns": ["other"] if text else ["speeding"], "severity": 4}
    if text:
        answers["other_text"] = text
    answers.update(kw.pop("answers", {}))
    return {
        "id": str(uuid.uuid4()),
        "survey_id": "full-safety",
        "survey_version": 1,
        "area": area,
        "method": kw.pop("method", "doorstep"),
        "collected_at": f"{day}T10:00:00+00:00",
        "answers": answers,
        **kw,
    }


def mentions(client: FlaskClient, token: str, category: str, area: str = "abbey") -> int:
    q = {"since": "2025-02-01", "until": "2025-02-28"}
    doc = client.get(f"/api/v1/areas/{area}/priorities", query_string=q, headers=bearer(token))
    return next(
        (p["mentions"] for p in doc.get_json()["priorities"] if p["category"] == category), 0
    )


def test_identical_text_waits_once_scrubbed(app: Flask, client: FlaskClient, device: str):
    add_full_survey(app)
    push_accepted(
        client,
        device,
        [
            full("Drug dealing by the shop, ring 07700 900123"),
            full("drug dealing by the shop, ring 07700 900123!"),
            full("Broken swings"),
        ],
    )
    token = user_token(app, "cora", group="northfield")
    got = client.get("/api/v1/triage", headers=bearer(token)).get_json()
    assert got["pending"] == 3
    first = got["items"][0]
    assert first["count"] == 2 and first["text"] == "Drug dealing by the shop, ring [phone]"
    assert "07700" not in str(got)


def test_mapping_counts_and_is_reused_for_identical_text(app, client, device):
    add_full_survey(app)
    push_accepted(
        client, device, [full("Drug dealing by the shop"), full("DRUG dealing by the shop.")]
    )
    token = user_token(app, "cora", group="northfield")
    item = client.get("/api/v1/triage", headers=bearer(token)).get_json()["items"][0]
    r = client.post(
        f"/api/v1/triage/{item['id']}", json={"category": "drugs"}, headers=bearer(token)
    )
    assert r.status_code == 200 and r.get_json()["settled"] == 2
    assert mentions(client, token, "drugs") == 2
    push_accepted(client, device, [full("drug dealing  by the shop")])
    assert mentions(client, token, "drugs") == 3
    assert client.get("/api/v1/triage", headers=bearer(token)).get_json()["pending"] == 0
    q = {"since": "2025-02-01", "until": "2025-02-28"}
    doc = client.get("/api/v1/areas/abbey/priorities", query_string=q, headers=bearer(token))
    drugs = next(p for p in doc.get_json()["priorities"] if p["category"] == "drugs")
    assert len(drugs["quotes"]) == 1  # one quote per distinct (normalised) text
    assert drugs["mean_severity"] == 4.0  # the severity of the question the text hangs on


def test_dismissed_text_never_counts_and_later_copies_are_dismissed(app, client, device):
    add_full_survey(app)
    push_accepted(client, device, [full("Nothing really")])
    token = user_token(app, "cora", group="northfield")
    item = client.get("/api/v1/triage", headers=bearer(token)).get_json()["items"][0]
    r = client.post(f"/api/v1/triage/{item['id']}", json={"category": None}, headers=bearer(token))
    assert r.status_code == 200
    push_accepted(client, device, [full("nothing, really")])
    assert client.get("/api/v1/triage", headers=bearer(token)).get_json()["pending"] == 0
    dismissed = client.get(
        "/api/v1/triage", query_string={"status": "dismissed"}, headers=bearer(token)
    ).get_json()
    assert dismissed["items"][0]["count"] == 2


def test_bad_decisions_are_refused(app: Flask, client: FlaskClient, device: str):
    add_full_survey(app)
    push_accepted(client, device, [full("Broken swings")])
    token = user_token(app, "cora", group="northfield")
    item = client.get("/api/v1/triage", headers=bearer(token)).get_json()["items"][0]
    url = f"/api/v1/triage/{item['id']}"
    for body in ({"category": "not-a-category"}, {}, {"category": 7}, ["drugs"]):
        r = client.post(url, json=body, headers=bearer(token))
        assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid_input"
    other = user_token(app, "rita", group="riverside")
    r = client.post(url, json={"category": "drugs"}, headers=bearer(other))
    assert r.status_code == 404


def test_a_decision_is_its_groups_and_never_settles_another_groups_text(app, client, device):
    add_full_survey(app)
    push_accepted(
        client,
        device,
        [full("Drug dealing by the shop"), full("Drug dealing by the shop", "elm-park")],
    )
    cora = user_token(app, "cora", group="northfield")
    rita = user_token(app, "rita", group="riverside")
    item = client.get("/api/v1/triage", headers=bearer(cora)).get_json()["items"][0]
    r = client.post(
        f"/api/v1/triage/{item['id']}", json={"category": "drugs"}, headers=bearer(cora)
    )
    assert r.get_json()["settled"] == 1  # Northfield's text only
    push_accepted(client, device, [full("drug dealing by the shop", "elm-park")])
    # Riverside's texts still wait for Riverside, and count nowhere until it decides
    waiting = client.get("/api/v1/triage", headers=bearer(rita)).get_json()
    assert waiting["pending"] == 2 and waiting["items"][0]["count"] == 2
    assert mentions(client, rita, "drugs", "elm-park") == 0
    theirs = waiting["items"][0]["id"]
    client.post(f"/api/v1/triage/{theirs}", json={"category": None}, headers=bearer(rita))
    # each group's decision stands for its own areas, also after a rebuild from the rules
    with app.app_context():
        rebuild(db.session)
        db.session.commit()
    assert mentions(client, cora, "drugs") == 1
    assert mentions(client, rita, "drugs", "elm-park") == 0
    push_accepted(
        client,
        device,
        [full("Drug dealing by the shop."), full("Drug dealing by the shop.", "elm-park")],
    )
    assert mentions(client, cora, "drugs") == 2
    assert client.get("/api/v1/triage", headers=bearer(rita)).get_json()["pending"] == 0
