"""Out of the collector's reach: doors, streets and surveys wait on the phone, then arrive once."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_collector_app import (  # noqa: F401
    SAVED_WAIT,
    Serve,
    finish_survey,
    next_step,
    open_menu,
    serve,
    shot,
    sign_in,
)

pytestmark = pytest.mark.browser


def door(page: Any, house: str, outcome: str) -> None:
    """Type a house number and tap an outcome."""
    page.locator("#house").fill(house)
    page.locator(f"button[value={outcome}]").click()


def doors_in(collector: Any) -> list[tuple[str, str, str]]:
    """Return the store's doors as (street, house, outcome), oldest first."""
    found = collector.store.unsynced_visits()["doors"]
    return [(d["street"], d["house"], d["outcome"]) for d in sorted(found, key=lambda d: d["at"])]


def outbox(page: Any) -> list[Any]:
    """Return what the phone keeps to send."""
    return page.evaluate("JSON.parse(localStorage.getItem('doorstep-outbox') || '[]')")


def test_doors_streets_and_surveys_wait_offline_then_arrive_once(
    serve: Serve,  # noqa: F811
    phone: Any,
    screenshot_dir: str,
) -> None:
    collector = serve()
    sign_in(phone, collector.url)
    door_url = phone.url
    phone.context.set_offline(True)

    door(phone, "1", "no_answer")
    door(phone, "2", "refused")
    door(phone, "3", "come_back")
    expect(phone.locator("#offline-notice")).to_contain_text("Not sent yet")
    unsent = phone.locator(".door-list .unsent-item")
    expect(unsent).to_have_count(3)
    expect(unsent.first).to_contain_text("3")
    expect(unsent.first).to_contain_text("Come back later")
    expect(unsent.first).to_contain_text("not sent yet")
    expect(phone.locator("#unsent")).to_have_text("3 not sent yet")
    expect(phone.locator("#house")).to_have_value("")

    phone.get_by_role("link", name="Change street").click()
    phone.locator("#street-1").check()
    phone.locator("[data-panel=street] button[type=submit]").click()
    second_street = phone.locator("#street-1").get_attribute("value")
    expect(phone.locator("h1:visible")).to_have_text(f"Doors on {second_street}")

    door(phone, "4", "surveyed")
    expect(phone.locator("#survey-form:visible .caption")).to_have_text(f"{second_street}, 4")
    phone.get_by_label("Yes, I agree", exact=True).first.check()
    next_step(phone)
    phone.locator("#q-concerns-0").check()
    finish_survey(phone)
    expect(phone.locator("#offline-notice")).to_contain_text("Not saved yet")
    expect(phone.locator("#unsent")).to_have_text("5 not sent yet")
    shot(phone, screenshot_dir, "doorstep-offline-doors")
    assert phone.url == door_url  # never the browser's error page
    assert doors_in(collector) == [] and collector.store.status()["stored"] == 0

    phone.context.set_offline(False)
    expect(phone.locator(".notice-success").first).to_be_visible(timeout=SAVED_WAIT)
    expect(phone.locator("#unsent")).to_be_hidden()
    assert outbox(phone) == []
    assert doors_in(collector) == [
        ("Abbey Road", "1", "no_answer"),
        ("Abbey Road", "2", "refused"),
        ("Abbey Road", "3", "come_back"),
        (second_street, "4", "surveyed"),
    ]
    (saved,) = collector.store.iter_responses()
    assert saved["street"] == second_street and saved["answers"]["concerns"] == ["speeding"]

    phone.reload()  # nothing is sent again
    expect(phone.locator("h1:visible")).to_have_text(f"Doors on {second_street}")
    assert len(doors_in(collector)) == 4 and collector.store.status()["stored"] == 1


def test_a_lost_reply_records_the_door_once(serve: Serve, phone: Any) -> None:  # noqa: F811
    collector = serve()
    sign_in(phone, collector.url)
    lost = []

    def lose_first_reply(route: Any) -> None:
        if route.request.method == "POST" and not lost:
            route.fetch()  # the collector records the door...
            lost.append(route.request.url)
            route.abort()  # ...but the phone never hears back
        else:
            route.continue_()

    phone.route("**/doorstep/door", lose_first_reply)
    door(phone, "7", "no_answer")
    expect(phone.locator("#offline-notice")).to_contain_text("Not sent yet")
    expect(phone.locator(".notice-success").last).to_contain_text("Door 7", timeout=SAVED_WAIT)
    expect(phone.locator(".door-list li")).to_have_count(1)
    assert lost and doors_in(collector) == [("Abbey Road", "7", "no_answer")]


def test_a_page_out_of_reach_is_never_the_browsers_error_page(
    serve: Serve,  # noqa: F811
    phone: Any,
) -> None:
    collector = serve()
    sign_in(phone, collector.url)
    door_url = phone.url
    phone.context.set_offline(True)
    open_menu(phone)
    phone.get_by_role("link", name="Our area").click()
    expect(phone.locator("#unreachable")).to_be_visible()
    assert phone.url == door_url
    door(phone, "9", "no_answer")  # the door page still works
    expect(phone.locator("#unsent")).to_have_text("1 not sent yet")
    phone.context.set_offline(False)
    expect(phone.locator(".notice-success")).to_contain_text("Door 9", timeout=SAVED_WAIT)
    assert doors_in(collector) == [("Abbey Road", "9", "no_answer")]


def test_a_survey_kept_by_the_earlier_app_is_sent_after_an_update(
    serve: Serve,  # noqa: F811
    phone: Any,
) -> None:
    collector = serve()
    sign_in(phone, collector.url)
    csrf = phone.locator("form[data-door] input[name=csrf_token]").input_value()
    rid = "6f1c1a52-5a1e-4b8e-9d51-6a3f0b7b2c11"
    version = collector.store.registry.latest("doorstep-safety").version
    entries = [["csrf_token", csrf], ["response_id", rid], ["survey_version", str(version)],
               ["house", "5"], ["consent", "yes"], ["concerns", "speeding"]]  # fmt: skip
    phone.evaluate(
        "e => localStorage.setItem('doorstep-queued:/doorstep/survey?house=5', JSON.stringify(e))",
        entries,
    )
    phone.reload()
    expect(phone.locator(".notice-success")).to_contain_text("Door 5", timeout=SAVED_WAIT)
    assert [r["id"] for r in collector.store.iter_responses()] == [rid]
    assert outbox(phone) == []
    assert phone.evaluate("Object.keys(localStorage).filter(k => k.startsWith('doorstep-q'))") == []
