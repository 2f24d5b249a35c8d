"""A real collector on loopback for the browser tests, and the checks every page shares."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from collector.app import close_app, create_app
from collector.store import ResponseStore
from tests.waitress_thread import WaitressThread

pytestmark = pytest.mark.browser

Serve = Callable[..., "Collector"]
# How long to wait for "Saved": a submit first checks the collector is reachable, then saves with
# fsync; on a busy shared test machine that can take several seconds. A bound, not a speed check.
SAVED_WAIT = 20_000


class Collector:
    """A collector app served by waitress in a thread; ``url`` is its base address."""

    def __init__(self, data: Path, port: int, **settings: Any) -> None:
        self.data = data
        self.app = create_app({"data": data, **settings})
        self.served = WaitressThread(self.app, port=port, threads=4)
        self.url = self.served.url
        self.closed = False

    @property
    def store(self) -> ResponseStore:
        """Return the running app's store."""
        store: ResponseStore = self.app.extensions["doorstep_store"]
        return store

    def close(self) -> None:
        """Stop serving and close the store (again is harmless)."""
        if self.closed:
            return
        self.closed = True
        self.served.stop()
        close_app(self.app)


@pytest.fixture
def serve(tmp_path: Path, free_port: int) -> Iterator[Serve]:
    """Yield a function that starts a collector on loopback with the given settings."""
    started: list[Collector] = []

    def start(**settings: Any) -> Collector:
        collector = Collector(tmp_path / "data", free_port, **settings)
        started.append(collector)
        return collector

    yield start
    for collector in started:
        collector.close()


def sign_in(page: Any, base: str, name: str = "Ann", area: str = "Abbey") -> None:
    """Sign in as a volunteer and pick the first street of the area."""
    page.goto(f"{base}/signin")
    page.get_by_label("Your name or a pseudonym").fill(name)
    page.get_by_label(area, exact=True).check()
    page.get_by_role("button", name="Continue").click()
    page.locator("#street-0").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/doorstep/door")


def open_menu(page: Any) -> None:
    """Open the header's menu (Doors, Meeting, Our area, Summary)."""
    page.locator(".menu summary").click()


def next_step(page: Any) -> None:
    """Tap the survey's primary button (Continue, or Save survey on the last step)."""
    page.locator("#survey-form:visible [data-primary]").click()


def finish_survey(page: Any) -> None:
    """Tap Continue through the remaining steps, then the save button."""
    form = page.locator("#survey-form:visible")
    save = form.get_attribute("data-save")
    for _ in range(12):
        button = form.locator("[data-primary]")
        label = button.inner_text()
        button.click()
        if label == save:
            return
    raise AssertionError("the survey never reached its save button")


def write_our_area(data: Path, issues: list[dict[str, Any]]) -> None:
    """Write the file the our-area page reads until sync brings issues from the server."""
    data.mkdir(parents=True, exist_ok=True)
    (data / "our-area.json").write_text(json.dumps(issues), encoding="utf-8")


def shot(page: Any, screenshot_dir: str, name: str) -> None:
    """Save a full-page screenshot for people to look at."""
    page.screenshot(path=os.path.join(screenshot_dir, f"collector-{name}.png"), full_page=True)


def test_every_page_is_no_wider_than_a_small_phone(serve: Serve, browser: Any) -> None:
    collector = serve()
    write_our_area(collector.data, [{"area": "abbey", "category": "speeding", "status": "open"}])
    context = browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True)
    page = context.new_page()
    sign_in(page, collector.url)
    for path in ["/doorstep/door", "/doorstep/survey?house=1", "/meeting/", "/area/abbey"]:
        page.goto(collector.url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
    context.close()


def test_pages_carry_a_strict_content_security_policy(serve: Serve, phone: Any) -> None:
    collector = serve()
    response = phone.goto(f"{collector.url}/signin")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert phone.locator("script:not([src])").count() == 0
    assert phone.locator("[style]").count() == 0


def test_touch_targets_are_at_least_44_pixels(serve: Serve, phone: Any) -> None:
    collector = serve()
    sign_in(phone, collector.url)
    phone.goto(f"{collector.url}/doorstep/survey?house=1")
    small = phone.evaluate(
        """() => [...document.querySelectorAll('button, .choice, input.input, a.link')]
              .filter(el => el.offsetParent !== null)
              .map(el => [el.className, el.getBoundingClientRect().height])
              .filter(([_, h]) => h < 44)"""
    )
    assert small == []
