"""Lists show only the caller's groups; the responses export pages without personal data.

Every route called as every role (a new route must be classified): tests/security/test_roles.py.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.db import db
from server.models.merge import TriageItem
from tests.factories import push_accepted
from tests.server.conftest import bearer, user_token
from tests.server.test_triage import add_full_survey, full


@pytest.fixture
def records(app: Flask, client: FlaskClient, device: str) -> dict[str, int]:
    add_full_survey(app)
    push_accepted(client, device, [full("Drug dealing"), full(area="elm-park")])
    token = user_token(app, "cora", group="northfield")
    issue = client.post(
        "/api/v1/areas/abbey/issues",
        headers=bearer(token),
        json={"category": "speeding", "owner": "Police", "report_back": "2025-04-01"},
    ).get_json()
    with app.app_context():
        item = db.session.query(TriageItem).filter_by(area="abbey").one().id
    return {"issue": issue["id"], "item": item}


def test_lists_show_only_the_callers_groups(app: Flask, client: FlaskClient, records) -> None:
    other = user_token(app, "rita", group="riverside")
    got = client.get("/api/v1/responses", headers=bearer(other)).get_json()["responses"]
    assert {r["area"] for r in got} == {"elm-park"}
    assert client.get("/api/v1/triage", headers=bearer(other)).get_json()["pending"] == 0


def test_responses_page_oldest_first_without_personal_data(app, client, device) -> None:
    add_full_survey(app)
    items = [
        full(answers={"recontact": True}, consent=True, personal={"contact_name": "Mavis Quickly"})
    ] + [full() for _ in range(4)]
    push_accepted(client, device, items)
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
