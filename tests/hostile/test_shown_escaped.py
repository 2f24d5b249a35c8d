"""Hostile text that one part stores shows escaped where another part shows it."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from flask import Flask

from collector.app import close_app, create_app
from collector.json_text import loads
from tests.collector.test_store import SURVEY
from tests.hostile.corpus import XSS, XSS_ESCAPED
from tests.server.conftest import bearer, device_token, serve_in_thread, user_token


def test_public_text_pulled_to_a_collector_shows_escaped_on_its_area_page(
    app: Flask, live_server: str, tmp_path: Path
) -> None:
    admin = bearer(user_token(app, "ada", "admin"))
    issue = requests.post(
        f"{live_server}/api/v1/areas/abbey/issues",
        json={"category": "speeding", "owner": XSS, "report_back": "2025-04-01"},
        headers=admin,
        timeout=30,
    ).json()
    requests.put(
        f"{live_server}/api/v1/issues/{issue['id']}/public",
        json={"text": f"We did {XSS}"},
        headers=admin,
        timeout=30,
    ).raise_for_status()
    pulled = requests.get(
        f"{live_server}/api/v1/sync/pull", headers=bearer(device_token(app)[1]), timeout=30
    ).json()
    collector = create_app({"data": tmp_path / "collector", "TESTING": True})
    collector.extensions["doorstep_store"].set_pulled(
        surveys=[SURVEY], areas=pulled["areas"], issues=pulled["issues"]
    )
    try:
        with serve_in_thread(collector) as url:
            page = requests.get(f"{url}/area/abbey", timeout=30).text
    finally:
        close_app(collector)
    assert XSS not in page
    assert f"We did {XSS_ESCAPED}" in page


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"[" * 10_000 + b"]" * 10_000, "nested too deeply"),
        (b'{"a": "\\ud800"}', "lone surrogate"),
        (b'["\\udc00x"]', "lone surrogate"),
        (b'{"a\\u0000": 1}', "NUL"),
        (b'"\xff"', "not UTF-8"),
    ],
)
def test_json_that_no_database_can_hold_is_refused_with_a_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        loads(raw)


def test_surrogate_pairs_and_escaped_backslashes_are_plain_text() -> None:
    assert loads(b'{"t": "\\ud83d\\ude00 \\\\u0000"}') == {"t": "\U0001f600 \\u0000"}
