"""Meeting mode and the our-area page in a real phone-sized Chromium."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_collector_app import (  # noqa: F401
    SAVED_WAIT,
    Serve,
    open_menu,
    serve,
    shot,
    sign_in,
    write_our_area,
)

pytestmark = pytest.mark.browser


def test_meeting_records_concerns_with_the_attendee_count(
    serve: Serve,  # noqa: F811
    phone: Any,
    screenshot_dir: str,
) -> None:
    collector = serve()
    sign_in(phone, collector.url)
    open_menu(phone)
    phone.get_by_role("link", name="Meeting").click()
    expect(phone.locator("h1:visible")).to_have_text("Group meeting")
    phone.get_by_label("Area").select_option("bell-green")
    phone.get_by_label("Speeding", exact=False).first.check()
    phone.locator("#q-attendees").fill("23")
    shot(phone, screenshot_dir, "meeting")
    phone.get_by_role("button", name="Save concern").click()
    expect(phone.locator(".notice-success")).to_contain_text(
        "Saved. Record the next concern.", timeout=SAVED_WAIT
    )
    expect(phone.locator("#q-attendees")).to_have_value("23")  # same meeting, same count
    expect(phone.get_by_label("Area")).to_have_value("bell-green")
    (saved,) = collector.store.iter_responses()
    assert saved["method"] == "meeting" and saved["area"] == "bell-green"
    assert saved["answers"]["attendees"] == 23


def test_meeting_asks_again_for_a_missing_count(serve: Serve, phone: Any) -> None:  # noqa: F811
    collector = serve()
    sign_in(phone, collector.url)
    phone.goto(f"{collector.url}/meeting/")
    phone.locator("#q-concerns_raised-0").check()
    phone.locator("#q-attendees").fill("lots")
    phone.get_by_role("button", name="Save concern").click()
    expect(phone.locator(".error-summary")).to_be_focused()
    phone.locator(".error-summary a").first.click()
    expect(phone.locator("#q-attendees")).to_be_focused()
    expect(phone.locator("#q-attendees-error")).to_contain_text("Enter a number")
    assert collector.store.status()["stored"] == 0


def test_our_area_shows_what_was_done_offline_and_escaped(
    serve: Serve,  # noqa: F811
    phone: Any,
    screenshot_dir: str,
) -> None:
    collector = serve()
    write_our_area(
        collector.data,
        [
            {
                "area": "abbey",
                "category": "speeding",
                "status": "agreed",
                "owner": "Police",
                "public_text": "Speedwatch sessions on Abbey Road every Friday.",
                "updated_at": "2025-03-01T10:00:00+00:00",
            },
            {"area": "abbey", "category": "graffiti", "status": "done", "public_text": "<b>x</b>"},
            {"area": "elm-park", "category": "litter", "status": "open"},
        ],
    )
    dialogs: list[str] = []
    phone.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(phone, collector.url)
    open_menu(phone)
    phone.get_by_role("link", name="Our area").click()
    expect(phone.locator("h1:visible")).to_have_text("Our area: Abbey")
    issues = phone.locator(".issue")
    expect(issues).to_have_count(2)
    expect(issues.first).to_contain_text("Speedwatch sessions on Abbey Road every Friday.")
    expect(issues.first).to_contain_text("Agreed priority")
    expect(issues.nth(1)).to_contain_text("<b>x</b>")
    shot(phone, screenshot_dir, "our-area")
    phone.get_by_label("Another area").select_option("elm-park")
    phone.get_by_role("button", name="Show").click()
    expect(phone.locator("h1")).to_have_text("Our area: Elm Park")
    expect(phone.locator(".issue")).to_have_count(1)
    assert dialogs == []
