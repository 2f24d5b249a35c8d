"""The agenda as printed (A4 PDF from Chromium) and on a 360 px phone, for a three-area group."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.accounts.users import create_user
from server.catalogue.deployment import upsert_areas
from server.catalogue.surveys import add_survey
from server.db import db
from tests.browser.test_dashboard_flows import sign_in
from tests.server.conftest import (  # noqa: F401  # noqa: F401
    TEST_SURVEY,
    app,
    bearer,
    clock,
    database_url,
    device_token,
    live_server,
    make_response,
)
from tests.server.test_web_data import PASSWORD

pytestmark = pytest.mark.browser
CATEGORIES = ["speeding", "litter", "noise", "dog-fouling", "fly-tipping", "graffiti"]
MEETING_SURVEY: dict[str, Any] = {
    **TEST_SURVEY,
    "id": "test-meeting-paper",
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
AREAS = ("abbey", "bell-green", "canal-side")


@pytest.fixture
def server(app: Flask, live_server: str) -> str:  # noqa: F811
    """A three-area group with a month of results, three agreed priorities and a meeting."""
    client: FlaskClient = app.test_client()
    with app.app_context():
        add_survey(db.session, dict(MEETING_SURVEY))
        upsert_areas(
            db.session, [{"code": "canal-side", "name": "Canal Side", "group": "northfield"}]
        )
        _, token = create_user(
            db.session, "cora", "coordinator", groups=["northfield"], password=PASSWORD
        )
        db.session.commit()
    _, device = device_token(app)
    items = []
    for a, area in enumerate(AREAS):
        for i in range(60):
            picked = [c for j, c in enumerate(CATEGORIES) if (i + j + a) % (j + 2) == 0]
            items.append(
                make_response(
                    survey_id="test-meeting-paper",
                    area=area,
                    method=("doorstep", "event", "meeting")[i % 3],
                    collected_at=f"2025-02-{1 + i % 28:02d}T10:00:00+00:00",
                    answers={"concerns": picked or ["speeding"], "severity": 1 + i % 5},
                )
            )
    client.post("/api/v1/sync/push", json={"responses": items}, headers=bearer(device))
    client.put(
        "/api/v1/groups/northfield/meetings",
        headers=bearer(token),
        json={
            "date": "2025-01-07",
            "minutes": "Agreed three priorities.",
            "apologies": ["Cllr Lee"],
        },
    )
    for area, cat, owner in (
        ("abbey", "speeding", "Police"),
        ("bell-green", "litter", "Council"),
        ("canal-side", "noise", "Housing association"),
    ):
        client.post(
            f"/api/v1/areas/{area}/issues",
            headers=bearer(token),
            json={
                "category": cat,
                "owner": owner,
                "date": "2025-01-07",
                "report_back": "2025-02-20",
            },
        )
    client.put(
        "/api/v1/groups/northfield/meetings",
        headers=bearer(token),
        json={
            "date": "2025-03-01",
            "time": "19:00",
            "venue": "St Mark's church hall, Abbey Road",
            "chair": "Ann Patel",
            "apologies": ["PC Jones", "Cllr Smith"],
            "aob": ["Summer fair stall"],
            "next_date": "2025-04-05",
        },
    )
    app.config["TEST_COORDINATOR_TOKEN"] = token
    return live_server


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


def test_three_area_agenda_prints_on_two_a4_pages(browser: Any, server: str, screenshot_dir: str):
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, server)
    page.goto(f"{server}/dashboard/groups/northfield/agenda?date=2025-03-01")
    assert page.locator("h3").count() == 3
    assert "St Mark's church hall" in page.inner_text(".agenda-meta")
    pdf = page.pdf(format="A4", print_background=False)
    with open(os.path.join(screenshot_dir, "agenda-dashboard.pdf"), "wb") as fh:
        fh.write(pdf)
    assert _pages(pdf) == 2
    context.close()


def test_the_agenda_file_prints_on_two_a4_pages(browser: Any, app: Flask, server: str):  # noqa: F811
    token = app.config["TEST_COORDINATOR_TOKEN"]
    html = app.test_client().get(
        "/api/v1/groups/northfield/agenda",
        query_string={"date": "2025-03-01", "format": "html"},
        headers=bearer(token),
    )
    context = browser.new_context()
    page = context.new_page()
    page.set_content(html.get_data(as_text=True))
    assert _pages(page.pdf(format="A4")) == 2
    context.close()


def test_agenda_fits_a_360_pixel_phone(browser: Any, server: str, screenshot_dir: str):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    sign_in(page, server)
    page.goto(f"{server}/dashboard/groups/northfield/agenda?date=2025-03-01")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate(
        "[...document.querySelectorAll('.agenda table')].every(t => t.scrollWidth <= 360)"
    )
    page.screenshot(path=os.path.join(screenshot_dir, "agenda-360.png"), full_page=True)
    context.close()
