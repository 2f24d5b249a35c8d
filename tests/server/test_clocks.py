"""Wrong clocks (issue 13): the impossible is refused, the implausible kept, flagged and shown.

The app's clock stands at 2025-03-01 12:00 UTC (tests/server/conftest.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from server.db import db
from server.models import SurveyVersion
from tests.server.conftest import bearer, device_token, make_response, user_token
from tests.server.test_web_data import PASSWORD, sign_in


def push(client: FlaskClient, token: str, *items: dict) -> list[dict]:
    r = client.post("/api/v1/sync/push", json={"responses": list(items)}, headers=bearer(token))
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()["results"]


def flags(client: FlaskClient, token: str) -> dict[str, str | None]:
    page = client.get("/api/v1/responses", headers=bearer(token)).get_json()
    return {r["id"]: r["clock_flag"] for r in page["responses"]}


def survey_added_on(app: Flask, when: datetime) -> None:
    with app.app_context():
        db.session.execute(update(SurveyVersion).values(added_at=when))
        db.session.commit()


def test_implausible_times_are_kept_counted_and_flagged(app: Flask, client: FlaskClient):
    survey_added_on(app, datetime(2025, 1, 1, tzinfo=UTC))
    _, device = device_token(app, group="northfield", label="Abbey Pi")
    fine = make_response(collected_at="2025-03-01T12:05:00+00:00")  # 5 min ahead: drift
    ahead = make_response(collected_at="2025-03-02T12:00:00+00:00")
    early = make_response(collected_at="2024-06-01T09:00:00+00:00")
    also_fine = make_response(collected_at="2024-12-01T09:00:00+00:00")  # a month before
    results = push(client, device, fine, ahead, early, also_fine)
    assert [r["status"] for r in results] == ["accepted"] * 4
    coordinator = user_token(app, "cora", group="northfield")
    assert flags(client, coordinator) == {
        fine["id"]: None,
        ahead["id"]: "ahead",
        early["id"]: "early",
        also_fine["id"]: None,
    }
    # kept and counted: four respondents in the area's figures
    since = "since=2024-01-01&until=2025-12-31"
    doc = client.get(f"/api/v1/areas/abbey/priorities?{since}", headers=bearer(coordinator))
    assert doc.get_json()["respondents"] == 4


def test_devices_page_shows_the_devices_whose_clocks_are_off(app: Flask, client: FlaskClient):
    from server.accounts.users import create_user

    with app.app_context():
        create_user(db.session, "cora", "coordinator", groups=["northfield"], password=PASSWORD)
        create_user(db.session, "rita", "coordinator", groups=["riverside"], password=PASSWORD)
        db.session.commit()
    survey_added_on(app, datetime(2025, 1, 1, tzinfo=UTC))
    _, wrong = device_token(app, group="northfield", label="Fast Pi")
    _, right = device_token(app, group="northfield", label="Good Pi")
    push(client, wrong, make_response(collected_at="2026-03-01T12:00:00+00:00"))
    push(client, right, make_response())
    sign_in(client, "cora")
    html = client.get("/dashboard/devices/").get_data(as_text=True)
    assert "Devices whose clocks are off" in html
    section = html[
        html.index('id="clocks-off"') : html.index("</section>", html.index("clocks-off"))
    ]
    assert "Fast Pi" in section and "1 dated after they were received" in section
    assert "Good Pi" not in section
    # another group's coordinator sees neither the device nor its clock
    other = app.test_client()
    sign_in(other, "rita")
    assert "Fast Pi" not in other.get("/dashboard/devices/").get_data(as_text=True)


def test_a_plausible_device_shows_no_clock_section(app: Flask, client: FlaskClient):
    from server.accounts.users import create_user

    with app.app_context():
        create_user(db.session, "cora", "coordinator", groups=["northfield"], password=PASSWORD)
        db.session.commit()
    survey_added_on(app, datetime(2025, 1, 1, tzinfo=UTC))
    _, right = device_token(app, group="northfield", label="Good Pi")
    push(client, right, make_response())
    sign_in(client, "cora")
    html = client.get("/dashboard/devices/").get_data(as_text=True)
    assert "Good Pi" in html and "clocks are off" not in html
