"""Doorstep mode in a real phone-sized Chromium: doors, the stepped survey, languages, relevance."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from collector.web.steps import plan_steps
from survey_schemas import bundled_registry
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
from tests.sealing_keys import give_key

pytestmark = pytest.mark.browser

# The collector offers the latest version of the bundled doorstep survey.
LATEST = bundled_registry().latest("doorstep-safety")
STEPS = len(plan_steps(LATEST))
CONCERNS = LATEST.by_id["concerns"]
SPEEDING = next(c for c in CONCERNS.choices if c.value == "speeding")
EN = {"agree": "Yes, I agree", "speeding": SPEEDING.label["en"], "save": "Save survey"}
PL = {"agree": "Tak, zgadzam się", "speeding": SPEEDING.label["pl"], "save": "Zapisz ankietę"}
SURVEY = "#survey-form:visible"


def open_survey(page: Any, house: str) -> None:
    """Tap "Surveyed" for a door, which opens the survey."""
    page.locator("#house").fill(house)
    page.locator("button[value=surveyed]").click()


def answer_with_speeding(page: Any, words: dict[str, str]) -> None:
    """Agree, then choose speeding with a severity, leaving the survey at its second step."""
    page.get_by_label(words["agree"], exact=True).first.check()
    next_step(page)
    page.get_by_label(words["speeding"], exact=True).check()
    page.locator("#q-severity-3").check()


def fill_doorstep_survey(page: Any, words: dict[str, str], house: str) -> None:
    """Open the survey from a door, answer consent and one concern, and save."""
    open_survey(page, house)
    answer_with_speeding(page, words)
    finish_survey(page)


def test_doorstep_survey_in_english_then_polish(
    serve: Serve,  # noqa: F811
    phone: Any,
    screenshot_dir: str,
) -> None:
    collector = serve()
    sign_in(phone, collector.url)
    phone.locator("#house").fill("1")
    phone.locator("button[value=no_answer]").click()
    expect(phone.locator(".notice-success")).to_contain_text("Door 1 recorded: No answer")

    open_survey(phone, "3")
    expect(phone.locator(".purpose")).to_contain_text("We are volunteers")
    expect(phone.locator(f"{SURVEY} .caption")).to_have_text("Abbey Road, 3")
    shot(phone, screenshot_dir, "doorstep-survey-en")
    answer_with_speeding(phone, EN)
    finish_survey(phone)
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
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    open_menu(phone)
    phone.get_by_role("link", name="Summary").click()
    expect(phone.locator("h1:visible")).to_have_text("Your session")
    figures = phone.locator(".figures dd").all_inner_texts()
    assert figures[:3] == ["3", "2", "2"]  # doors, contacts, surveys
    shot(phone, screenshot_dir, "doorstep-summary")


def test_survey_steps_keep_the_button_in_reach_and_count_progress(
    serve: Serve,  # noqa: F811
    browser: Any,
    screenshot_dir: str,
) -> None:
    collector = serve()
    give_key(collector.store)  # a device that has pulled its group's key asks for contact too
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    sign_in(page, collector.url)
    header = page.locator(".header").bounding_box()
    assert header["height"] <= 110, header  # the header was 237 px of the 740
    for outcome in ("no_answer", "refused", "come_back", "surveyed"):
        box = page.locator(f"button[value={outcome}]").bounding_box()
        assert box["y"] + box["height"] <= 740, outcome
    open_survey(page, "8")
    form = page.locator(SURVEY)
    steps = form.locator("section[data-step]")
    progress = form.locator(".progress-text")
    expect(progress).to_have_text(f"Step 1 of {STEPS}")  # what is ahead hangs on consent
    seen = []
    page.get_by_label(EN["agree"], exact=True).first.check()
    for _ in range(12):
        button = form.locator("[data-primary]").bounding_box()
        assert 0 <= button["y"] and button["y"] + button["height"] <= 740, progress.inner_text()
        assert steps.locator(":visible").count() >= 1
        seen.append(progress.inner_text())
        shot(page, screenshot_dir, f"doorstep-step-{len(seen)}")
        if form.locator("[data-primary]").inner_text() == EN["save"]:
            break
        if len(seen) == 2:
            page.get_by_label(EN["speeding"], exact=True).check()
        next_step(page)
    assert seen[0] == f"Step 1 of {STEPS}" and seen[-1].startswith(f"Step {len(seen)} of ")
    assert len(seen) >= 3
    context.close()


def test_a_required_question_is_asked_for_before_the_next_step(
    serve: Serve,  # noqa: F811
    phone: Any,
) -> None:
    collector = serve()
    give_key(collector.store)  # every step, the contact one included
    sign_in(phone, collector.url)
    open_survey(phone, "4")
    next_step(phone)  # consent not answered
    summary = phone.locator(f"{SURVEY} .error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Choose an answer")
    expect(phone.locator(f"{SURVEY} .progress-text")).to_have_text(f"Step 1 of {STEPS}")
    phone.get_by_label(EN["agree"], exact=True).first.check()
    next_step(phone)
    expect(phone.locator(f"{SURVEY} .progress-text")).to_have_text(f"Step 2 of {STEPS}")
    expect(summary).to_be_hidden()
    assert collector.store.status()["stored"] == 0


def test_switching_language_mid_survey_keeps_the_answers(
    serve: Serve,  # noqa: F811
    phone: Any,
) -> None:
    collector = serve()
    sign_in(phone, collector.url)
    open_survey(phone, "6")
    answer_with_speeding(phone, EN)
    total = phone.locator(f"{SURVEY} .progress-text").inner_text().split(" of ")[1]
    phone.get_by_role("link", name="Polski").click()
    expect(phone.locator("html")).to_have_attribute("lang", "pl")
    form = phone.locator(SURVEY)
    expect(form.locator(".progress-text")).to_have_text(f"Krok 2 z {total}")
    expect(phone.get_by_label(PL["speeding"], exact=True)).to_be_checked()
    expect(phone.locator("#q-severity-3")).to_be_checked()
    expect(form.locator(".caption")).to_have_text("Abbey Road, 6")
    phone.get_by_role("button", name="English").click()  # on the survey page: a form button
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    expect(phone.get_by_label(EN["speeding"], exact=True)).to_be_checked()
    finish_survey(phone)
    expect(phone.locator(".notice-success")).to_contain_text("Door 6", timeout=SAVED_WAIT)
    (saved,) = collector.store.iter_responses()
    assert saved["answers"]["concerns"] == ["speeding"] and saved["answers"]["severity"] == 4
    assert saved["language"] == "en" and saved["answers"]["consent"] is True


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
    expect(phone.locator("h1:visible")).to_have_text("محفوظ گلیوں کا سروے")
    assert phone.evaluate("getComputedStyle(document.body).direction") == "rtl"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, screenshot_dir, "doorstep-survey-ur")


def test_relevance_shows_and_hides_a_question(serve: Serve, phone: Any) -> None:  # noqa: F811
    collector = serve()
    sign_in(phone, collector.url)
    open_survey(phone, "9")
    other = phone.locator(f"{SURVEY} #q-other_concern-block")
    concerns = phone.locator(f"{SURVEY} #q-concerns-block")
    expect(concerns).to_be_hidden()  # nothing applies before consent
    phone.get_by_label(EN["agree"], exact=True).first.check()
    next_step(phone)
    expect(concerns).to_be_visible()
    phone.get_by_label(EN["speeding"], exact=True).check()
    phone.get_by_label("Something else").check()
    while not other.is_visible():  # on this step, or one of its own further on
        next_step(phone)
    phone.locator("#q-other_concern").fill("Cars racing at night")
    while not concerns.is_visible():
        phone.locator(f"{SURVEY} [data-step-back]").click()
    phone.get_by_label("Something else").uncheck()
    expect(other).to_be_hidden()
    expect(phone.locator("#q-other_concern")).to_be_disabled()
    finish_survey(phone)
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
    expect(phone.locator(f"{SURVEY} [data-primary]")).to_have_text(EN["save"])
    expect(phone.locator(f"{SURVEY} .progress-text")).to_have_text("Step 1 of 1")
    next_step(phone)
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
    assert page.url.endswith("/doorstep/survey?house=4")  # its own page, every step shown
    other = page.locator("#q-other_concern-block")
    expect(other).to_be_visible()
    expect(other.locator(".condition")).to_contain_text("Answer only if you chose “Something else”")
    page.get_by_label(EN["agree"], exact=True).first.check()
    page.get_by_label(EN["speeding"], exact=True).check()
    page.locator("#q-other_concern").fill("Racing at night")  # does not apply: no "other"
    page.get_by_role("button", name=EN["save"]).click()

    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link")).to_contain_text("does not apply")
    expect(page.locator("#q-other_concern-error")).to_be_visible()
    expect(page.locator("#q-other_concern")).to_have_value("Racing at night")
    shot(page, screenshot_dir, "doorstep-no-js-errors")
    assert collector.store.status()["stored"] == 0

    page.get_by_role("button", name="Polski").click()  # a language button keeps the answers
    expect(page.locator("#q-other_concern")).to_have_value("Racing at night")
    page.get_by_role("button", name="English").click()
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
    expect(phone.locator("h1:visible")).to_contain_text(hostile)
    open_survey(phone, hostile)
    expect(phone.locator(f"{SURVEY} .caption")).to_contain_text(hostile)
    phone.get_by_label(EN["agree"], exact=True).first.check()
    next_step(phone)
    phone.get_by_label("Something else").check()
    while not phone.locator("#q-other_concern").is_visible():
        next_step(phone)
    phone.locator("#q-other_concern").fill(hostile)
    finish_survey(phone)
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
    phone.goto(f"{collector.url}/doorstep/survey?house=21")  # the survey's own page
    answer_with_speeding(phone, EN)
    phone.context.set_offline(True)
    finish_survey(phone)
    notice = phone.locator("#offline-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Not saved yet")
    shot(phone, screenshot_dir, "doorstep-offline-queued")
    assert collector.store.status()["stored"] == 0
    phone.context.set_offline(False)
    expect(phone.locator(".notice-success")).to_contain_text("Saved", timeout=SAVED_WAIT)
    assert collector.store.status()["stored"] == 1


def test_service_worker_keeps_the_door_page_offline(
    serve: Serve,  # noqa: F811
    phone: Any,
) -> None:
    collector = serve()
    sign_in(phone, collector.url)
    phone.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller")
    phone.goto(f"{collector.url}/doorstep/door")
    expect(phone.locator("h1:visible")).to_have_text("Doors on Abbey Road")
    url = phone.url
    phone.context.set_offline(True)
    collector.close()  # the Wi-Fi is gone and so is the collector: only the phone's copy is left
    phone.reload()
    assert phone.url == url
    expect(phone.locator("h1:visible")).to_have_text("Doors on Abbey Road")
    open_survey(phone, "8")
    expect(phone.locator("h1:visible")).to_have_text("Safer streets survey")
    expect(phone.locator("#q-consent-0")).to_be_visible()
    offline = phone.evaluate(
        "fetch('/ping', {cache: 'no-store'}).then(() => 'reached').catch(() => 'unreachable')"
    )
    assert offline == "unreachable"
