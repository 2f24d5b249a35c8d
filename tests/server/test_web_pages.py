"""Dashboard pages over the test client: what each shows, what each changes, who may see it."""

from __future__ import annotations

import io
import json
import re
import uuid
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select

from server.db import db
from server.models import SurveyVersion
from tests.server.conftest import TEST_SURVEY, bearer
from tests.server.test_web_data import HOSTILE, post_form, seed, sign_in

XLSFORMS = Path(__file__).parent.parent / "survey_schemas" / "xlsforms"
ABBEY_PAGES = (
    "/dashboard/areas/abbey",
    "/dashboard/areas/abbey/issues/speeding",
    "/dashboard/triage/?area=abbey",
    "/dashboard/reach/?area=abbey",
    "/dashboard/groups/northfield/meetings",
    "/dashboard/groups/northfield/agenda",
)


@pytest.fixture
def seeded(app: Flask, client: FlaskClient) -> FlaskClient:
    """Return a client of an app holding the dashboard's users and responses."""
    seed(app, client)
    return client


def mentions(client: FlaskClient, category: str) -> int:
    html = client.get("/dashboard/areas/abbey").get_data(as_text=True)
    found = re.search(rf'data-mentions="{category}">(\d+)<', html)
    assert found, f"{category} is not on the area page"
    return int(found.group(1))


def triage_id(client: FlaskClient, text: str) -> str:
    html = client.get("/dashboard/triage/").get_data(as_text=True)
    shown = re.escape(str(escape(text)))
    found = re.search(rf'“{shown}”.*?action="/dashboard/triage/(\d+)"', html, re.S)
    assert found, f"{text!r} is not waiting in triage"
    return found.group(1)


def test_home_shows_the_coordinators_group_areas_and_top_issues(seeded: FlaskClient):
    sign_in(seeded, "cora")
    html = seeded.get("/dashboard/").get_data(as_text=True)
    assert "Northfield CSG" in html and "Abbey" in html and "Bell Green" in html
    assert "Elm Park" not in html and "Riverside" not in html
    assert re.search(r'class="stat">5</span> responses', html)
    top = re.search(r'<ol class="top-issues">(.*?)</ol>', html, re.S)
    assert top and top.group(1).index("Speeding") < top.group(1).index("Littering")


def test_admin_sees_every_group(seeded: FlaskClient):
    sign_in(seeded, "ada")
    html = seeded.get("/dashboard/").get_data(as_text=True)
    assert "Northfield CSG" in html and "Riverside CSG" in html


@pytest.mark.parametrize("url", ABBEY_PAGES)
def test_another_groups_coordinator_gets_not_found(seeded: FlaskClient, url: str):
    sign_in(seeded, "rita")
    assert seeded.get(url).status_code == 404


def test_another_groups_coordinator_sees_none_of_its_texts_or_devices(seeded: FlaskClient):
    sign_in(seeded, "cora")
    item = triage_id(seeded, "Broken glass by the swings")
    post_form(seeded, "/dashboard/devices/", "/dashboard/devices/codes", {"group": "northfield"})
    sign_in(seeded, "rita")
    triage = seeded.get("/dashboard/triage/").get_data(as_text=True)
    assert "Riverside secret comment" in triage and "Broken glass" not in triage
    resp = post_form(seeded, "/dashboard/", f"/dashboard/triage/{item}", {"action": "dismiss"})
    assert resp.status_code == 404
    assert "Northfield" not in seeded.get("/dashboard/devices/").get_data(as_text=True)


def test_area_page_ranks_issues_with_charts_methods_and_filters(seeded: FlaskClient):
    sign_in(seeded, "cora")
    html = seeded.get("/dashboard/areas/abbey").get_data(as_text=True)
    assert mentions(seeded, "speeding") == 3 and mentions(seeded, "litter") == 1
    assert '<svg class="spark"' in html and "Speeding: 3 mentions" in html
    assert "Split by method" in html and "/areas/abbey/public" in html
    only_meeting = seeded.get("/dashboard/areas/abbey?method=meeting").get_data(as_text=True)
    assert 'data-mentions="speeding">1<' in only_meeting and "litter" not in only_meeting
    assert re.search(r"\b1 response from .*, by meeting only\.", only_meeting)  # singular
    assert re.search(r"\b\d+ responses from", html)
    bad = seeded.get("/dashboard/areas/abbey?since=2025-03-01&until=2025-01-01")
    assert "since must not be after until" in bad.get_data(as_text=True)


def test_mapping_a_comment_counts_it_as_a_mention(seeded: FlaskClient):
    sign_in(seeded, "cora")
    assert mentions(seeded, "litter") == 1
    item = triage_id(seeded, "Broken glass by the swings")
    resp = post_form(
        seeded,
        "/dashboard/triage/",
        f"/dashboard/triage/{item}",
        {"action": "map", "category": "litter"},
    )
    assert resp.status_code == 302
    assert "mapped to Littering" in seeded.get(resp.location).get_data(as_text=True)
    assert mentions(seeded, "litter") == 2
    area = seeded.get("/dashboard/areas/abbey").get_data(as_text=True)
    assert "“Broken glass by the swings”" in area  # now a representative quote


def test_dismissing_a_comment_leaves_the_counts(seeded: FlaskClient):
    sign_in(seeded, "cora")
    item = triage_id(seeded, HOSTILE)
    post_form(seeded, "/dashboard/triage/", f"/dashboard/triage/{item}", {"action": "dismiss"})
    assert mentions(seeded, "litter") == 1
    assert "&lt;script&gt;" not in seeded.get("/dashboard/triage/").get_data(as_text=True)


def test_map_without_a_category_changes_nothing(seeded: FlaskClient):
    sign_in(seeded, "cora")
    item = triage_id(seeded, "Broken glass by the swings")
    resp = post_form(seeded, "/dashboard/triage/", f"/dashboard/triage/{item}", {"action": "map"})
    assert "Choose a category" in seeded.get(resp.location).get_data(as_text=True)
    assert triage_id(seeded, "Broken glass by the swings") == item


def test_issue_page_agrees_changes_status_logs_and_publishes(seeded: FlaskClient):
    sign_in(seeded, "cora")
    page = "/dashboard/areas/abbey/issues/speeding"
    post_form(seeded, page, page + "/agree", {"owner": "Police", "report_back": "2025-04-01"})
    post_form(seeded, page, page + "/status", {"status": "in_progress", "note": "Speed checks"})
    post_form(seeded, page, page + "/actions", {"text": "Camera van on Abbey Road"})
    preview = post_form(
        seeded, page, page + "/public", {"text": "Checks twice a week", "action": "preview"}
    )
    assert "Preview: how residents will see it" in preview.get_data(as_text=True)
    assert "Checks twice a week" not in seeded.get("/areas/abbey/public").get_data(as_text=True)
    post_form(seeded, page, page + "/public", {"text": "Checks twice a week", "action": "publish"})
    html = seeded.get(page).get_data(as_text=True)
    for text in ("Police", "2025-04-01", "in progress", "Speed checks", "Camera van on Abbey Road"):
        assert text in html
    assert "Checks twice a week" in seeded.get("/areas/abbey/public").get_data(as_text=True)


def test_issue_form_errors_sit_next_to_their_fields(seeded: FlaskClient):
    sign_in(seeded, "cora")
    page = "/dashboard/areas/abbey/issues/speeding"
    resp = post_form(
        seeded, page, page + "/agree", {"owner": "Police", "report_back": "2025-01-01"}
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert 'href="#agree-report_back"' in html and 'id="agree-report_back-error"' in html


def test_provider_sees_and_updates_only_its_issues(seeded: FlaskClient):
    sign_in(seeded, "cora")
    for category, owner in (("speeding", "Police"), ("litter", "Council")):
        page = f"/dashboard/areas/abbey/issues/{category}"
        post_form(seeded, page, page + "/agree", {"owner": owner, "report_back": "2025-04-01"})
    sign_in(seeded, "pc")
    home = seeded.get("/dashboard/").get_data(as_text=True)
    assert "Issues assigned to Police" in home and "Speeding" in home and "Littering" not in home
    assert seeded.get("/dashboard/areas/abbey/issues/litter").status_code == 404
    assert seeded.get("/dashboard/areas/abbey").status_code == 403
    assert seeded.get("/dashboard/triage/").status_code == 403
    page = "/dashboard/areas/abbey/issues/speeding"
    ok = post_form(seeded, page, page + "/status", {"status": "in_progress", "note": "On it"})
    assert ok.status_code == 302
    refused = post_form(seeded, page, page + "/status", {"status": "closed", "note": "Done"})
    assert refused.status_code == 403
    assert post_form(seeded, page, page + "/public", {"text": "x"}).status_code == 403


def test_meeting_decision_appears_on_the_next_agenda(seeded: FlaskClient):
    sign_in(seeded, "cora")
    group = "/dashboard/groups/northfield/meetings"
    made = post_form(seeded, group, group, {"date": "2025-03-01", "apologies": "Cllr Smith"})
    assert made.location == f"{group}/2025-03-01"
    resp = post_form(
        seeded,
        made.location,
        made.location + "/decisions",
        {"area": "abbey", "category": "speeding", "owner": "Police", "report_back": "2025-04-01"},
    )
    assert resp.status_code == 302
    agenda = seeded.get("/dashboard/groups/northfield/agenda?date=2025-03-29").get_data(
        as_text=True
    )
    assert "Last meeting: 2025-03-01" in agenda
    previous = re.search(r'<table class="reflow previous">(.*?)</table>', agenda, re.S)
    assert previous and "Speeding" in previous.group(1) and "Police" in previous.group(1)
    assert "Police to report back by 2025-04-01" in agenda


def test_meeting_for_an_area_of_another_group_is_refused(seeded: FlaskClient):
    sign_in(seeded, "cora")
    group = "/dashboard/groups/northfield/meetings"
    made = post_form(seeded, group, group, {"date": "2025-03-01"})
    resp = post_form(
        seeded,
        made.location,
        made.location + "/decisions",
        {
            "area": "elm-park",
            "category": "speeding",
            "owner": "Police",
            "report_back": "2025-04-01",
        },
    )
    assert resp.status_code == 400 and "Choose one of the group" in resp.get_data(as_text=True)


def test_enrollment_code_enrolls_a_device_that_revoking_stops(seeded: FlaskClient):
    sign_in(seeded, "cora")
    resp = post_form(
        seeded,
        "/dashboard/devices/",
        "/dashboard/devices/codes",
        {"label": "Abbey Pi", "group": "northfield"},
    )
    html = resp.get_data(as_text=True)
    code = re.search(r'id="enroll-code">([0-9A-Z-]+)<', html).group(1)
    assert (
        '<svg class="qr" role="img"' in html
        and f"doorstep collector enroll http://localhost {code}" in html
    )
    enrolled = seeded.post("/api/v1/devices/enroll", json={"code": code, "label": "Abbey Pi"})
    assert enrolled.status_code == 201
    device, token = enrolled.get_json()["device_id"], enrolled.get_json()["token"]
    listing = seeded.get("/dashboard/devices/").get_data(as_text=True)
    assert "Abbey Pi" in listing and device[:8] in listing
    post_form(seeded, "/dashboard/devices/", f"/dashboard/devices/{device}/revoke", {})
    assert "revoked" in seeded.get("/dashboard/devices/").get_data(as_text=True)
    push = seeded.post("/api/v1/sync/push", json={"responses": []}, headers=bearer(token))
    assert push.status_code == 401


def test_coordinator_cannot_make_codes_for_another_group(seeded: FlaskClient):
    sign_in(seeded, "cora")
    resp = post_form(
        seeded, "/dashboard/devices/", "/dashboard/devices/codes", {"group": "riverside"}
    )
    assert resp.status_code == 400 and "Choose one of your groups" in resp.get_data(as_text=True)


def upload(client: FlaskClient, name: str, content: bytes, purpose: str = ""):
    return post_form(
        client,
        "/dashboard/surveys/",
        "/dashboard/surveys/",
        {"survey": (io.BytesIO(content), name), "purpose": purpose},
    )


def test_survey_upload_adds_a_json_version(seeded: FlaskClient):
    sign_in(seeded, "ada")  # every group's survey: only an admin adds its versions
    v2 = json.dumps({**TEST_SURVEY, "version": 2}).encode()
    resp = upload(seeded, "test-safety-v2.json", v2)
    assert resp.status_code == 302
    assert "test-safety version 2 added" in seeded.get(resp.location).get_data(as_text=True)


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("bad.json", b"{not json", "not a JSON file"),
        ("list.json", b"[]", "a survey definition is a JSON object"),
        (
            "edited.json",
            json.dumps({**TEST_SURVEY, "title": {"en": "Changed"}}).encode(),
            "already released",
        ),
        (
            "broken.json",
            json.dumps({**TEST_SURVEY, "version": 3, "questions": []}).encode(),
            "question",
        ),
        (
            "or_other.xlsx",
            (XLSFORMS / "or_other.xlsx").read_bytes(),
            "choice_filter cannot be carried",
        ),
        ("junk.xlsx", b"not a workbook", "junk.xlsx"),
    ],
)
def test_survey_upload_problems_show_next_to_the_file(
    seeded: FlaskClient, name: str, content: bytes, problem: str
):
    sign_in(seeded, "ada")
    resp = upload(seeded, name, content)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    errors = re.search(r'id="survey-error">(.*?)</div>', html, re.S)
    assert errors and problem in errors.group(1)


def test_survey_upload_refuses_an_xlsform_without_a_purpose(seeded: FlaskClient):
    sign_in(seeded, "cora")
    form = (XLSFORMS / "yes_or_no_question.xlsx").read_bytes()
    resp = upload(seeded, "yes_or_no_question.xlsx", form)
    assert resp.status_code == 400
    errors = re.search(r'id="survey-error">(.*?)</div>', resp.get_data(as_text=True), re.S)
    assert errors and "purpose" in errors.group(1)
    assert "yes_or_no_question" not in seeded.get("/dashboard/surveys/").get_data(as_text=True)


def test_survey_upload_converts_an_xlsform_with_its_purpose(seeded: FlaskClient, app: Flask):
    sign_in(seeded, "cora")
    form = (XLSFORMS / "yes_or_no_question.xlsx").read_bytes()
    purpose = "We ask so the group can agree its priorities; only coordinators see answers."
    resp = upload(seeded, "yes_or_no_question.xlsx", form, purpose)
    assert resp.status_code == 302
    assert "yes_or_no_question" in seeded.get("/dashboard/surveys/").get_data(as_text=True)
    with app.app_context():
        row = db.session.execute(
            select(SurveyVersion).where(SurveyVersion.survey_id == "yes_or_no_question")
        ).scalar_one()
        assert set(row.definition["purpose"].values()) == {purpose}
        assert "purpose_placeholder" not in row.definition.get("x-xlsform", {})


def test_reach_shows_doors_contacts_surveys_and_hours(seeded: FlaskClient, app: Flask):
    token = seed_activity(seeded, app)
    assert token
    sign_in(seeded, "cora")
    html = seeded.get("/dashboard/reach/?area=abbey").get_data(as_text=True)
    doorstep = r'<th scope="row">Abbey</th>\s*<td data-label="Method">doorstep</td>(.*?)</tr>'
    row = re.search(doorstep, html, re.S)
    assert row
    cells = re.findall(r'<td class="num"[^>]*>([^<]*)</td>', row.group(1))
    assert cells == ["3", "2", "67%", "4", "2.0"]  # four doorstep responses
    assert '<svg class="bar"' in html


def seed_activity(client: FlaskClient, app: Flask) -> str:
    """Push a two-hour doorstep session with three doors in Abbey; return the device token."""
    from tests.server.conftest import device_token

    _, token = device_token(app)
    session_id = str(uuid.uuid4())
    doors = [
        {
            "id": str(uuid.uuid4()),
            "session_id": session_id,
            "area": "abbey",
            "outcome": o,
            "at": "2025-02-20T10:30:00+00:00",
        }
        for o in ("surveyed", "no_answer", "refused")
    ]
    body = {
        "sessions": [
            {
                "id": session_id,
                "area": "abbey",
                "mode": "doorstep",
                "started_at": "2025-02-20T10:00:00+00:00",
                "ended_at": "2025-02-20T12:00:00+00:00",
            }
        ],
        "doors": doors,
    }
    resp = client.post("/api/v1/sync/activity", json=body, headers=bearer(token))
    assert resp.status_code == 200, resp.get_json()
    return token


def test_hostile_text_is_escaped_on_every_page(seeded: FlaskClient):
    sign_in(seeded, "cora")
    item = triage_id(seeded, HOSTILE)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in seeded.get("/dashboard/triage/").get_data(
        as_text=True
    )
    post_form(
        seeded,
        "/dashboard/triage/",
        f"/dashboard/triage/{item}",
        {"action": "map", "category": "speeding"},
    )
    page = "/dashboard/areas/abbey/issues/speeding"
    post_form(
        seeded,
        page,
        page + "/agree",
        {"owner": HOSTILE, "report_back": "2025-04-01", "note": HOSTILE},
    )
    post_form(seeded, page, page + "/public", {"text": HOSTILE, "action": "publish"})
    group = "/dashboard/groups/northfield/meetings"
    post_form(
        seeded,
        group,
        group,
        {"date": "2025-03-01", "apologies": HOSTILE, "minutes": HOSTILE, "aob": HOSTILE},
    )
    post_form(
        seeded,
        "/dashboard/devices/",
        "/dashboard/devices/codes",
        {"label": HOSTILE, "group": "northfield"},
    )
    showing = {
        "/dashboard/areas/abbey",  # the mapped comment is a quote
        page,  # owner, log and public text
        "/dashboard/groups/northfield/meetings/2025-03-01",
        "/dashboard/groups/northfield/agenda?date=2025-03-20",
    }
    for url in (*showing, "/dashboard/", "/dashboard/triage/", "/dashboard/devices/"):
        html = seeded.get(url).get_data(as_text=True)
        assert HOSTILE not in html, url
        assert ("&lt;script&gt;alert(1)&lt;/script&gt;" in html) == (url in showing), url
