"""Kiosk mode in a real Chromium: one question per screen, resets, and nothing to wander into."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_collector_app import Serve, serve, shot  # noqa: F401

pytestmark = pytest.mark.browser

KIOSK = {"kiosk": "event-kiosk", "kiosk_exit_pin": "2468"}


def begin(page: Any, base: str) -> None:
    """Agree on the consent screen, naming the area."""
    page.goto(f"{base}/kiosk/")
    page.get_by_label("Abbey", exact=True).check()
    page.get_by_role("button", name="I agree, start").click()


def answer_all(page: Any, secret: str) -> None:
    """Answer every kiosk question, one screen at a time."""
    page.locator("#q-top_problem-0").check()
    page.get_by_role("button", name="Next").click()
    page.locator("#q-severity-4").check()
    page.get_by_role("button", name="Next").click()
    page.locator("#q-tell_us_more").fill(secret)
    page.get_by_role("button", name="Next").click()
    page.locator("#q-age_band-1").check()
    page.get_by_role("button", name="Finish").click()


def test_kiosk_resets_after_each_submission(
    serve: Serve,  # noqa: F811
    phone: Any,
    screenshot_dir: str,
) -> None:
    collector = serve(**KIOSK)
    phone.goto(collector.url)
    expect(phone.locator("h1")).to_have_text("Have your say")
    expect(phone.locator("#counts")).to_have_count(0)  # the public sees no figures at all
    shot(phone, screenshot_dir, "kiosk-start")
    begin(phone, collector.url)
    expect(phone.locator(".caption")).to_have_text("Question 1 of 4")
    shot(phone, screenshot_dir, "kiosk-question")
    answer_all(phone, "The lights on the path are out")
    expect(phone.locator("h1")).to_have_text("Thank you")
    shot(phone, screenshot_dir, "kiosk-done")
    (saved,) = collector.store.iter_responses()
    assert saved["method"] == "kiosk" and saved["area"] == "abbey" and saved["consent"] is True
    assert saved["answers"]["tell_us_more"] == "The lights on the path are out"

    phone.go_back()  # the next person tries to page back to the last answers
    expect(phone.locator("h1")).to_have_text("Have your say")
    phone.goto(f"{collector.url}/kiosk/question")
    expect(phone.locator("h1")).to_have_text("Have your say")
    expect(phone.locator("body")).not_to_contain_text("The lights on the path")


def test_kiosk_resets_after_idle_time(serve: Serve, phone: Any) -> None:  # noqa: F811
    collector = serve(kiosk="event-kiosk", kiosk_idle_seconds=3)
    begin(phone, collector.url)
    phone.locator("#q-top_problem-0").check()
    phone.get_by_role("button", name="Next").click()
    expect(phone.locator(".caption")).to_have_text("Question 2 of 4")
    expect(phone.locator(".notice-info")).to_contain_text("nobody used it", timeout=10_000)
    expect(phone.locator("h1")).to_have_text("Have your say")
    assert collector.store.drafts() == []  # the half-finished answers are gone, not kept


def test_kiosk_without_javascript_resets_when_idle_on_the_next_tap(
    serve: Serve,  # noqa: F811
    browser: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from collector.web import kiosk

    now = [1_000_000.0]
    monkeypatch.setattr(kiosk, "clock", lambda: now[0])
    collector = serve(kiosk="event-kiosk", kiosk_idle_seconds=60)
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    begin(page, collector.url)
    page.locator("#q-top_problem-0").check()
    page.get_by_role("button", name="Next").click()
    expect(page.locator(".caption")).to_have_text("Question 2 of 4")
    now[0] += 61  # the person walked away
    page.locator("#q-severity-2").check()
    page.get_by_role("button", name="Next").click()
    expect(page.locator(".notice-info")).to_contain_text("nobody used it")
    expect(page.locator("h1")).to_have_text("Have your say")
    assert collector.store.drafts() == [] and collector.store.status()["stored"] == 0
    context.close()


BLOCKED_PAGES = [
    "/",
    "/signin",
    "/doorstep/door",
    "/doorstep/survey",
    "/doorstep/summary",
    "/meeting/",
    "/area/abbey",
    "/kiosk/staff",
    "/assets/",
    "/static/",
    "/export",
    "/admin",
]
BLOCKED_API = [
    "/api/v1/status",
    "/api/v1/surveys",
    "/api/v1/areas",
    "/api/v1/export",
    "/api/v1/responses",
    "/api/v1/device",
]


def test_kiosk_cannot_reach_stored_data_by_url(serve: Serve, phone: Any) -> None:  # noqa: F811
    collector = serve(**KIOSK)
    begin(phone, collector.url)
    answer_all(phone, "SECRET-ANSWER-42")
    assert collector.store.status()["stored"] == 1
    for path in BLOCKED_PAGES:
        response = phone.goto(collector.url + path)
        landed = phone.url.removeprefix(collector.url)
        assert response.status == 404 or landed == "/kiosk/", path
        assert "SECRET-ANSWER-42" not in phone.content(), path
        expect(phone.locator("#counts")).to_have_count(0)
    for path in BLOCKED_API:
        response = phone.request.get(collector.url + path)
        assert response.status in (404, 405), path  # 405: that URL only takes a POST
        assert "SECRET-ANSWER-42" not in response.text(), path
    posted = phone.request.post(f"{collector.url}/api/v1/responses", data={"answers": {}})
    assert posted.status == 404


def test_exit_pin_unlocks_staff_screen_and_lock_returns(
    serve: Serve,  # noqa: F811
    phone: Any,
    screenshot_dir: str,
) -> None:
    collector = serve(**KIOSK)
    phone.goto(f"{collector.url}/kiosk/")
    phone.get_by_role("link", name="Staff").click()
    phone.get_by_label("Exit PIN").fill("1111")
    phone.get_by_role("button", name="Unlock").click()
    expect(phone.locator("#pin-error")).to_contain_text("not right")
    phone.get_by_label("Exit PIN").fill("2468")
    phone.get_by_role("button", name="Unlock").click()
    expect(phone.locator("h1")).to_have_text("Kiosk staff screen")
    expect(phone.locator("#counts")).to_have_text("0 saved, 0 unsynced")
    shot(phone, screenshot_dir, "kiosk-staff")
    phone.goto(f"{collector.url}/signin")
    expect(phone.locator("h1")).to_have_text("Sign in")
    phone.goto(f"{collector.url}/kiosk/staff")
    phone.get_by_role("button", name="Return to kiosk").click()
    expect(phone.locator("h1")).to_have_text("Have your say")
    phone.goto(f"{collector.url}/signin")
    expect(phone.locator("h1")).to_have_text("Have your say")


def test_kiosk_back_keeps_this_persons_answer_and_language_switch_works(
    serve: Serve,  # noqa: F811
    phone: Any,
) -> None:
    collector = serve(**KIOSK)
    begin(phone, collector.url)
    phone.locator("#q-top_problem-2").check()
    phone.get_by_role("button", name="Next").click()
    phone.get_by_role("button", name="Back").click()
    expect(phone.locator("#q-top_problem-2")).to_be_checked()
    phone.locator("#q-top_problem-3").check()  # a change of mind, not yet sent with Next
    phone.get_by_role("button", name="Polski").click()
    expect(phone.locator("html")).to_have_attribute("lang", "pl")
    expect(phone.locator(".caption")).to_have_text("Pytanie 1 z 4")
    expect(phone.locator("#q-top_problem-3")).to_be_checked()


def test_thank_you_says_saved_only_after_a_save_and_starts_again_by_script(
    serve: Serve,  # noqa: F811
    phone: Any,
) -> None:
    collector = serve(kiosk="event-kiosk")
    phone.goto(f"{collector.url}/kiosk/done")  # opened directly: nothing was saved
    expect(phone.locator("h1")).to_have_text("Have your say")
    expect(phone.locator("body")).not_to_contain_text("saved")
    begin(phone, collector.url)
    assert phone.locator("meta[http-equiv=refresh]").count() == 0
    answer_all(phone, "Broken glass by the swings")
    expect(phone.locator("h1")).to_have_text("Thank you")
    expect(phone.locator(".lead")).to_have_text("Your answers are saved.")
    assert phone.locator("meta[http-equiv=refresh]").count() == 0  # no timed refresh (WCAG 2.2.1)
    expect(phone.get_by_role("link", name="Start again")).to_be_visible()
    phone.reload()  # the thank-you may not be shown again for the same save
    expect(phone.locator("h1")).to_have_text("Have your say")
    assert collector.store.status()["stored"] == 1


def test_thank_you_returns_to_the_start_by_its_timer(serve: Serve, phone: Any) -> None:  # noqa: F811
    collector = serve(kiosk="event-kiosk")
    begin(phone, collector.url)
    answer_all(phone, "Dark underpass")
    expect(phone.locator("h1")).to_have_text("Thank you")
    expect(phone.locator("h1")).to_have_text("Have your say", timeout=20_000)


def test_kiosk_next_and_finish_are_in_reach_on_a_phone(serve: Serve, phone: Any) -> None:  # noqa: F811
    """At 360 x 740 the long first question and the last one keep Next/Finish on screen."""
    collector = serve(**KIOSK)
    begin(phone, collector.url)
    height = phone.viewport_size["height"]
    for name in ("Next", "Next", "Next", "Finish"):
        button = phone.get_by_role("button", name=name)
        box = button.bounding_box()
        assert box is not None and box["y"] + box["height"] <= height, (name, box)
        if name == "Next" and phone.locator(".caption").inner_text() == "Question 3 of 4":
            phone.locator("#q-tell_us_more").fill("x")
        else:
            phone.locator("main input[type=radio]").first.check()
        button.click()
    expect(phone.locator("h1")).to_have_text("Thank you")
