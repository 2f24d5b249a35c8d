"""Shared data for the dashboard tests: a survey with free text, users with passwords, sign-in.

The helpers here are imported by the other ``test_web_*`` modules and the browser tests.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from server.accounts.users import create_user
from server.catalogue.surveys import add_survey
from server.db import db
from tests.server.conftest import TEST_SURVEY, bearer, device_token, make_response

PASSWORD = "correct horse battery"
HOSTILE = "<script>alert(1)</script>"
FREE_TEXT = {
    "id": "other_concern",
    "type": "text",
    "issue_text": True,
    "max_length": 500,
    "relevant": {"question": "concerns", "includes": "other"},
    "label": {"en": "What else?"},
}
# The server tests' survey plus a free-text question whose answers go to triage.
WEB_SURVEY: dict[str, Any] = {
    **TEST_SURVEY,
    "id": "web-safety",
    "questions": [*TEST_SURVEY["questions"], FREE_TEXT],
}
USERS = (
    ("ada", "admin", None, None),
    ("cora", "coordinator", "northfield", None),
    ("rita", "coordinator", "riverside", None),
    ("pc", "provider", None, "Police"),
)


def answer(area: str, concerns: list[str], text: str | None = None, **kw: Any) -> dict[str, Any]:
    """Return a wire response to the web survey (free text when ``other`` is chosen)."""
    answers: dict[str, Any] = {"concerns": concerns, "severity": 4}
    if text is not None:
        answers["other_concern"] = text
    return make_response(
        survey_id="web-safety",
        area=area,
        answers=answers,
        collected_at=kw.pop("collected_at", "2025-02-20T10:00:00+00:00"),
        **kw,
    )


# Abbey: speeding is the top issue (3), then litter (1); two comments wait for triage.
# Elm Park (riverside) has its own comment that Northfield must never see.
RESPONSES = [
    answer("abbey", ["speeding"]),
    answer("abbey", ["speeding", "litter"]),
    answer("abbey", ["speeding"], method="meeting"),
    answer("abbey", ["other"], "Broken glass by the swings"),
    answer("abbey", ["other"], HOSTILE),
    answer("elm-park", ["litter", "other"], "Riverside secret comment"),
]


def seed(app: Flask, client: FlaskClient) -> str:
    """Add the survey, the users and the responses; return the device token that pushed them."""
    with app.app_context():
        add_survey(db.session, dict(WEB_SURVEY))
        for name, role, group, provider in USERS:
            create_user(
                db.session,
                name,
                role,
                groups=[group] if group else None,
                password=PASSWORD,
                provider=provider,
            )
        db.session.commit()
    _, token = device_token(app)
    resp = client.post("/api/v1/sync/push", json={"responses": RESPONSES}, headers=bearer(token))
    assert {r["status"] for r in resp.get_json()["results"]} == {"accepted"}
    return token


def csrf_of(html: str) -> str:
    """Return the CSRF token of the first form in a page."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(client: FlaskClient, name: str, password: str = PASSWORD) -> Any:
    """Sign in through the form, as a browser would; return the POST's response."""
    page = client.get("/dashboard/sign-in").get_data(as_text=True)
    return client.post(
        "/dashboard/sign-in",
        data={"username": name, "password": password, "csrf_token": csrf_of(page)},
    )


def post_form(client: FlaskClient, page_url: str, action: str, data: dict[str, str]) -> Any:
    """Post ``data`` to ``action`` with the CSRF token read from ``page_url``."""
    token = csrf_of(client.get(page_url).get_data(as_text=True))
    return client.post(action, data={**data, "csrf_token": token})


def test_seeded_area_ranks_speeding_first(app: Flask, client: FlaskClient):
    seed(app, client)
    assert sign_in(client, "cora").status_code == 302
    html = client.get("/dashboard/areas/abbey").get_data(as_text=True)
    assert html.index("Speeding") < html.index("Litter")
    assert 'data-mentions="speeding">3<' in html
