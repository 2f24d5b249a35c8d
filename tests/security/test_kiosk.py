"""A locked kiosk reaches no stored answer or contact detail by any URL of the collector.

Earlier respondents' answers are saved in the real store first, with distinctive text; then
every route of the collector's URL map is called the way a kiosk visitor could — from the
kiosk's own screen (loopback) and from a phone on the Pi's Wi-Fi, as a page and as JSON, with
the kiosk session in the middle of a respondent's turn — and no answer may show them.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from collector.app import close_app
from tests.collector.test_api import KEY, make_app
from tests.collector.test_store import response
from tests.sealing_keys import give_key
from tests.security.routes import requests_of

EARLIER_ANSWER = "Needles behind the KIOSK-9931 garages"
EARLIER_PHONE = "07700 918273"
VALUES = {"code": "abbey", "filename": "app.js"}
PLACES = {"kiosk screen": "127.0.0.1", "phone on the Wi-Fi": "192.168.4.20"}
ACCEPTS = ("text/html", "application/json", "*/*")


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[Flask]:
    """Yield a kiosk collector whose store already holds earlier respondents' answers."""
    app = make_app(tmp_path, kiosk="test-safety")
    store = app.extensions["doorstep_store"]
    give_key(store)
    store.save_response(
        response(
            method="kiosk",
            answers={"concerns": ["other"], "other_concern": EARLIER_ANSWER, "contact_ok": True},
            personal={"phone": EARLIER_PHONE},
        )
    )
    yield app
    close_app(app)


def started(app: Flask, address: str) -> FlaskClient:
    """Return a kiosk visitor's browser that has begun a respondent's turn."""
    browser = app.test_client()
    env = {"REMOTE_ADDR": address}
    page = browser.get("/kiosk/", environ_base=env).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "the kiosk start page has a form"
    form = {"csrf_token": token.group(1), "area": "abbey"}
    turn = browser.post("/kiosk/start", data=form, environ_base=env)
    assert turn.status_code == 302 and turn.location.endswith("/kiosk/question")
    return browser


def test_no_url_shows_an_earlier_respondents_answers(kiosk: Flask) -> None:
    called = set()
    for place, address in PLACES.items():
        browser = started(kiosk, address)
        for endpoint, _method, url in requests_of(kiosk, VALUES, frozenset({"GET"})):
            for accept in ACCEPTS:
                reply = browser.get(
                    url,
                    headers={"Accept": accept},
                    environ_base={"REMOTE_ADDR": address},
                    follow_redirects=True,
                )
                body = reply.get_data()
                reply.close()
                if reply.mimetype == "application/gzip":  # a bundle: read what it carries
                    body = gzip.decompress(body)
                where = f"{place} GET {url} ({accept}) -> {reply.status_code}"
                assert reply.status_code < 500, where
                for secret in (EARLIER_ANSWER, "KIOSK-9931", EARLIER_PHONE, "918273"):
                    assert secret.encode() not in body, where
                called.add(endpoint)
    assert {"api.status", "api.export", "api.rejected", "area.show", "doorstep.summary"} <= called


def test_stored_data_still_reaches_the_local_command(kiosk: Flask) -> None:
    # The positive control: the same routes do hold the data, for the CLI with the local key.
    reply = kiosk.test_client().get("/api/v1/export", headers={"X-Doorstep-Key": KEY})
    assert EARLIER_ANSWER.encode() in gzip.decompress(reply.data)
