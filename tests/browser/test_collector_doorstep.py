"""Doorstep mode in a real phone-sized Chromium: doors, the survey, languages, relevance."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from survey_schemas import bundled_registry
from tests.browser.test_collector_app import (  # noqa: F401
    SAVED_WAIT,
    Serve,
    serve,
    shot,
    sign_in,
)

pytestmark = pytest.mark.browser

# The collector offers the latest version of the bundled doorstep survey.
CONCERNS = bundled_registry().latest("doorstep-safety").by_id["concerns"]
SPEEDING = next(c for c in CONCERNS.choices if c.value == "speeding")
EN = {"agree": "Yes, I agree", "speeding": SPEEDING.label["en"], "save": "Save survey"}
PL = {"agree": "Tak, zgadzam się", "speeding": SPEEDING.label["pl"], "save": "Zapisz ankietę"}


def open_survey(page: Any, house: str) -> None:
    """Tap "Surveyed" for a door, which opens the survey."""
    page.locator("#house").fill(house)
    page.locator("button[value=surveyed]").click()


def fill_doorstep_survey(page: Any, words: dict[str, str], house: str) -> None:
    """Open the survey from a door and answer it with consent and one concern."""
    open_survey(page, house)
    page.get_by_label(words["agree"], exact=True).first.check()
    page.get_by_label(words["speeding"]).check()
    page.locator("#q-severity-3").check()
    page.get_by_role("button", name=words["save"]).click()


def test_doorstep_survey_in_english_then_polish(
    serve: Serve,  # noqa: F811
    phone: Any,
    screenshot_dir: str,
) -> None:
    collector = serve()
    sign_in(phone, collector.url)
    phone.locator("#house").fill("1")
    phone.locator("button[value=no_answer]").click()
    expect(phone.locator(".notice")).to_contain_text("Door 1 recorded: No answer")

    open_survey(phone, "3")
    expect(phone.locator(".purpose")).to_contain_text("We are volunteers")
    shot(phone, screenshot_dir, "doorstep-survey-en")
    phone.get_by_label(EN["agree"], exact=True).first.check()
    phone.get_by_label(EN["speeding"]).check()
    phone.locator("#q-severity-3").check()
    phone.get_by_role("button", name=EN["save"]).click()
    expect(phone.locator(".notice-success")).to_contain_text(
        "Saved. Door 3 recorded as surveyed.", timeout=SAVED_WAIT
    )
    expect(phone.locator("#counts")).to_have_text("1 saved, 1 unsynced")
    shot(phone, screenshot_dir, "doorstep-door")

    phone.get_by_role("link", name="Polski").click()
    expect(phone.locator("html")).to_have_attribute("lang", "pl")
    fill_doorstep_survey(phone, PL, "5")
    expect(phone.locator(".notice-success")).to_contain_text(
        "Zapisano. Drzwi 5: ankieta.", timeout=SAVED_WAIT
    )
    expect(phone.locator("#counts")).to_have_text("Zapisane: 2, niewysłane: 2")

    saved = list(collector.store.iter_responses())
    assert [r["language"] for r in saved] == ["en", "pl"]
    assert all(r["answers"]["concerns"] == ["speeding"] for r in saved)
    assert all(r["street"] == "Abbey Road" and r["method"] == "doorstep" for r in saved)

    phone.get_by_role("link", name="English").click()
    phone.get_by_role("link", name="Summary").click()
    figures = phone.locator(".figures dd").all_inner_texts()
    assert figures[:3] == ["3", "2", "2"]  # doors, contacts, surveys
    shot(phone, screenshot_dir, "doorstep-summary")


def test_urdu_pages_read_right_to_left(
    serve: Serve,  # noqa: F811
    phone: Any,
    screenshot_dir: str,
) -> None:
    collector = serve()
    sign_in(phone, collector.url)
    phone.get_by_role("link", name="اردو").click()
    html = phone.locator("html")
    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", "ur")
    open_survey(phone, "7")
    expect(phone.locator("h1")).to_have_text("محفوظ گلیوں کا سروے")
    assert phone.evaluate("getComputedStyle(document.body).direction") == "rtl"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, screenshot_dir, "doorstep-survey-ur")


def test_relevance_shows_and_hides_a_question(serve: Serve, phone: Any) -> None:  # noqa: F811
    collector = serve()
    sign_in(phone, collector.url)
    open_survey(phone, "9")
    other = phone.locator("#q-other_concern-block")
    concerns = phone.locator("#q-concerns-block")
    expect(concerns).to_be_hidden()  # nothing applies before consent
    phone.get_by_label(EN["agree"], exact=True).first.check()
    expect(concerns).to_be_visible()
    expect(other).to_be_hidden()
    phone.get_by_label("Something else").check()
    expect(other).to_be_visible()
    phone.locator("#q-other_concern").fill("Cars racing at night")
    phone.get_by_label("Something else").uncheck()
    expect(other).to_be_hidden()
    expect(phone.locator("#q-other_concern")).to_be_disabled()
    phone.get_by_label(EN["speeding"]).check()
    phone.get_by_role("button", name=EN["save"]).click()
    expect(phone.locator(".notice-success")).to_contain_text("Saved", timeout=SAVED_WAIT)
    (saved,) = collector.store.iter_responses()
    assert "other_concern" not in saved["answers"]


def test_declining_consent_saves_nothing_and_records_a_refusal(
    serve: Serve,  # noqa: F811
    phone: Any,
) -> None:
    collector = serve()
    sign_in(phone, collector.url)
    open_survey(phone, "11")
    phone.locator("#q-consent-1").check()
    phone.get_by_role("button", name=EN["save"]).click()
    expect(phone.locator(".notice-info")).to_contain_text("nothing was saved", timeout=SAVED_WAIT)
    assert collector.store.status()["stored"] == 0
    expect(phone.locator(".door-list")).to_contain_text("Refused")


def test_form_posts_and_explains_relevance_without_javascript(
    serve: Serve,  # noqa: F811
    browser: Any,
    screenshot_dir: str,
) -> None:
    collector = serve()
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, java_script_enabled=False
    )
    page = context.new_page()
    sign_in(page, collector.url)
    open_survey(page, "4")
    other = page.locator("#q-other_concern-block")
    expect(other).to_be_visible()
    expect(other.locator(".condition")).to_contain_text("Answer only if you chose “Something else”")
    page.get_by_label(EN["agree"], exact=True).first.check()
    page.get_by_label(EN["speeding"]).check()
    page.locator("#q-other_concern").fill("Racing at night")  # does not apply: no "other"
    page.get_by_role("button", name=EN["save"]).click()

    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link")).to_contain_text("does not apply")
    expect(page.locator("#q-other_concern-error")).to_be_visible()
    expect(page.locator("#q-other_concern")).to_have_value("Racing at night")
    shot(page, screenshot_dir, "doorstep-no-js-errors")
    assert collector.store.status()["stored"] == 0

    page.get_by_label("Something else").check()
    page.get_by_role("button", name=EN["save"]).click()
    expect(page.locator(".notice-success")).to_contain_text("Saved", timeout=SAVED_WAIT)
    (saved,) = collector.store.iter_responses()
    assert saved["answers"]["other_concern"] == "Racing at night"
    context.close()


def test_hostile_text_stays_inert(
    serve: Serve,  # noqa: F811
    phone: Any,
) -> None:
    collector = serve()
    dialogs: list[str] = []
    phone.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    hostile = "<script>alert(1)</script>"
    phone.goto(f"{collector.url}/signin")
    phone.get_by_label("Your name or a pseudonym").fill(hostile)
    phone.get_by_label("Abbey", exact=True).check()
    phone.get_by_role("button", name="Continue").click()
    phone.locator("#other").fill(hostile)
    phone.get_by_role("button", name="Continue").click()
    expect(phone.locator("h1")).to_contain_text(hostile)
    open_survey(phone, hostile)
    phone.get_by_label(EN["agree"], exact=True).first.check()
    phone.get_by_label("Something else").check()
    phone.get_by_label("None of these").check()  # cannot go with a problem: re-shown
    phone.locator("#q-other_concern").fill(hostile)
    phone.get_by_role("button", name=EN["save"]).click()
    # the re-shown page, not the one being left (its field has the text too): then fix it
    expect(phone.locator(".error-summary")).to_be_focused()
    expect(phone.locator("#q-other_concern")).to_have_value(hostile)
    phone.get_by_label("None of these").uncheck()
    phone.get_by_role("button", name=EN["save"]).click()
    expect(phone.locator(".notice-success")).to_contain_text(
        f"Door {hostile} recorded", timeout=SAVED_WAIT
    )
    (saved,) = collector.store.iter_responses()
    assert saved["answers"]["other_concern"] == hostile and saved["street"] == hostile
    assert dialogs == []
    assert phone.locator("script:not([src])").count() == 0


def test_offline_submit_says_not_saved_then_sends_when_back(
    serve: Serve,  # noqa: F811
    phone: Any,
    screenshot_dir: str,
) -> None:
    collector = serve()
    sign_in(phone, collector.url)
    open_survey(phone, "21")
    phone.get_by_label(EN["agree"], exact=True).first.check()
    phone.get_by_label(EN["speeding"]).check()
    phone.context.set_offline(True)
    phone.get_by_role("button", name=EN["save"]).click()
    notice = phone.locator("#offline-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Not saved yet")
    shot(phone, screenshot_dir, "doorstep-offline-queued")
    assert collector.store.status()["stored"] == 0
    phone.context.set_offline(False)
    expect(phone.locator(".notice-success")).to_contain_text("Saved", timeout=SAVED_WAIT)
    assert collector.store.status()["stored"] == 1


def test_service_worker_keeps_the_survey_page_offline(
    serve: Serve,  # noqa: F811
    phone: Any,
) -> None:
    collector = serve()
    sign_in(phone, collector.url)
    phone.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller")
    open_survey(phone, "8")
    expect(phone.locator("h1")).to_have_text("Safer streets survey")
    url = phone.url
    phone.context.set_offline(True)
    collector.close()  # the Wi-Fi is gone and so is the collector: only the phone's copy is left
    phone.reload()
    assert phone.url == url
    expect(phone.locator("h1")).to_have_text("Safer streets survey")
    expect(phone.locator("#q-consent-0")).to_be_visible()
    offline = phone.evaluate(
        "fetch('/ping', {cache: 'no-store'}).then(() => 'reached').catch(() => 'unreachable')"
    )
    assert offline == "unreachable"
    assert re.search(r"/doorstep/survey\?house=8$", url)
