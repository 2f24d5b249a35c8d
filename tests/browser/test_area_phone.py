"""The area page on a 360 px phone: the top five first, the rest one tap away, nothing too wide."""

from __future__ import annotations

import os
from typing import Any

import pytest
from flask import Flask

from tests.browser.test_dashboard_flows import sign_in
from tests.server.conftest import app, clock, database_url, live_server  # noqa: F401
from tests.server.test_figures import _seed

pytestmark = pytest.mark.browser


@pytest.fixture
def server(app: Flask, live_server: str) -> str:  # noqa: F811
    _seed(app, app.test_client())
    return live_server


def test_area_page_on_a_phone_leads_with_the_top_five(browser: Any, server: str, screenshot_dir):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    sign_in(page, server)
    page.goto(f"{server}/dashboard/areas/abbey")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.locator("#more-priorities tbody tr").first.is_hidden()
    assert page.get_by_text("Ranked by how many people raised each issue").is_visible()
    page.screenshot(path=os.path.join(screenshot_dir, "area-360.png"), full_page=True)
    screens = page.evaluate("document.documentElement.scrollHeight / window.innerHeight")
    page.tap("#more-priorities summary")
    assert page.locator("#more-priorities tbody tr").first.is_visible()
    print(f"area page at 360 px: {screens:.1f} screens with the rest folded")
    context.close()
