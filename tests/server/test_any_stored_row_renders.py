"""Every page survives every row the edge accepts (issue 13), as a property.

Hypothesis stores random but schema-valid rows through the public API (meetings, agreed
priorities, status changes, actions, public statements and responses, with dates anywhere in the
accepted range and any text), then renders every dashboard page, every agenda format, the public
page and the API lists for them: none may answer 500. A refusal (4xx) is fine: the point is
that what was stored never breaks a page.
"""

from __future__ import annotations

from datetime import datetime, time

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.accounts.users import create_user
from server.db import db
from survey_schemas.dates import EARLIEST, LATEST
from tests.server.conftest import bearer
from tests.server.test_web_data import answer, seed, sign_in

# Any text a database holds (no NUL, no lone surrogate; those are refused at the edge).
TEXT = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
DAYS = st.dates(EARLIEST, LATEST)


def texts(min_size: int = 0, max_size: int = 60) -> st.SearchStrategy[str]:
    return st.text(TEXT, min_size=min_size, max_size=max_size)


ROW = st.fixed_dictionaries(
    {
        "meeting": DAYS,
        "next_date": st.none() | DAYS,
        "minutes": texts(),
        "apologies": st.lists(texts(1, 30), max_size=2),
        "category": st.sampled_from(["speeding", "litter", "drugs", "noise"]),
        "owner": texts(1, 40),
        "report_back": DAYS,
        "note": texts(1),
        "status": st.sampled_from(["in_progress", "resolved", "closed"]),
        "action_on": DAYS,
        "public": texts(),
        "collected": st.datetimes(
            datetime.combine(EARLIEST, time()), datetime.combine(LATEST, time(23, 59, 59))
        ),
        "comment": texts(1, 200),
        "street": st.none() | texts(0, 60),
    }
)

PAGES = (
    "/dashboard/",
    "/dashboard/areas/abbey",
    "/dashboard/triage/",
    "/dashboard/reach/",
    "/dashboard/devices/",
    "/dashboard/surveys/",
    "/dashboard/groups/northfield/meetings",
    "/dashboard/groups/northfield/agenda",
    "/areas/abbey/public",
)


def render_everything(client: FlaskClient, h: dict[str, str], row: dict) -> None:
    day = row["meeting"].isoformat()
    urls = [
        *PAGES,
        f"/dashboard/areas/abbey/issues/{row['category']}",
        f"/dashboard/groups/northfield/meetings/{day}",
        f"/dashboard/groups/northfield/agenda?date={day}",
    ]
    for url in urls:
        r = client.get(url)
        assert r.status_code < 500, (url, r.status_code)
    api = [
        "/api/v1/areas/abbey/issues",
        "/api/v1/areas/abbey/priorities",
        "/api/v1/groups/northfield/meetings",
        "/api/v1/responses",
        *(
            f"/api/v1/groups/northfield/agenda?date={day}&format={f}"
            for f in ("json", "md", "html", "csv")
        ),
        f"/api/v1/areas/abbey/priorities?since={EARLIEST.isoformat()}&until={LATEST.isoformat()}",
    ]
    for url in api:
        r = client.get(url, headers=h)
        assert r.status_code < 500, (url, r.status_code)


def store(client: FlaskClient, h: dict[str, str], device: str, row: dict) -> None:
    """Send one row of each kind through the API; refusals are allowed, 500s are not."""
    sent = [
        client.put(
            "/api/v1/groups/northfield/meetings",
            json={
                "date": row["meeting"].isoformat(),
                "minutes": row["minutes"],
                "apologies": row["apologies"],
                "next_date": row["next_date"].isoformat() if row["next_date"] else None,
            },
            headers=h,
        ),
        client.post(
            "/api/v1/areas/abbey/issues",
            json={
                "category": row["category"],
                "owner": row["owner"],
                "report_back": row["report_back"].isoformat(),
                "date": row["meeting"].isoformat(),
                "note": row["note"],
            },
            headers=h,
        ),
    ]
    issue = sent[-1].get_json() if sent[-1].status_code == 201 else None
    if issue is not None:
        url = f"/api/v1/issues/{issue['id']}"
        sent += [
            client.post(
                f"{url}/actions",
                json={"text": row["note"], "date": row["action_on"].isoformat()},
                headers=h,
            ),
            client.post(
                f"{url}/status", json={"status": row["status"], "note": row["note"]}, headers=h
            ),
            client.put(f"{url}/public", json={"text": row["public"]}, headers=h),
        ]
    item = answer("abbey", ["speeding", "other"], row["comment"])
    item["collected_at"] = row["collected"].isoformat() + "+00:00"
    if row["street"] is not None:
        item["street"] = row["street"]
    sent.append(client.post("/api/v1/sync/push", json={"responses": [item]}, headers=device))
    for r in sent:
        assert r.status_code < 500, (r.request.path, r.status_code, r.get_data(as_text=True)[:200])


def test_any_stored_row_renders_on_every_page(app: Flask, client: FlaskClient):
    device = bearer(seed(app, client))
    with app.app_context():
        _, token = create_user(db.session, "cora-api", "coordinator", groups=["northfield"])
        db.session.commit()
    h = bearer(token)
    sign_in(client, "cora")

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(row=ROW)
    def stored_then_rendered(row: dict) -> None:
        store(client, h, device, row)
        render_everything(client, h, row)

    stored_then_rendered()


DB_ROW = st.fixed_dictionaries(
    {
        "meeting": st.dates(),
        "next_date": st.none() | st.dates(),
        "category": st.sampled_from(["speeding", "litter", "drugs", "noise"]),
        "status": st.sampled_from(["open", "agreed", "in_progress", "resolved", "closed"]),
        "agreed_on": st.none() | st.dates(),
        "report_back": st.none() | st.dates(),
        "notes": st.lists(st.tuples(st.dates(), texts()), max_size=3),
        "owner": st.none() | texts(0, 40),
    }
)


def write_straight(app: Flask, row: dict) -> None:
    """Write a row as the database may hold it (any date Python has), past every edge."""
    from sqlalchemy import select

    from server.models import Group, Issue
    from server.models.meetings import IssueNote, IssuePlan, Meeting

    with app.app_context():
        group = db.session.scalar(select(Group).where(Group.code == "northfield"))
        meeting = db.session.scalar(
            select(Meeting).where(Meeting.group_id == group.id, Meeting.date == row["meeting"])
        )
        if meeting is None:
            meeting = Meeting(group_id=group.id, date=row["meeting"], apologies=[], aob=[])
            db.session.add(meeting)
        meeting.next_date = row["next_date"]
        issue = db.session.scalar(
            select(Issue).where(Issue.area == "abbey", Issue.category == row["category"])
        )
        if issue is None:
            issue = Issue(area="abbey", category=row["category"], status="open")
            db.session.add(issue)
            db.session.flush()
        issue.status, issue.owner = row["status"], row["owner"]
        plan = db.session.get(IssuePlan, issue.id) or IssuePlan(issue_id=issue.id)
        plan.agreed_on, plan.report_back = row["agreed_on"], row["report_back"]
        db.session.add(plan)
        for on, text in row["notes"]:
            db.session.add(IssueNote(issue_id=issue.id, on=on, kind="action", text=text))
        db.session.commit()


def test_any_row_the_database_holds_renders_on_every_page(app: Flask, client: FlaskClient):
    seed(app, client)
    with app.app_context():
        _, token = create_user(db.session, "cora-api", "coordinator", groups=["northfield"])
        db.session.commit()
    h = bearer(token)
    sign_in(client, "cora")

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(row=DB_ROW)
    def written_then_rendered(row: dict) -> None:
        write_straight(app, row)
        render_everything(client, h, row)

    written_then_rendered()
