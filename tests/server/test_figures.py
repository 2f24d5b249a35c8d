"""Figures that explain themselves: rank by people first, shares by method, charts with axes."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from server.accounts.users import create_user
from server.catalogue.surveys import add_survey
from server.db import db
from server.issues.ranking import Tally, rank
from tests.server.conftest import TEST_SURVEY, bearer, device_token, make_response
from tests.server.test_web_data import PASSWORD, sign_in

CATEGORIES = ["speeding", "litter", "noise", "dog-fouling", "fly-tipping", "graffiti", "begging"]
MANY: dict[str, Any] = {
    **TEST_SURVEY,
    "id": "test-many",
    "questions": [
        {
            "id": "concerns",
            "type": "multiple_choice",
            "required": True,
            "label": {"en": "Problems?"},
            "choices": [{"value": c, "label": {"en": c}, "category": c} for c in CATEGORIES],
        },
        TEST_SURVEY["questions"][1],
    ],
}


def _tally(mentions: int, severity: int) -> Tally:
    t = Tally()
    t.add("doorstep", mentions, severity * mentions, mentions)
    return t


def test_more_people_rank_above_a_higher_score():
    respondents = Tally()
    respondents.add("doorstep", 400)
    ranked = rank({"noise": _tally(97, 100), "litter": _tally(103, 0)}, respondents, {}, Tally())
    assert [p.category for p in ranked] == ["litter", "noise"]
    assert ranked[0].score < ranked[1].score  # the score alone would have put noise first


def test_equal_people_are_ordered_by_score():
    respondents = Tally()
    respondents.add("doorstep", 100)
    ranked = rank({"noise": _tally(10, 100), "litter": _tally(10, 0)}, respondents, {}, Tally())
    assert [p.category for p in ranked] == ["noise", "litter"]


def _seed(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        add_survey(db.session, dict(MANY))
        create_user(db.session, "cora", "coordinator", groups=["northfield"], password=PASSWORD)
        db.session.commit()
    _, token = device_token(app)
    items = []
    # doorstep: 8 respondents, speeding by 2 (25%); meeting: 2 respondents, speeding by 2 (100%)
    for i in range(10):
        method = "meeting" if i >= 8 else "doorstep"
        picked = ["speeding"] if i in (0, 1, 8, 9) else [CATEGORIES[1 + i % 5], "begging"]
        items.append(
            make_response(
                survey_id="test-many",
                method=method,
                collected_at=f"2025-02-{10 + i:02d}T10:00:00+00:00",
                answers={"concerns": picked, "severity": 3},
            )
        )
    r = client.post("/api/v1/sync/push", json={"responses": items}, headers=bearer(token))
    assert {x["status"] for x in r.get_json()["results"]} == {"accepted"}
    sign_in(client, "cora")


def test_area_page_says_why_the_order_and_shows_the_method(app: Flask, client: FlaskClient):
    _seed(app, client)
    html = client.get("/dashboard/areas/abbey").get_data(as_text=True)
    assert "Ranked by how many people raised each issue" in html
    assert 'href="#how-ranked"' in html and 'id="how-ranked"' in html
    assert "100 × confidence × (0.6 × share + 0.3 × severity + 0.1 × change)" in html


def test_method_split_is_shares_of_each_methods_respondents(app: Flask, client: FlaskClient):
    _seed(app, client)
    html = client.get("/dashboard/areas/abbey").get_data(as_text=True)
    door = re.search(r'data-method-share="speeding:doorstep">(.*?)</td>', html).group(1)
    meeting = re.search(r'data-method-share="speeding:meeting">(.*?)</td>', html).group(1)
    assert door.startswith("25%") and "2 of 8" in door
    assert meeting.startswith("100%") and "2 of 2" in meeting
    assert "<span>0%</span><span>50%</span><span>100%</span>" in html


def test_charts_name_their_dates_and_top(app: Flask, client: FlaskClient):
    _seed(app, client)
    html = client.get("/dashboard/areas/abbey").get_data(as_text=True)
    assert "<span>2 Dec 2024</span><span>1 Mar 2025</span>" in html  # the 90 days to today
    same_year = client.get("/dashboard/areas/abbey?since=2025-01-01").get_data(as_text=True)
    assert "<span>1 Jan</span><span>1 Mar 2025</span>" in same_year
    assert "most in a week: " in html
    issue = client.get("/dashboard/areas/abbey/issues/speeding").get_data(as_text=True)
    assert 'class="axis"' in issue and "most in a " in issue


def test_area_page_leads_with_the_top_five(app: Flask, client: FlaskClient):
    _seed(app, client)
    html = client.get("/dashboard/areas/abbey").get_data(as_text=True)
    first, more = html.split('id="more-priorities"', 1)
    first_table = first[first.index('id="priorities"') :]
    assert first_table.count("data-mentions=") == 5
    assert more[: more.index("</details>")].count("data-mentions=") == 2
    assert "Show the other 2 issues" in html
