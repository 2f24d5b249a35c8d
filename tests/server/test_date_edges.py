"""Dates and cursors at the edges (issue 13): refused cleanly when sent, survived when stored.

Every date or cursor that comes in is checked against the one accepted range
(``survey_schemas.dates``) and refused with the one error body; every page, agenda format and
API list still answers when the database holds a date the edge would now refuse (rows from
before the check, or written by hand).
"""

from __future__ import annotations

import base64
import json
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.accounts.users import create_user
from server.db import db
from server.meetings.accountability import is_overdue
from server.models import Group, Issue
from server.models.meetings import IssueNote, IssuePlan, Meeting
from survey_schemas.dates import EARLIEST, LATEST
from tests.server.conftest import bearer, device_token, make_response
from tests.server.test_web_data import csrf_of, seed, sign_in

ODD_DAYS = ("0001-01-01", "0001-01-02", "1999-12-31", "2100-01-01", "9999-12-31")


def one_error_body(r, status: int = 400) -> dict:
    assert r.status_code == status, r.get_data(as_text=True)[:300]
    body = r.get_json()
    assert set(body) == {"error"} and {"code", "message", "details"} <= set(body["error"])
    return body["error"]


@pytest.fixture
def seeded(app: Flask, client: FlaskClient) -> FlaskClient:
    seed(app, client)
    return client


def token_of(app: Flask, name: str) -> str:
    """Return an API token of a new user like the seeded ``name`` (a coordinator or provider)."""
    with app.app_context():
        if name == "pc":
            _, token = create_user(db.session, "pc-api", "provider", provider="Police")
        else:
            _, token = create_user(db.session, f"{name}-api", "coordinator", groups=["northfield"])
        db.session.commit()
    return token


def test_the_range_is_this_century():
    assert (EARLIEST, LATEST) == (date(2000, 1, 1), date(2099, 12, 31))


def test_overdue_survives_any_date_a_database_holds():
    for due in (date.min, date(1, 1, 2), date.max):
        for last in (None, date.min, date.max):
            assert is_overdue("agreed", due, last, date(2025, 3, 1)) in (True, False)
    assert is_overdue("agreed", date(1, 1, 2), None, date(2025, 3, 1)) is True
    assert is_overdue("agreed", date(2025, 2, 1), date(2025, 1, 1), date(2025, 3, 1)) is True
    assert is_overdue("agreed", date(2025, 2, 1), date(2025, 1, 20), date(2025, 3, 1)) is False


@pytest.mark.parametrize("day", ODD_DAYS)
def test_api_refuses_dates_outside_the_range(app: Flask, seeded: FlaskClient, day: str):
    token = token_of(app, "cora")
    h = bearer(token)
    agree = {"category": "speeding", "owner": "Police", "date": "2025-03-01"}
    bad = [
        ("post", "/api/v1/areas/abbey/issues", {**agree, "report_back": day}),
        ("post", "/api/v1/areas/abbey/issues", {**agree, "report_back": "2025-04-01", "date": day}),
        ("put", "/api/v1/groups/northfield/meetings", {"date": day}),
        ("put", "/api/v1/groups/northfield/meetings", {"date": "2025-03-01", "next_date": day}),
    ]
    for method, url, body in bad:
        one_error_body(getattr(seeded, method)(url, json=body, headers=h))
    issue = seeded.post(
        "/api/v1/areas/abbey/issues", json={**agree, "report_back": "2025-04-01"}, headers=h
    ).get_json()
    url = f"/api/v1/issues/{issue['id']}"
    status = {"status": "in_progress", "note": "x"}
    for sent in ({**status, "date": day}, {**status, "report_back": day}):
        one_error_body(seeded.post(f"{url}/status", json=sent, headers=h))
    one_error_body(seeded.post(f"{url}/actions", json={"text": "x", "date": day}, headers=h))
    one_error_body(seeded.get(f"/api/v1/groups/northfield/agenda?date={day}", headers=h))
    one_error_body(seeded.get(f"/api/v1/areas/abbey/priorities?since={day}", headers=h))
    # nothing was stored: the only plan is the one agreed in range (its agreement, its date set)
    listed = seeded.get("/api/v1/areas/abbey/issues", headers=h).get_json()["issues"]
    logged = [(i["report_back"], sorted(e["kind"] for e in i["log"])) for i in listed]
    assert logged == [("2025-04-01", ["due", "status"])]
    meetings = seeded.get("/api/v1/groups/northfield/meetings", headers=h).get_json()
    assert meetings["meetings"] == []


def cursor(at: object, rid: object = "x") -> str:
    raw = json.dumps([at, rid]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


ODD_SINCE = (
    "0001-01-01",
    "9999-12-31",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-12:00",
    "2025-13-01",
    "2025-03-01T10:00:00+25:00",
    "\n",
    "2025-03-01\x00",
)
ODD_CURSORS = (
    cursor("0001-01-01T00:00:00+14:00"),
    cursor("9999-12-31T23:59:59-12:00"),
    cursor("2025-03-01T10:00:00"),
    cursor("2025-03-01T10:00:00+00:00", None),
    cursor("2025-03-01T10:00:00+00:00", ["a"]),
    cursor(1, "x"),
    cursor(None, "x"),
    base64.urlsafe_b64encode(b'{"a": 1}').decode(),
    base64.urlsafe_b64encode(b"[1, 2, 3]").decode(),
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    "!!!",
    "a",
)


@pytest.mark.parametrize("since", ODD_SINCE)
def test_responses_refuses_odd_since(app: Flask, seeded: FlaskClient, since: str):
    h = bearer(token_of(app, "cora"))
    one_error_body(seeded.get("/api/v1/responses", query_string={"since": since}, headers=h))


@pytest.mark.parametrize("value", ODD_CURSORS)
def test_responses_refuses_odd_cursors(app: Flask, seeded: FlaskClient, value: str):
    h = bearer(token_of(app, "cora"))
    one_error_body(seeded.get("/api/v1/responses", query_string={"cursor": value}, headers=h))


def test_responses_cursor_still_pages(app: Flask, seeded: FlaskClient):
    h = bearer(token_of(app, "cora"))
    first = seeded.get("/api/v1/responses?limit=2&since=2025-01-01", headers=h).get_json()
    rest = seeded.get(f"/api/v1/responses?limit=100&cursor={first['next']}", headers=h)
    assert (
        rest.status_code == 200 and len(first["responses"]) + len(rest.get_json()["responses"]) == 5
    )


@pytest.mark.parametrize(
    "when", ["0001-01-01T00:00:00+00:00", "1999-12-31T23:00:00+00:00", "9999-12-31T23:59:59+00:00"]
)
def test_push_refuses_responses_dated_outside_the_range(app: Flask, client: FlaskClient, when):
    _, token = device_token(app)
    pushed = client.post(
        "/api/v1/sync/push",
        json={"responses": [make_response(collected_at=when)]},
        headers=bearer(token),
    )
    assert pushed.status_code == 200
    [result] = pushed.get_json()["results"]
    assert result["status"] == "rejected" and "collected_at" in result["errors"]


def test_activity_refuses_times_outside_the_range(app: Flask, client: FlaskClient):
    _, token = device_token(app)
    door = {
        "id": "0b0e4d8c-9a8e-4a51-a4a2-0d1b1f1e1a01",
        "area": "abbey",
        "outcome": "surveyed",
        "at": "0001-01-01T00:00:00+00:00",
    }
    r = client.post("/api/v1/sync/activity", json={"doors": [door]}, headers=bearer(token))
    one_error_body(r)


@pytest.mark.parametrize("day", ODD_DAYS)
def test_dashboard_forms_refuse_dates_outside_the_range(seeded: FlaskClient, day: str):
    sign_in(seeded, "cora")
    page = "/dashboard/groups/northfield/meetings"
    token = csrf_of(seeded.get(page).get_data(as_text=True))
    r = seeded.post(page, data={"date": day, "csrf_token": token})
    assert r.status_code == 400
    issue = "/dashboard/areas/abbey/issues/speeding"
    token = csrf_of(seeded.get(issue).get_data(as_text=True))
    r = seeded.post(
        f"{issue}/agree",
        data={"owner": "Police", "report_back": day, "csrf_token": token},
    )
    assert r.status_code == 400
    assert seeded.get(f"/dashboard/groups/northfield/meetings/{day}").status_code == 404
    assert seeded.get(f"/dashboard/groups/northfield/agenda?date={day}").status_code == 200


def store_extremes(app: Flask) -> int:
    """Write rows the edge now refuses but the database holds; return the issue's id."""
    with app.app_context():
        group = db.session.scalar(db.select(Group).where(Group.code == "northfield"))
        issue = Issue(area="abbey", category="speeding", status="agreed", owner="Police")
        db.session.add(issue)
        db.session.flush()
        db.session.add(IssuePlan(issue_id=issue.id, agreed_on=date.min, report_back=date(1, 1, 2)))
        for on in (date.min, date.max):
            db.session.add(IssueNote(issue_id=issue.id, on=on, kind="action", text="x"))
        other = Issue(area="abbey", category="litter", status="in_progress", owner="Council")
        db.session.add(other)
        db.session.flush()
        db.session.add(IssuePlan(issue_id=other.id, agreed_on=date.max, report_back=date.max))
        for on in (date.min, date.max, date(2025, 2, 28)):
            db.session.add(
                Meeting(group_id=group.id, date=on, apologies=[], aob=[], next_date=date.max)
            )
        db.session.commit()
        return issue.id


def test_every_page_survives_dates_at_the_ends_of_the_calendar(app: Flask, seeded: FlaskClient):
    issue_id = store_extremes(app)
    h = bearer(token_of(app, "cora"))
    police = bearer(token_of(app, "pc"))
    api = [
        "/api/v1/areas/abbey/issues",
        "/api/v1/areas/abbey/priorities",
        "/api/v1/groups/northfield/meetings",
        "/api/v1/groups/northfield/agenda",
        "/api/v1/responses",
        *(f"/api/v1/groups/northfield/agenda?format={f}" for f in ("md", "html", "csv")),
        "/api/v1/groups/northfield/agenda?date=2025-02-28",
    ]
    for url in api:
        assert seeded.get(url, headers=h).status_code == 200, url
    assert seeded.get("/api/v1/provider/issues", headers=police).status_code == 200
    assert seeded.get("/areas/abbey/public").status_code == 200
    sign_in(seeded, "cora")
    pages = [
        "/dashboard/",
        "/dashboard/areas/abbey",
        "/dashboard/areas/abbey/issues/speeding",
        "/dashboard/areas/abbey/issues/litter",
        "/dashboard/groups/northfield/meetings",
        "/dashboard/groups/northfield/meetings/2025-02-28",
        f"/dashboard/groups/northfield/meetings/{date.min.isoformat()}",
        f"/dashboard/groups/northfield/meetings/{date.max.isoformat()}",
        "/dashboard/groups/northfield/agenda",
        "/dashboard/triage/",
        "/dashboard/reach/",
        "/dashboard/devices/",
    ]
    for url in pages:
        r = seeded.get(url)
        assert r.status_code == 200, (url, r.status_code)
    # the coordinator can still put the date right from the issue page
    issue = "/dashboard/areas/abbey/issues/speeding"
    token = csrf_of(seeded.get(issue).get_data(as_text=True))
    r = seeded.post(
        f"{issue}/status",
        data={
            "status": "in_progress",
            "note": "Date put right",
            "report_back": "2025-04-01",
            "csrf_token": token,
        },
    )
    assert r.status_code == 302
    listed = seeded.get("/api/v1/areas/abbey/issues", headers=h).get_json()["issues"]
    assert {i["id"]: i["report_back"] for i in listed}[issue_id] == "2025-04-01"
