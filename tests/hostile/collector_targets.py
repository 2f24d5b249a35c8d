"""Every write endpoint of the collector (local API and web forms), with a valid request each.

The web forms are reached as a signed-in volunteer with the session's CSRF token; the admin API
endpoints without the local key (a hostile caller has none), so they must refuse cleanly.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import requests
from flask import Flask

from collector.app import close_app, create_app
from tests.collector.test_store import SURVEY
from tests.hostile.corpus import SLOT
from tests.hostile.run import TIMEOUT
from tests.hostile.server_targets import Target
from tests.server.conftest import serve_in_thread


@contextlib.contextmanager
def serve_collector(data: Path) -> Iterator[tuple[Flask, str]]:
    """Yield a collector app (real store in ``data``, the test survey pulled) and its URL."""
    app = create_app({"data": data, "TESTING": True})
    app.extensions["doorstep_store"].set_pulled(surveys=[SURVEY])
    try:
        with serve_in_thread(app) as url:
            yield app, url
    finally:
        close_app(app)


def write_rules(app: Flask) -> set[tuple[str, str]]:
    """Return ``(method, rule)`` of every state-changing route of the collector."""
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}
    }


def counts(app: Flask) -> dict[str, int]:
    """Return the store's counts and drafts (what "nothing half-stored" compares)."""
    store = app.extensions["doorstep_store"]
    return {**store.status(), "drafts": len(store.drafts())}


def volunteer(url: str) -> tuple[requests.Session, str]:
    """Return a session signed in as a volunteer on Abbey Road, and its CSRF token."""
    s = requests.Session()
    token = _csrf(s.get(f"{url}/signin", timeout=TIMEOUT).text)
    s.post(
        f"{url}/signin",
        data={"csrf_token": token, "name": "Val", "area": "abbey", "survey": "test-safety"},
        timeout=TIMEOUT,
    )
    s.post(f"{url}/doorstep/street", data={"csrf_token": token, "street": "Abbey Road"})
    return s, token


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def targets(url: str) -> tuple[list[Target], requests.Session]:
    """Return a target per write route, and the volunteer session the forms use."""
    web, csrf = volunteer(url)

    def form(**fields: str) -> Callable[[], dict[str, Any]]:
        return lambda: {"csrf_token": csrf, **fields}

    def response() -> dict[str, Any]:
        return {
            "survey_id": "test-safety",
            "survey_version": 1,
            "area": "abbey",
            "method": "doorstep",
            "street": SLOT,
            "answers": {"concerns": ["other"], "other_concern": SLOT},
        }

    survey = form(
        survey_version="1", response_id=str(uuid.uuid4()), concerns="other", other_concern=SLOT
    )
    return [
        Target("POST", "/api/v1/responses", "/api/v1/responses", "json", response),
        Target(
            "PUT",
            "/api/v1/device",
            "/api/v1/device",
            "json",
            lambda: {"server_url": SLOT, "device_id": SLOT, "token": SLOT},
        ),
        Target("POST", "/api/v1/sync", "/api/v1/sync", "json", lambda: {"now": SLOT}),
        Target(
            "POST",
            "/doorstep/street",
            "/doorstep/street",
            "form",
            form(street=SLOT, other=SLOT),
            shown=("/doorstep/door",),
        ),
        Target(
            "POST",
            "/doorstep/door",
            "/doorstep/door",
            "form",
            form(house=SLOT, outcome="no_answer"),
            shown=("/doorstep/door",),
        ),
        Target("POST", "/doorstep/survey", "/doorstep/survey", "form", survey),
        Target("POST", "/meeting/", "/meeting/", "form", survey),
        Target("POST", "/kiosk/start", "/kiosk/start", "form", form(area=SLOT)),
        Target("POST", "/kiosk/question", "/kiosk/question", "form", survey),
        Target("POST", "/kiosk/exit", "/kiosk/exit", "form", form(pin=SLOT, action=SLOT)),
        Target("POST", "/kiosk/lock", "/kiosk/lock", "form", form(pin=SLOT)),
        # Last: signing in again (as a hostile name) drops the street the forms above use.
        Target("POST", "/signin", "/signin", "form", form(name=SLOT, area="abbey", pin=SLOT)),
        Target("POST", "/doorstep/signout", "/doorstep/signout", "form", form(next=SLOT)),
    ], web
