"""The escalation clock: figures counted in the test, both rules, the settings that move them."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from server import create_app
from server.accounts.users import create_user
from server.db import db
from server.meetings.accountability import add_action, agree, issue_for
from server.meetings.escalation import (
    DEFAULT,
    IGNORED,
    OVERDUE_TWICE,
    Thresholds,
    escalations,
    thresholds_from,
)
from server.models import Area
from server.models.meetings import IssueNote

from .conftest import bearer, device_token, make_response, user_token
from .test_web_data import PASSWORD, sign_in

TODAY = date(2025, 3, 1)  # the test clock's day


def raise_it(client: FlaskClient, token: str, days: list[str], category: str = "speeding") -> None:
    """Push one response per day, each raising ``category`` in Abbey."""
    items = [
        make_response(collected_at=f"{day}T10:00:00+00:00", answers={"concerns": [category]})
        for day in days
    ]
    got = client.post("/api/v1/sync/push", json={"responses": items}, headers=bearer(token))
    assert {r["status"] for r in got.get_json()["results"]} == {"accepted"}


def escalated(app: Flask, thresholds: Thresholds = DEFAULT) -> dict:
    with app.app_context():
        return escalations(db.session, ["abbey", "bell-green"], TODAY, thresholds)


def test_five_residents_in_six_months_with_nothing_done_escalate(
    app: Flask, client: FlaskClient
) -> None:
    _, token = device_token(app)
    # Four inside the window (183 days: 31 August 2024 to 1 March 2025), one the day before it.
    raise_it(client, token, ["2024-08-30", "2024-09-01", "2024-12-01", "2025-02-01", "2025-03-01"])
    assert escalated(app) == {}  # 4 residents in the window
    raise_it(client, token, ["2025-02-20"])
    found = escalated(app)
    assert list(found) == [("abbey", "speeding")]
    e = found["abbey", "speeding"]
    assert (e.kind, e.residents, e.since) == (IGNORED, 5, date(2024, 8, 31))
    assert e.reason.startswith("5 residents raised it since 31 August 2024")
    assert escalated(app, Thresholds(residents=6)) == {}  # the threshold is a setting


def test_an_action_or_an_agreement_in_the_window_stops_the_clock(
    app: Flask, client: FlaskClient
) -> None:
    _, token = device_token(app)
    raise_it(client, token, [f"2025-01-0{d}" for d in range(1, 7)])
    raise_it(client, token, [f"2025-01-0{d}" for d in range(1, 7)], category="litter")
    with app.app_context():
        old = issue_for(db.session, "abbey", "speeding", create=True)
        add_action(db.session, old, on=date(2024, 8, 1), text="Leaflets (long ago)")
        db.session.commit()
    assert set(escalated(app)) == {("abbey", "speeding"), ("abbey", "litter")}
    with app.app_context():
        issue = issue_for(db.session, "abbey", "speeding")
        add_action(db.session, issue, on=date(2025, 2, 1), text="Speed watch")
        agree(db.session, abbey_of(), "litter", owner="Council", report_back=date(2025, 4, 1),
              on=date(2025, 2, 2))  # fmt: skip
        db.session.commit()
    assert escalated(app) == {}


def abbey_of() -> Area:
    return db.session.scalar(select(Area).where(Area.code == "abbey"))


def due(issue_id: int, on: date, old: date | None, new: date) -> IssueNote:
    """A report-back date set or moved (the history the group keeps)."""
    return IssueNote(
        issue_id=issue_id,
        on=on,
        kind="due",
        from_status=old.isoformat() if old else None,
        to_status=new.isoformat(),
        text="moved at the meeting",
    )


def test_two_report_back_dates_passed_without_an_update_escalate(app: Flask) -> None:
    with app.app_context():
        issue_id = agree(db.session, abbey_of(), "speeding", owner="Police",
                         report_back=date(2024, 11, 1), on=date(2024, 10, 1)).id  # fmt: skip
        db.session.commit()
    assert escalated(app) == {}  # one date passed: overdue, not yet escalated
    with app.app_context():
        db.session.add(due(issue_id, date(2024, 11, 5), date(2024, 11, 1), date(2025, 1, 15)))
        db.session.commit()
    found = escalated(app)
    e = found["abbey", "speeding"]
    assert (e.kind, e.missed) == (OVERDUE_TWICE, (date(2024, 11, 1), date(2025, 1, 15)))
    assert "without an update from Police" in e.reason
    assert escalated(app, Thresholds(missed_report_backs=3)) == {}
    with app.app_context():
        # The owner reports back: only dates after that update could count again.
        add_action(db.session, issue_for(db.session, "abbey", "speeding"), on=date(2025, 2, 1),
                   text="Three speed checks done")  # fmt: skip
        db.session.commit()
    assert escalated(app) == {}


def test_an_update_within_the_window_before_a_date_meets_it(app: Flask) -> None:
    with app.app_context():
        issue = agree(db.session, abbey_of(), "speeding", owner="Police",
                      report_back=date(2024, 11, 1), on=date(2024, 10, 1))  # fmt: skip
        add_action(db.session, issue, on=date(2024, 10, 25), text="Checks booked")
        db.session.add(due(issue.id, date(2024, 11, 5), date(2024, 11, 1), date(2025, 1, 15)))
        db.session.commit()
    assert escalated(app) == {}  # 1 November was met (an update 7 days before); one missed


@pytest.mark.parametrize(
    "config",
    [
        {"ESCALATION_RESIDENTS": 0},
        {"ESCALATION_DAYS": "183"},
        {"ESCALATION_MISSED_REPORT_BACKS": True},
    ],
)
def test_thresholds_refuse_what_is_not_a_count(config: dict) -> None:
    with pytest.raises(ValueError, match=next(iter(config))):
        thresholds_from(config)


def test_thresholds_from_settings() -> None:
    got = thresholds_from({"ESCALATION_RESIDENTS": 3, "ESCALATION_DAYS": 90})
    assert got == Thresholds(residents=3, days=90, missed_report_backs=2)


def test_the_issues_api_says_which_are_escalated_and_why(app: Flask, client: FlaskClient) -> None:
    _, token = device_token(app)
    raise_it(client, token, [f"2025-02-1{d}" for d in range(5)])
    cora = bearer(user_token(app, "cora", group="northfield"))
    doc = client.get("/api/v1/areas/abbey/issues", headers=cora).get_json()
    assert doc["issues"] == []  # no entry yet, but residents keep raising it
    [why] = doc["escalated"]
    assert (why["category"], why["kind"], why["residents"]) == ("speeding", IGNORED, 5)
    assert why["reason"].startswith("5 residents raised it since 31 August 2024")
    with app.app_context():  # agreed long ago: the agreement is not in the window
        agree(db.session, abbey_of(), "speeding", owner="Police", report_back=date(2024, 8, 1),
              on=date(2024, 7, 1))  # fmt: skip
        db.session.commit()
    doc = client.get("/api/v1/areas/abbey/issues", headers=cora).get_json()
    [issue] = doc["issues"]
    assert issue["escalated"]["kind"] == IGNORED and doc["escalated"] == [issue["escalated"]]
    rita = bearer(user_token(app, "rita", group="riverside"))
    assert client.get("/api/v1/areas/abbey/issues", headers=rita).status_code == 404


def test_a_threshold_below_one_stops_the_server_starting(database_url: str, tmp_path) -> None:
    with pytest.raises(ValueError, match="ESCALATION_DAYS"):
        create_app(
            {"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path), "ESCALATION_DAYS": 0}
        )


def test_escalated_issues_come_first_on_home_issue_page_and_every_agenda_format(
    app: Flask, client: FlaskClient
) -> None:
    _, token = device_token(app)
    raise_it(client, token, [f"2025-02-1{d}" for d in range(6)], category="litter")
    raise_it(client, token, ["2025-02-20"])  # speeding: one resident, not escalated
    with app.app_context():
        create_user(db.session, "cora", "coordinator", groups=["northfield"], password=PASSWORD)
        db.session.commit()
    browser = app.test_client()
    assert sign_in(browser, "cora").status_code == 302
    why = "6 residents raised it since 31 August 2024"
    home = browser.get("/dashboard/").get_data(as_text=True)
    assert home.index("tag-escalated") < home.index('id="area-abbey"')  # before the cards
    assert f'issues/litter">Littering and drug paraphernalia in Abbey</a>: {why}' in home
    assert "issues/speeding" not in home[: home.index('id="area-abbey"')]
    page = browser.get("/dashboard/areas/abbey/issues/litter").get_data(as_text=True)
    assert "tag-escalated" in page and why in page
    calm = browser.get("/dashboard/areas/abbey/issues/speeding").get_data(as_text=True)
    assert "tag-escalated" not in calm
    cora = bearer(user_token(app, "cora-api", group="northfield"))
    url = "/api/v1/groups/northfield/agenda?date=2025-03-01&format="
    md = client.get(url + "md", headers=cora).get_data(as_text=True)
    line = "Abbey, not agreed and no action logged since 31 August 2024: Littering"
    assert md.index("## Escalated") < md.index("## 1. Apologies") and line in md
    assert "paraphernalia (6 residents)." in md
    html = client.get(url + "html", headers=cora).get_data(as_text=True)
    assert html.index("Escalated:") < html.index("1. Apologies") and line in html
    rows = client.get(url + "csv", headers=cora).get_data(as_text=True).splitlines()
    assert any(r.startswith("escalated,abbey,litter,") and why in r for r in rows)
    doc = client.get(url + "json", headers=cora).get_json()
    assert [(e["category"], e["kind"]) for e in doc["escalated"]] == [("litter", IGNORED)]
