"""Every answer of both apps carries the security headers, and no page has inline script."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from collector.app import close_app
from tests.collector.test_api import make_app
from tests.security.routes import requests_of
from tests.server.test_web_data import seed, sign_in

SERVER_VALUES = {
    "code": "abbey",
    "group": "northfield",
    "issue_id": "1",
    "item_id": "1",
    "category": "speeding",
    "day": "2025-03-01",
    "device_id": "no-such-device",
    "filename": "dash.css",
    "kid": "no-such-key",
    "response_id": "no-such-response",
    "token": "no-such-token",
    "survey_id": "test-safety",
    "version": "1",
    "user_id": "1",
}
COLLECTOR_VALUES = {"code": "abbey", "filename": "app.js"}
# A <script> tag that runs code written into the page rather than a file from the site.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


def assert_safe_headers(reply: TestResponse, where: str) -> None:
    """Check the headers every answer must carry, and that the page has no inline script."""
    headers = reply.headers
    csp = headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp, where
    script_src = re.search(r"(?:script-src|default-src)[^;]*", csp)
    assert script_src and "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("Referrer-Policy") in ("same-origin", "no-referrer"), where
    for cookie in headers.getlist("Set-Cookie"):
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie, (where, cookie)
    if reply.mimetype == "text/html":
        html = reply.get_data(as_text=True)
        assert not INLINE_SCRIPT.search(html), where
        assert not INLINE_HANDLER.search(html), where


def call_every_route(client: FlaskClient, app: Flask, values: dict[str, str]) -> list[str]:
    """Call every route of ``app`` once and check each answer; return what was called."""
    called = []
    for endpoint, method, url in requests_of(app, values):
        reply = client.open(url, method=method, json={} if method != "GET" else None)
        assert_safe_headers(reply, f"{method} {url} ({endpoint}) -> {reply.status_code}")
        reply.close()  # a file answer holds its file open until closed
        called.append(endpoint)
    return called


def test_every_server_answer_has_the_headers(app: Flask, client: FlaskClient) -> None:
    seed(app, client)
    admin = app.test_client()
    assert sign_in(admin, "ada").status_code == 302
    for browser in (client, admin):  # anonymous answers (mostly refusals), then an admin's
        called = call_every_route(browser, app, SERVER_VALUES)
        assert {"web.home.index", "areas.list_areas", "public.area_public"} <= set(called)
        for url in ("/no/such/page", "/api/v1/no-such", "/dashboard/no-such"):
            assert_safe_headers(browser.get(url), url)  # errors too


def test_the_public_page_style_is_allowed_by_its_hash(client: FlaskClient) -> None:
    reply = client.get("/areas/abbey/public")
    html = reply.get_data(as_text=True)
    blocks = re.findall(r"<style>(.*?)</style>", html, re.DOTALL)
    assert blocks, "the public page carries its own style so it prints offline"
    for block in blocks:
        digest = base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in reply.headers["Content-Security-Policy"]


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(tmp_path / "collector")
    yield app
    close_app(app)


def test_every_collector_answer_has_the_headers(collector: Flask) -> None:
    client = collector.test_client()
    called = call_every_route(client, collector, COLLECTOR_VALUES)
    assert {"api.health", "api.status", "shell.index", "kiosk.start"} <= set(called)
    for url in ("/no/such/page", "/api/v1/no-such"):
        assert_safe_headers(client.get(url), url)
