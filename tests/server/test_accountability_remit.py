"""Providers report progress; only the group sets or moves a report-back date, and it shows.

The test clock stands at 2025-03-01 12:00 UTC (tests/server/conftest.py).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from server.db import db
from server.models.meetings import IssueNote, IssuePlan
from tests.server.conftest import Clock, bearer, user_token
from tests.server.test_meetings import agree, provider_token
from tests.server.test_web_data import post_form, seed, sign_in


def log_of(app: Flask, issue_id: int) -> list[tuple[str, str | None, str | None]]:
    with app.app_context():
        q = sa.select(IssueNote).where(IssueNote.issue_id == issue_id).order_by(IssueNote.id)
        return [(n.kind, n.from_status, n.to_status) for n in db.session.scalars(q)]


def due(app: Flask, issue_id: int) -> str:
    with app.app_context():
        return db.session.get(IssuePlan, issue_id).report_back.isoformat()


def test_a_provider_cannot_move_its_report_back_date(app: Flask, client: FlaskClient) -> None:
    cora = bearer(user_token(app, "cora", group="northfield"))
    police = bearer(provider_token(app, "pc", "Police"))
    issue = agree(client, cora["Authorization"].split()[1])
    before = log_of(app, issue["id"])
    url = f"/api/v1/issues/{issue['id']}/status"
    for day in ("2099-01-01", "2026-03-01"):
        body = {"status": "in_progress", "note": "more time", "report_back": day}
        reply = client.post(url, json=body, headers=police)
        assert reply.status_code == 403 and reply.get_json()["error"]["code"] == "forbidden"
    assert due(app, issue["id"]) == "2025-04-01" and log_of(app, issue["id"]) == before


def test_a_provider_cannot_date_its_notes_and_nobody_dates_the_future(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    cora = bearer(user_token(app, "cora", group="northfield"))
    police = bearer(provider_token(app, "pc", "Police"))
    issue = agree(client, cora["Authorization"].split()[1])
    actions, status = (
        f"/api/v1/issues/{issue['id']}/actions",
        f"/api/v1/issues/{issue['id']}/status",
    )
    clock.now = datetime(2025, 4, 20, 9, 0, tzinfo=UTC)  # overdue by now
    before = log_of(app, issue["id"])
    for who, url, body, code in (
        (police, actions, {"text": "patrols", "date": "2025-12-31"}, 400),  # clears OVERDUE
        (police, actions, {"text": "patrols", "date": "2025-03-25"}, 403),  # backdated
        (police, status, {"status": "in_progress", "note": "x", "date": "2025-03-20"}, 403),
        (cora, actions, {"text": "patrols", "date": "2025-04-21"}, 400),
    ):
        reply = client.post(url, json=body, headers=who)
        assert reply.status_code == code, (body, reply.get_json())
    assert log_of(app, issue["id"]) == before
    listed = client.get("/api/v1/provider/issues", headers=police).get_json()["issues"]
    assert listed[0]["overdue"] is True
    # written today, by the server's clock: an update, but after the date it was due
    done = client.post(actions, json={"text": "patrols"}, headers=police).get_json()
    assert done["log"][-1]["on"] == "2025-04-20" and done["log"][-1]["by"] == "pc"
    # a coordinator may write up an earlier meeting's actions
    kept = client.post(actions, json={"text": "minuted", "date": "2025-03-20"}, headers=cora)
    assert kept.status_code == 201


def test_every_report_back_move_is_kept_and_shown(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    seed(app, client)  # cora coordinates northfield (abbey), as a dashboard user too
    sign_in(client, "cora")
    issue = agree(client, user_token(app, "cora-api", group="northfield"))
    clock.now = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
    page = f"/dashboard/areas/abbey/issues/{issue['category']}"
    form = {
        "status": "in_progress",
        "note": "Council asked for <more> time",
        "report_back": "2025-05-06",
    }
    assert post_form(client, page, f"{page}/status", form).status_code == 302
    assert log_of(app, issue["id"])[-1] == ("due", "2025-04-01", "2025-05-06")
    html = client.get(page).get_data(as_text=True)
    assert "moved from 2025-04-01 to 2025-05-06" in html and "cora" in html
    assert "Council asked for &lt;more&gt; time" in html
    moved = "2025-03-10 cora: 2025-04-01 → 2025-05-06 (Council asked for <more> time)"
    agenda = "/api/v1/groups/northfield/agenda?date=2025-03-20&format="
    token = bearer(user_token(app, "cora-agenda", group="northfield"))
    md = client.get(agenda + "md", headers=token).get_data(as_text=True)
    assert "2025-03-10 cora: 2025-04-01 → 2025-05-06" in md
    html = client.get(agenda + "html", headers=token).get_data(as_text=True)
    assert moved.replace("<", "&lt;").replace(">", "&gt;") in html
    text = client.get(agenda + "csv", headers=token).get_data(as_text=True)
    assert ["report back moved", "abbey", "speeding", moved] in [
        [r[0], r[1], r[2], r[-1]] for r in csv.reader(io.StringIO(text))
    ]
    doc = client.get(agenda + "json", headers=token).get_json()
    assert [p["moves"] for p in doc["previous"]] == [[moved]]


def test_a_providers_page_offers_no_date_fields(app: Flask, client: FlaskClient) -> None:
    seed(app, client)  # pc is the Police's provider user
    agree(client, user_token(app, "cora-api", group="northfield"))  # owner Police
    sign_in(client, "pc")
    html = client.get("/dashboard/areas/abbey/issues/speeding").get_data(as_text=True)
    assert "Log an action" in html
    assert 'name="report_back"' not in html and 'name="date"' not in html


def test_a_provider_learns_nothing_of_issues_that_are_not_its_own(
    app: Flask, client: FlaskClient
) -> None:
    seed(app, client)  # pc is the Police's provider user
    token = user_token(app, "cora-api", group="northfield")
    theirs = agree(client, token, category="litter", owner="Council")
    police = bearer(provider_token(app, "pc-api", "Police"))
    api = [
        client.post(f"/api/v1/issues/{theirs['id']}/actions", json={"text": "x"}, headers=police),
        client.post("/api/v1/issues/99999/actions", json={"text": "x"}, headers=police),
        client.post(
            f"/api/v1/issues/{theirs['id']}/status",
            json={"status": "resolved", "note": "x"},
            headers=police,
        ),
    ]
    assert {r.status_code for r in api} == {404}
    assert {r.get_data(as_text=True) for r in api} == {api[0].get_data(as_text=True)}
    assert str(theirs["id"]) not in api[0].get_data(as_text=True)
    sign_in(client, "pc")
    client.get("/dashboard/")  # any message the sign-in left is shown here, not below
    pages = [
        client.get("/dashboard/areas/abbey/issues/litter"),  # the Council's
        client.get("/dashboard/areas/abbey/issues/graffiti"),  # no issue
        client.get("/dashboard/areas/nowhere/issues/litter"),  # no area
    ]
    assert {p.status_code for p in pages} == {404}
    # the same page, whatever exists (the CSRF token carries the second it was made)
    texts = {re.sub(r'value="[^"]+"', "", p.get_data(as_text=True)) for p in pages}
    assert len(texts) == 1
    shown = texts.pop()
    assert "no such issue" in shown.lower() and "litter" not in shown.lower()
