"""The dashboard in headless Chromium, phone and laptop size, against a real loopback server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from collector.app import close_app as close_collector
from collector.app import create_app as create_collector
from tests.conftest import LAPTOP, PHONE
from tests.server.conftest import (  # noqa: F401
    TEST_SURVEY,
    app,
    clock,
    database_url,
    live_server,
)
from tests.server.test_web_data import HOSTILE, PASSWORD, seed

pytestmark = pytest.mark.browser
SIZES = {"phone": PHONE, "laptop": LAPTOP}
DOORSTEP = str(Path(sys.executable).parent / "doorstep")


@pytest.fixture
def server(app: Flask, live_server: str) -> str:  # noqa: F811
    """Return the base URL of a live server holding the dashboard's users and responses."""
    client: FlaskClient = app.test_client()
    seed(app, client)
    return live_server


@pytest.fixture(params=sorted(SIZES))
def page(request: pytest.FixtureRequest, browser: Any) -> Iterator[Any]:
    """Yield a fresh page at phone size and at laptop size; fail on any dialog."""
    context = browser.new_context(**SIZES[request.param])
    page = context.new_page()
    page.dialogs = []  # type: ignore[attr-defined]
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.size = request.param  # type: ignore[attr-defined]
    yield page
    context.close()


def sign_in(page: Any, server: str, name: str = "cora") -> None:
    page.goto(f"{server}/dashboard/")
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{server}/dashboard/")


def fits(page: Any) -> bool:
    """Return whether nothing on the page is wider than the screen."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def shot(page: Any, screenshot_dir: str, name: str) -> None:
    page.screenshot(
        path=os.path.join(screenshot_dir, f"dashboard-{name}-{page.size}.png"), full_page=True
    )


def mentions(page: Any, server: str, category: str) -> int:
    page.goto(f"{server}/dashboard/areas/abbey")
    return int(page.inner_text(f"[data-mentions='{category}']"))


def test_coordinator_signs_in_and_sees_only_their_groups_areas(
    page: Any, server: str, screenshot_dir: str
):
    page.goto(f"{server}/dashboard/")
    assert "/dashboard/sign-in" in page.url and fits(page)
    shot(page, screenshot_dir, "sign-in")
    sign_in(page, server)
    cards = page.locator("article.card h3").all_inner_texts()
    assert cards == ["Abbey", "Bell Green"]
    assert "Elm Park" not in page.inner_text("main")
    assert fits(page)
    shot(page, screenshot_dir, "home")
    page.goto(f"{server}/dashboard/areas/elm-park")
    assert "Page not found" in page.inner_text("h1")


def test_area_page_shows_the_right_top_issue(page: Any, server: str, screenshot_dir: str):
    sign_in(page, server)
    page.click("a:has-text('Abbey')")
    first = page.locator("table.priorities tbody tr").first
    assert first.locator("th a").inner_text() == "Speeding"
    assert first.locator("[data-mentions]").inner_text() == "3"
    assert page.locator("svg.spark").count() == 2
    assert fits(page)
    shot(page, screenshot_dir, "area")
    page.select_option("#method", "meeting")
    page.click("button:has-text('Apply filters')")
    assert "method=meeting" in page.url
    assert page.locator("table.priorities tbody tr").count() == 1


def test_triage_one_item_and_the_mention_count_changes(page: Any, server: str, screenshot_dir: str):
    sign_in(page, server)
    assert mentions(page, server, "litter") == 1
    page.goto(f"{server}/dashboard/triage/")
    assert fits(page)
    shot(page, screenshot_dir, "triage")
    item = page.locator("li.triage-item", has_text="Broken glass by the swings")
    item.locator("select").select_option("litter")
    item.locator("button:has-text('Map')").click()
    assert "mapped to Littering" in page.inner_text(".banner")
    assert page.locator("li.triage-item", has_text="Broken glass").count() == 0
    assert mentions(page, server, "litter") == 2


def test_meeting_decision_shows_on_the_next_agenda(page: Any, server: str, screenshot_dir: str):
    sign_in(page, server)
    page.click("a:has-text('Meetings')")
    page.fill("#date", "2025-03-01")
    page.fill("#apologies", "Cllr Smith")
    page.click("button:has-text('Save meeting')")
    assert "Meeting on 2025-03-01" in page.inner_text("h1")
    page.select_option("#area", "abbey")
    page.select_option("#category", "speeding")
    page.fill("#owner", "Police")
    page.fill("#report_back", "2025-04-01")
    page.click("button:has-text('Record decision')")
    assert "Agreed: Speeding in Abbey" in page.inner_text(".banner")
    assert fits(page)
    shot(page, screenshot_dir, "meeting")
    page.goto(f"{server}/dashboard/groups/northfield/agenda?date=2025-03-29")
    previous = page.inner_text("table.previous")
    assert "Speeding" in previous and "Police" in previous and "2025-04-01" in previous
    assert "Last meeting: 2025-03-01" in page.inner_text("main")
    shot(page, screenshot_dir, "agenda")
    page.emulate_media(media="print")
    assert page.locator("header.header").is_hidden()


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOORSTEP_")}
    return subprocess.run(
        [DOORSTEP, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_enroll_a_collector_then_revoke_it(
    page: Any, server: str, screenshot_dir: str, tmp_path: Path
):
    sign_in(page, server)
    page.click("a:has-text('Devices')")
    page.fill("#label", "Abbey Pi")
    page.click("button:has-text('Create enrollment code')")
    code = page.inner_text("#enroll-code")
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    assert page.locator("svg.qr").is_visible()
    assert page.inner_text("#enroll-command") == f"doorstep collector enroll {server} {code}"
    assert fits(page)
    shot(page, screenshot_dir, "devices-code")
    data = tmp_path / "collector"
    enrolled = run(
        "collector",
        "enroll",
        server,
        code,
        "--data",
        str(data),
        "--label",
        "Abbey Pi",
        cwd=tmp_path,
    )
    assert enrolled.returncode == 0, enrolled.stderr
    assert run("collector", "sync", "--data", str(data), cwd=tmp_path).returncode == 0
    page.goto(f"{server}/dashboard/devices/")
    row = page.locator("table.devices tbody tr", has_text="Abbey Pi")
    assert "Never" not in row.inner_text()  # its sync is recorded
    row.locator("button:has-text('Revoke')").click()
    assert "revoked" in page.inner_text(".banner")
    shot(page, screenshot_dir, "devices")
    refused = run("collector", "sync", "--data", str(data), cwd=tmp_path)
    assert refused.returncode != 0
    assert "revoked" in (refused.stderr + refused.stdout).lower() or "enroll" in refused.stderr


def test_a_coordinators_own_survey_reaches_their_groups_collector(
    page: Any, server: str, screenshot_dir: str, tmp_path: Path
):
    survey = tmp_path / "walk.json"
    survey.write_text(json.dumps({**TEST_SURVEY, "id": "northfield-walk", "version": 1}))
    shared = tmp_path / "shared-v2.json"
    shared.write_text(json.dumps({**TEST_SURVEY, "version": 2}))
    sign_in(page, server)
    page.click("a:has-text('Surveys')")
    assert page.locator("#group option").all_inner_texts() == ["Northfield CSG"]  # hers alone
    page.set_input_files("#survey", str(shared))
    page.click("button:has-text('Upload survey')")
    assert "only an admin can add a version of it" in page.inner_text("#survey-error")
    page.set_input_files("#survey", str(survey))
    page.click("button:has-text('Upload survey')")
    assert "northfield-walk version 1 added: Northfield CSG's own survey." in page.inner_text(
        ".banner"
    )
    assert fits(page)
    shot(page, screenshot_dir, "surveys-own")
    page.click("a:has-text('Devices')")
    page.click("button:has-text('Create enrollment code')")  # for her group: her only one
    code = page.inner_text("#enroll-code")
    data = tmp_path / "collector"
    assert (
        run("collector", "enroll", server, code, "--data", str(data), cwd=tmp_path).returncode == 0
    )
    assert run("collector", "sync", "--data", str(data), cwd=tmp_path).returncode == 0
    collector = create_collector({"data": data})
    try:
        surveys = collector.test_client().get("/api/v1/surveys").get_json()["surveys"]
    finally:
        close_collector(collector)
    assert {s["id"] for s in surveys} >= {"northfield-walk", "test-safety"}


def test_script_in_user_text_stays_inert_everywhere(page: Any, server: str, screenshot_dir: str):
    sign_in(page, server)
    issue = f"{server}/dashboard/areas/abbey/issues/speeding"
    page.goto(issue)
    page.fill("#agree-owner", HOSTILE)
    page.fill("#agree-report_back", "2025-04-01")
    page.fill("#agree-note", HOSTILE)
    page.click("button:has-text('Agree priority')")
    page.fill("#public-text", HOSTILE)
    page.click("button:has-text('Preview')")
    assert HOSTILE in page.inner_text(".preview")
    page.click("button:has-text('Publish')")
    page.goto(f"{server}/dashboard/triage/")
    item = page.locator("li.triage-item", has_text=HOSTILE)
    assert item.count() == 1
    shot(page, screenshot_dir, "triage-hostile")
    for url in (
        "/dashboard/",
        "/dashboard/areas/abbey",
        "/dashboard/areas/abbey/issues/speeding",
        "/dashboard/triage/",
        "/dashboard/groups/northfield/meetings",
        "/dashboard/groups/northfield/agenda?date=2025-03-20",
        "/dashboard/devices/",
        "/dashboard/surveys/",
        "/dashboard/reach/",
        "/areas/abbey/public",
    ):
        page.goto(server + url)
        assert page.locator("script").count() == 0, url
        if url.startswith("/dashboard"):
            assert fits(page), url
    page.goto(issue)
    shot(page, screenshot_dir, "issue")
    assert page.dialogs == []  # type: ignore[attr-defined]


def test_every_page_fits_a_360_pixel_screen(browser: Any, server: str, screenshot_dir: str):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.size = "360"
    sign_in(page, server)
    for name, url in (
        ("home", "/dashboard/"),
        ("area", "/dashboard/areas/abbey"),
        ("issue", "/dashboard/areas/abbey/issues/speeding"),
        ("triage", "/dashboard/triage/"),
        ("meetings", "/dashboard/groups/northfield/meetings"),
        ("agenda", "/dashboard/groups/northfield/agenda"),
        ("devices", "/dashboard/devices/"),
        ("surveys", "/dashboard/surveys/"),
        ("reach", "/dashboard/reach/"),
    ):
        page.goto(server + url)
        assert fits(page), url
        assert page.locator("main#main").count() == 1 and page.locator("a.skip-link").count() == 1
        unlabelled = page.evaluate(
            "[...document.querySelectorAll("
            "'main input:not([type=hidden]), main select, main textarea')]"
            ".filter(e => !(e.labels && e.labels.length)).length"
        )
        assert unlabelled == 0, url
        shot(page, screenshot_dir, name)
    context.close()
