"""axe-core over every collector page state, at 360 px and 1280 px: no WCAG 2.2 AA violation.

axe-core comes from npm (``make test-support`` installs ``tests/support/package.json``). The
pages forbid inline and foreign script (CSP), so only this test's browser context bypasses the
policy to inject it; the collector's own headers are unchanged. A missing axe-core fails the
test in CI (``CI`` or ``DOORSTEP_REQUIRE_BROWSER`` set) rather than skipping it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_collector_app import (  # noqa: F401
    SAVED_WAIT,
    Collector,
    Serve,
    open_menu,
    serve,
    sign_in,
    write_our_area,
)
from tests.collector.test_storage_full import _leave_free, disk  # noqa: F401 (fixture)
from tests.conftest import _need

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[1] / "support" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = {"360": (360, 740), "1280": (1280, 800)}


@pytest.fixture(scope="session")
def axe_source() -> str:
    """Return axe-core's script, installed from npm."""
    if not AXE.exists():
        _need("axe-core", "run `make test-support` (npm ci in tests/support)")
    return AXE.read_text(encoding="utf-8")


class Audit:
    """Run axe on page states and keep every violation found, by state."""

    def __init__(self, page: Any, source: str) -> None:
        self.page = page
        self.source = source
        self.found: dict[str, list[str]] = {}
        self.states: list[str] = []

    def check(self, state: str) -> None:
        """Run axe on the page as it is now."""
        self.page.wait_for_load_state()
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            self.page.add_script_tag(content=self.source)
        result = self.page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
        )
        self.states.append(state)
        for v in result["violations"]:
            targets = [json.dumps(n["target"]) for n in v["nodes"]][:3]
            self.found.setdefault(state, []).append(f"{v['id']}: {v['help']} at {targets}")


def doorstep_states(audit: Audit, base: str, collector: Any) -> None:
    """Walk the volunteer's pages and panels, checking each state."""
    page = audit.page
    page.goto(f"{base}/signin")
    audit.check("sign in")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".error-summary")).to_be_visible()
    audit.check("sign in with errors")
    sign_in(page, base)
    audit.check("door page")
    page.locator("#house").fill("1")
    page.locator("button[value=no_answer]").click()
    expect(page.locator(".notice-success")).to_be_visible(timeout=SAVED_WAIT)
    audit.check("door page with a message")
    open_menu(page)
    audit.check("menu open")
    page.locator(".menu summary").click()

    page.get_by_role("link", name="Change street").click()
    audit.check("street panel")
    page.locator("[data-panel=street] .button-link").click()

    page.locator("#house").fill("2")
    page.locator("button[value=surveyed]").click()
    form = page.locator("#survey-form:visible")
    form.locator("[data-primary]").click()
    expect(form.locator(".error-summary")).to_be_visible()
    audit.check("survey step with an error")
    page.get_by_label("Yes, I agree", exact=True).first.check()
    for n in range(1, 12):
        audit.check(f"survey step {n}")
        primary = form.locator("[data-primary]")
        if primary.inner_text() == form.get_attribute("data-save"):
            break
        if n == 2:
            page.locator("#q-concerns-0").check()
        primary.click()

    page.goto(f"{base}/doorstep/survey?house=3")  # a problem only the collector finds
    page.get_by_label("Yes, I agree", exact=True).first.check()
    page.locator("#survey-form [data-primary]").click()
    page.locator("#q-concerns-0").check()
    page.locator("#q-concerns-block input[value=none]").check()
    for _ in range(12):
        primary = page.locator("#survey-form [data-primary]")
        if primary.inner_text() == "Save survey":
            primary.click()
            break
        primary.click()
    expect(page.locator(".error-summary").first).to_be_visible(timeout=SAVED_WAIT)
    audit.check("survey page with the collector's errors")

    page.goto(f"{base}/doorstep/street")
    audit.check("street page")
    page.goto(f"{base}/doorstep/door")
    page.context.set_offline(True)
    page.locator("#house").fill("4")
    page.locator("button[value=refused]").click()
    expect(page.locator("#unsent")).to_be_visible()
    audit.check("door page offline, not sent yet")
    open_menu(page)
    page.get_by_role("link", name="Our area").click()
    expect(page.locator("#unreachable")).to_be_visible()
    audit.check("door page, a page out of reach")
    page.context.set_offline(False)
    expect(page.locator("#unsent")).to_be_hidden(timeout=SAVED_WAIT)

    page.goto(f"{base}/meeting/")
    audit.check("meeting")
    page.locator("#q-concerns_raised-0").check()
    page.locator("#q-attendees").fill("lots")
    page.get_by_role("button", name="Save concern").click()
    expect(page.locator(".error-summary")).to_be_visible(timeout=SAVED_WAIT)
    audit.check("meeting with errors")
    page.goto(f"{base}/area/abbey")
    audit.check("our area with news")
    page.goto(f"{base}/area/elm-park")
    audit.check("our area without news")
    page.goto(f"{base}/doorstep/summary")
    audit.check("summary")
    page.goto(f"{base}/offline")
    audit.check("offline page")
    page.goto(f"{base}/no-such-page")
    audit.check("not found")
    page.goto(f"{base}/lang/ur?next=/doorstep/door")
    audit.check("door page in Urdu")
    page.locator("button[value=surveyed]").click()
    audit.check("survey in Urdu")


def kiosk_states(audit: Audit, base: str) -> None:
    """Walk a kiosk's screens, checking each state."""
    page = audit.page
    page.goto(f"{base}/kiosk/")
    audit.check("kiosk start")
    page.get_by_role("button", name="I agree, start").click()
    expect(page.locator(".error-summary")).to_be_visible()
    audit.check("kiosk start with an error")
    page.get_by_label("Abbey", exact=True).check()
    page.get_by_role("button", name="I agree, start").click()
    audit.check("kiosk question")
    page.get_by_role("button", name="Next").click()
    expect(page.locator(".error-summary")).to_be_visible()
    audit.check("kiosk question with an error")
    for _ in range(8):
        radio = page.locator("input.choice-input").first
        if radio.count():
            radio.check()
        button = page.locator("button[value=next]")
        label = button.inner_text()
        button.click()
        if label == "Finish":
            break
        audit.check(f"kiosk question {label}")
    expect(page.locator("h1")).to_have_text("Thank you")
    audit.check("kiosk thank you")
    page.goto(f"{base}/kiosk/exit")
    audit.check("kiosk exit")
    page.get_by_role("button", name="Unlock").click()
    audit.check("kiosk exit with an error")
    page.get_by_label("Exit PIN").fill("2468")
    page.get_by_role("button", name="Unlock").click()
    audit.check("kiosk staff")


@pytest.mark.parametrize("width", WIDTHS)
def test_every_collector_page_state_passes_axe(
    serve: Serve,  # noqa: F811
    browser: Any,
    axe_source: str,
    width: str,
) -> None:
    collector = serve()
    write_our_area(collector.data, [{"area": "abbey", "category": "speeding", "status": "open"}])
    w, h = WIDTHS[width]
    context = browser.new_context(
        viewport={"width": w, "height": h}, has_touch=True, bypass_csp=True
    )
    audit = Audit(context.new_page(), axe_source)
    try:
        doorstep_states(audit, collector.url, collector)
    finally:
        context.close()
    assert len(audit.states) >= 20, audit.states
    assert audit.found == {}, json.dumps(audit.found, indent=1, ensure_ascii=False)


@pytest.mark.parametrize("width", WIDTHS)
def test_every_kiosk_screen_passes_axe(
    serve: Serve,  # noqa: F811
    browser: Any,
    axe_source: str,
    width: str,
) -> None:
    collector = serve(kiosk="event-kiosk", kiosk_exit_pin="2468")
    w, h = WIDTHS[width]
    context = browser.new_context(
        viewport={"width": w, "height": h}, has_touch=True, bypass_csp=True
    )
    audit = Audit(context.new_page(), axe_source)
    try:
        kiosk_states(audit, collector.url)
    finally:
        context.close()
    assert len(audit.states) >= 8
    assert audit.found == {}, json.dumps(audit.found, indent=1, ensure_ascii=False)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_full_disk_page_passes_axe(
    disk: Path,  # noqa: F811
    free_port: int,
    browser: Any,
    axe_source: str,
    width: str,
) -> None:
    collector = Collector(disk / "data", free_port)
    w, h = WIDTHS[width]
    context = browser.new_context(
        viewport={"width": w, "height": h}, has_touch=True, bypass_csp=True
    )
    audit = Audit(context.new_page(), axe_source)
    try:
        sign_in(audit.page, collector.url)
        _leave_free(disk, 4 * 1024)
        page = audit.page
        again = page.get_by_role("button", name="Try again")
        for n in range(300):
            page.locator("#house").fill(f"{n}-" + "long house name " * 3)
            page.locator("button[value=no_answer]").click()
            page.locator(f".notice-success:has-text('Door {n}-')").or_(again).wait_for()
            if again.count():
                break
        expect(audit.page.locator("h1")).to_contain_text("disk is full")
        audit.check("full disk")
    finally:
        context.close()
        collector.close()
    assert audit.found == {}, json.dumps(audit.found, indent=1, ensure_ascii=False)


def test_axe_finds_a_violation_when_there_is_one(browser: Any, axe_source: str) -> None:
    # The positive control: the same check does report a page that breaks WCAG 2.2.1.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.set_content(
        '<html lang="en"><head><title>t</title><meta http-equiv="refresh" content="5">'
        "</head><body><main><h1>Hi</h1><img src=x></main></body></html>"
    )
    audit = Audit(page, axe_source)
    audit.check("broken page")
    context.close()
    found = " ".join(audit.found.get("broken page", []))
    assert "meta-refresh" in found and "image-alt" in found
