"""The agenda as a meeting paper: today's results, a header, the providers' item, names."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from server.catalogue.surveys import add_survey
from server.cli import main
from server.db import db
from tests.server.conftest import TEST_SURVEY, bearer, make_response, user_token

AGENDA = "/api/v1/groups/northfield/agenda"


def _agenda(client: FlaskClient, token: str, **query: str) -> Any:
    r = client.get(AGENDA, query_string=query, headers=bearer(token))
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json() if query.get("format", "json") == "json" else r.get_data(as_text=True)


def test_results_include_the_meeting_day_itself(app: Flask, client: FlaskClient, device: str):
    # the clock says 1 March 2025, 12:00; this morning's door-knocking counts tonight
    token = user_token(app, "cora", group="northfield")
    client.post(
        "/api/v1/sync/push",
        json={"responses": [make_response(collected_at="2025-03-01T10:00:00+00:00")]},
        headers=bearer(device),
    )
    today = _agenda(client, token)
    assert today["until"] == "2025-03-01"
    assert today["areas"][0]["respondents"] == 1
    md = _agenda(client, token, format="md")
    abbey = md[md.index("### Abbey") : md.index("### Bell Green")]
    assert "| Speeding | 1 |" in abbey


def test_a_future_meeting_shows_results_up_to_now(app: Flask, client: FlaskClient):
    token = user_token(app, "cora", group="northfield")
    later = _agenda(client, token, date="2025-03-11")
    assert later["date"] == "2025-03-11" and later["until"] == "2025-03-01"


def test_header_shows_time_venue_and_chair_escaped(app: Flask, client: FlaskClient):
    token = user_token(app, "cora", group="northfield")
    r = client.put(
        "/api/v1/groups/northfield/meetings",
        headers=bearer(token),
        json={"date": "2025-03-04", "time": "19:00", "venue": "St <Mark's> hall", "chair": "Ann"},
    )
    assert r.status_code == 200 and r.get_json()["venue"] == "St <Mark's> hall"
    md = _agenda(client, token, date="2025-03-04", format="md")
    assert "- Date: Tuesday 4 March 2025" in md and "- Time: 19:00" in md
    assert "- Chair: Ann" in md
    html = _agenda(client, token, date="2025-03-04", format="html")
    assert "St &lt;Mark&#39;s&gt; hall" in html and "<Mark" not in html
    bad = client.put(
        "/api/v1/groups/northfield/meetings",
        headers=bearer(token),
        json={"date": "2025-03-04", "time": "7pm"},
    )
    assert bad.status_code == 400 and "time" in bad.get_json()["error"]["details"]


def test_providers_item_lists_each_owners_open_priorities(app: Flask, client: FlaskClient):
    token = user_token(app, "cora", group="northfield")
    for area, category, owner in (
        ("abbey", "speeding", "Police"),
        ("bell-green", "litter", "Council"),
        ("abbey", "noise", "Police"),
    ):
        r = client.post(
            f"/api/v1/areas/{area}/issues",
            headers=bearer(token),
            json={
                "category": category,
                "owner": owner,
                "date": "2025-02-01",
                "report_back": "2025-04-01",
            },
        )
        assert r.status_code == 201
    agenda = _agenda(client, token)
    updates = {u["owner"]: [i["category"] for i in u["items"]] for u in agenda["updates"]}
    assert updates == {"Council": ["litter"], "Police": ["noise", "speeding"]}
    md = _agenda(client, token, format="md")
    section = md[md.index("## 4. Updates from the police and providers") : md.index("## 5.")]
    assert "- Police: Noise in Abbey" in section and "- Council: Litter" in section


PAPER_SURVEY: dict[str, Any] = {
    **TEST_SURVEY,
    "id": "test-paper",
    "questions": [
        *TEST_SURVEY["questions"],
        {"id": "other_concern", "type": "text", "issue_text": True, "label": {"en": "Else?"}},
        {
            "id": "age_band",
            "type": "single_choice",
            "x-equality": True,
            "label": {"en": "Which age group are you in? (optional)"},
            "choices": [
                {"value": "16-24", "label": {"en": "16 to 24"}},
                {"value": "25-64", "label": {"en": "25 to 64"}},
                {"value": "65-plus", "label": {"en": "65 or over"}},
                {"value": "prefer-not-to-say", "label": {"en": "Prefer not to say"}},
            ],
        },
    ],
}


def _paper_survey(app: Flask) -> None:
    with app.app_context():
        add_survey(db.session, dict(PAPER_SURVEY))
        db.session.commit()


def test_under_represented_groups_are_named_in_words(app: Flask, client: FlaskClient, device):
    _paper_survey(app)
    token = user_token(app, "cora", group="northfield")
    items = [
        make_response(survey_id="test-paper", answers={"concerns": ["speeding"], "age_band": a})
        for a in ["25-64"] * 6 + ["65-plus"] * 2
    ]
    client.post("/api/v1/sync/push", json={"responses": items}, headers=bearer(device))
    thin = _agenda(client, token)["areas"][0]["thin"]
    assert "Age group: no one answered “16 to 24”" in thin
    assert "Age group: fewer than 5 answered “65 or over”" in thin
    assert not any("age_band" in t or "65-plus" in t or "Prefer" in t for t in thin)


def test_concerns_say_how_many_people_said_them(app: Flask, client: FlaskClient, device: str):
    _paper_survey(app)
    token = user_token(app, "cora", group="northfield")
    said = {"concerns": ["other"], "other_concern": "Cars race at night"}
    items = [make_response(survey_id="test-paper", answers=said) for _ in range(3)]
    client.post("/api/v1/sync/push", json={"responses": items}, headers=bearer(device))
    queue = client.get("/api/v1/triage", headers=bearer(token)).get_json()
    r = client.post(
        f"/api/v1/triage/{queue['items'][0]['id']}",
        headers=bearer(token),
        json={"category": "speeding"},
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    md = _agenda(client, token, format="md")
    assert "“Cars race at night” (said by 3 people)" in md


def test_cli_agenda_prints_one_json_object(app: Flask, runner):
    for args in (["--format", "json"], ["--json"]):
        out = runner.invoke(main, ["server", "agenda", "--group", "northfield", *args])
        assert out.exit_code == 0, out.output
        doc = json.loads(out.output)
        assert doc["group"] == "northfield" and len(doc["sections"]) == 9
