"""Every merge/meetings/reach route answers 404 to a coordinator of another group."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.db import db
from server.models.merge import TriageItem
from tests.server.conftest import bearer, user_token
from tests.server.test_triage import add_full_survey, full, push

# (method, url, body): {issue} and {item} are filled with northfield's own records
ROUTES = [
    ("GET", "/api/v1/areas/abbey/priorities", None),
    ("GET", "/api/v1/areas/abbey/issues", None),
    (
        "POST",
        "/api/v1/areas/abbey/issues",
        {"category": "litter", "owner": "Council", "report_back": "2025-05-01"},
    ),
    ("GET", "/api/v1/areas/abbey/reach", None),
    ("GET", "/api/v1/responses?area=abbey", None),
    ("GET", "/api/v1/triage?area=abbey", None),
    ("POST", "/api/v1/triage/{item}", {"category": "drugs"}),
    ("GET", "/api/v1/groups/northfield/meetings", None),
    ("PUT", "/api/v1/groups/northfield/meetings", {"date": "2025-03-01"}),
    ("GET", "/api/v1/groups/northfield/agenda", None),
    ("POST", "/api/v1/issues/{issue}/status", {"status": "in_progress", "note": "x"}),
    ("POST", "/api/v1/issues/{issue}/actions", {"text": "x"}),
    ("PUT", "/api/v1/issues/{issue}/public", {"text": "x"}),
]
UNSCOPED = {"/api/v1/provider/issues", "/api/v1/sync/activity", "/areas/<code>/public"}


@pytest.fixture
def records(app: Flask, client: FlaskClient, device: str) -> dict[str, int]:
    add_full_survey(app)
    push(client, device, [full("Drug dealing"), full(area="elm-park")])
    token = user_token(app, "cora", group="northfield")
    issue = client.post(
        "/api/v1/areas/abbey/issues",
        headers=bearer(token),
        json={"category": "speeding", "owner": "Police", "report_back": "2025-04-01"},
    ).get_json()
    with app.app_context():
        item = db.session.query(TriageItem).filter_by(area="abbey").one().id
    return {"issue": issue["id"], "item": item}


@pytest.mark.parametrize(("method", "url", "body"), ROUTES)
def test_another_groups_coordinator_gets_404(app, client: FlaskClient, records, method, url, body):
    other = user_token(app, "rita", group="riverside")
    r = client.open(url.format(**records), method=method, json=body, headers=bearer(other))
    assert r.status_code == 404, (url, r.get_json())
    assert r.get_json()["error"]["code"] == "not_found"


def test_lists_show_only_the_callers_groups(app: Flask, client: FlaskClient, records) -> None:
    other = user_token(app, "rita", group="riverside")
    got = client.get("/api/v1/responses", headers=bearer(other)).get_json()["responses"]
    assert {r["area"] for r in got} == {"elm-park"}
    assert client.get("/api/v1/triage", headers=bearer(other)).get_json()["pending"] == 0


def test_every_route_is_checked_here(app: Flask) -> None:
    mine = {"priorities", "responses", "triage", "meetings", "reach", "public"}
    rules = {r.rule for r in app.url_map.iter_rules() if r.endpoint.split(".")[0] in mine}
    listed = {
        u.split("?")[0]
        .replace("{item}", "<int:item_id>")
        .replace("{issue}", "<int:issue_id>")
        .replace("abbey", "<code>")
        .replace("northfield", "<group>")
        for _, u, _ in ROUTES
    }
    assert rules - UNSCOPED == listed


def test_responses_page_oldest_first_without_personal_data(app, client, device) -> None:
    add_full_survey(app)
    items = [
        full(answers={"recontact": True}, consent=True, personal={"contact_name": "Mavis Quickly"})
    ] + [full() for _ in range(4)]
    push(client, device, items)
    token = user_token(app, "cora", group="northfield")
    seen, cursor = [], None
    while True:
        q = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/responses", query_string=q, headers=bearer(token)).get_json()
        seen += [r["id"] for r in page["responses"]]
        cursor = page["next"]
        if not cursor:
            break
    assert sorted(seen) == sorted(i["id"] for i in items) and len(seen) == 5
    csv_text = client.get("/api/v1/responses", headers={**bearer(token), "Accept": "text/csv"})
    assert csv_text.mimetype == "text/csv"
    body = csv_text.get_data(as_text=True)
    assert body.startswith("id,survey_id") and "Mavis" not in body
    bad = client.get(
        "/api/v1/responses", query_string={"cursor": "nonsense"}, headers=bearer(token)
    )
    assert bad.status_code == 400
