"""What fuzzing found, pinned: each of these answered 500 before it was fixed."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.server.conftest import bearer, device_token, user_token


@pytest.mark.parametrize(
    "query",
    [
        "since=8944-04-09",  # after the default until (today): the trend's dates overflowed
        "since=0001-01-01&until=0001-01-05",  # the period before it is not a calendar date
        "until=9999-12-31",
    ],
)
@pytest.mark.parametrize("what", ["priorities", "reach"])
def test_a_period_outside_the_calendar_is_400(app: Flask, query: str, what: str) -> None:
    client = app.test_client()
    token = user_token(app, "ada", "admin")
    reply = client.get(f"/api/v1/areas/abbey/{what}?{query}", headers=bearer(token))
    assert reply.status_code == 400
    assert reply.json["error"]["code"] == "invalid_input"
    assert "since" in reply.json["error"]["details"] or "until" in reply.json["error"]["details"]


@pytest.mark.parametrize("day", ["0001-01-05", "9999-12-31"])
def test_an_agenda_date_outside_the_calendar_is_400(app: Flask, day: str) -> None:
    token = user_token(app, "ada", "admin")
    reply = app.test_client().get(
        f"/api/v1/groups/northfield/agenda?date={day}", headers=bearer(token)
    )
    assert reply.status_code == 400
    assert "date" in reply.json["error"]["details"]


@pytest.mark.parametrize("cursor", ["³", "1" * 19, "f²"])
def test_a_pull_cursor_that_is_not_ours_is_400(app: Flask, cursor: str) -> None:
    device = device_token(app)[1]
    reply = app.test_client().get(
        "/api/v1/sync/pull", query_string={"since": cursor}, headers=bearer(device)
    )
    assert reply.status_code == 400
    assert reply.json["error"]["code"] == "invalid_input"
