"""Contact details typed into the phone's doorstep survey reach the disk only sealed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_collector_app import (  # noqa: F401
    SAVED_WAIT,
    Serve,
    next_step,
    serve,
    sign_in,
)
from tests.browser.test_collector_doorstep import EN, answer_with_speeding, open_survey
from tests.sealing_keys import give_key, opened

pytestmark = pytest.mark.browser

PHONE, EMAIL = "07700 900314", "resident.314@example.org"


def on_disk(folder: Path, text: str) -> list[Path]:
    """Return the files under ``folder`` that hold ``text`` (plain or JSON-escaped)."""
    needles = {text.encode(), json.dumps(text).encode()}
    files = [p for p in folder.rglob("*") if p.is_file()]
    return [p for p in files if any(n in p.read_bytes() for n in needles)]


def test_phone_and_email_typed_in_the_browser_are_sealed_before_they_are_saved(
    serve: Serve,  # noqa: F811
    phone: Any,
) -> None:
    collector = serve()
    give_key(collector.store)
    sign_in(phone, collector.url)
    open_survey(phone, "7")
    answer_with_speeding(phone, EN)
    for _ in range(8):  # continue to the step that asks whether to hear back
        if phone.locator("#q-recontact-0").is_visible():
            break
        next_step(phone)
    phone.locator("#q-recontact-0").check()
    phone.locator("#q-contact_phone").fill(PHONE)
    phone.locator("#q-contact_email").fill(EMAIL)
    form = phone.locator("#survey-form:visible")
    for _ in range(8):
        button = form.locator("[data-primary]")
        last = button.inner_text() == form.get_attribute("data-save")
        button.click()
        if last:
            break
    expect(phone.locator(".notice-success")).to_contain_text("Saved.", timeout=SAVED_WAIT)
    (saved,) = collector.store.unsynced()
    assert opened(saved["personal"], saved["id"]) == {
        "contact_phone": PHONE,
        "contact_email": EMAIL,
    }
    collector.close()
    for secret in (PHONE, EMAIL, "900314", "resident.314"):
        assert on_disk(collector.data, secret) == [], secret


def test_without_a_key_the_phone_is_told_why_it_asks_no_contact_details(
    serve: Serve,  # noqa: F811
    phone: Any,
) -> None:
    collector = serve()
    sign_in(phone, collector.url)
    open_survey(phone, "8")
    assert phone.locator("#q-contact_phone").count() == 0
    assert phone.locator("#q-recontact-0").count() == 0
    expect(phone.locator("#no-contact-note")).to_have_count(1)
    expect(phone.locator("#no-contact-note")).to_contain_text("no contact key")
