"""Door visits and sessions travel with a sync and fill the server's reach ledger."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
import requests
from flask import Flask

from collector.store import ResponseStore
from server.accounts.devices import create_code
from server.db import db
from sync.client import RetryPolicy, SyncClient
from sync.engine import sync_store
from tests.server.conftest import bearer, user_token

from .conftest import enrollment_code
from .scripted import ScriptedServer

OUTCOMES = ("no_answer", "refused", "surveyed")


def knock(store: ResponseStore, area: str = "abbey") -> list[str]:
    """Record a finished session with three doors in ``area``; return the door ids."""
    sid = store.start_session("Alice Volunteer", area)
    doors = [store.record_door(sid, "Abbey Road", str(n), o, None) for n, o in enumerate(OUTCOMES)]
    store.end_session(sid)
    return doors


def unsynced_count(store: ResponseStore) -> int:
    pending = store.unsynced_visits()
    return len(pending["sessions"]) + len(pending["doors"])


def reach(app: Flask, live_server: str) -> dict:
    """Read abbey's reach ledger over HTTP as a Northfield coordinator, around today."""
    token = user_token(app, "cora", group="northfield")
    today = date.today()
    period = {"since": str(today - timedelta(days=1)), "until": str(today + timedelta(days=1))}
    reply = requests.get(
        f"{live_server}/api/v1/areas/abbey/reach", params=period, headers=bearer(token), timeout=30
    )
    assert reply.status_code == 200, reply.text
    return reply.json()


def enrolled(live_server: str, code: str) -> SyncClient:
    client = SyncClient(live_server, retry=RetryPolicy(attempts=3), sleep=lambda s: None)
    client.enroll(code, "visits laptop")
    return client


@pytest.fixture
def client(live_server: str, app: Flask) -> Iterator[SyncClient]:
    with enrolled(live_server, enrollment_code(app)) as c:
        yield c


def test_sync_sends_doors_and_sessions_to_the_reach_ledger(
    store: ResponseStore, client: SyncClient, app: Flask, live_server: str
) -> None:
    knock(store)
    summary = sync_store(store, client)
    assert summary.visits == 4 and unsynced_count(store) == 0
    got = reach(app, live_server)
    (row,) = got["methods"]
    assert (row["method"], row["doors"], row["contacts"]) == ("doorstep", 3, 2)
    assert "Abbey Road" not in str(got) and "Alice" not in str(got)
    assert sync_store(store, client).visits == 0  # nothing is sent twice


def test_doors_outside_the_devices_group_stay_on_the_device(
    store: ResponseStore, app: Flask, live_server: str
) -> None:
    with app.app_context():
        code, _ = create_code(
            db.session, now=app.config["CLOCK"](), ttl_seconds=3600, group="riverside"
        )
        db.session.commit()
    knock(store, "abbey")
    with enrolled(live_server, code) as client:
        summary = sync_store(store, client)
    assert summary.visits == 0 and unsynced_count(store) == 4
    assert reach(app, live_server)["methods"] == []


def test_refused_visits_are_kept_and_the_sync_still_succeeds(
    store: ResponseStore, client: SyncClient
) -> None:
    knock(store, "a" * 65)  # longer than any area code the server accepts: a 422
    summary = sync_store(store, client)
    assert summary.visits == 0 and unsynced_count(store) == 4
    assert store.status()["last_sync"] is not None


def test_only_what_the_ledger_counts_leaves_the_device(store: ResponseStore) -> None:
    knock(store)
    pending = store.unsynced_visits()
    ids = {"sessions": [s["id"] for s in pending["sessions"]], "doors": []}
    ids["doors"] = [d["id"] for d in pending["doors"]]
    script = ScriptedServer(
        [
            (200, {}, {"cursor": "1", "surveys": [], "areas": [], "issues": []}),
            (200, {}, ids),
        ]
    )
    url = script.start()
    try:
        with SyncClient(url, "token", retry=RetryPolicy(attempts=1)) as client:
            assert sync_store(store, client).visits == 4
    finally:
        script.stop()
    sent = script.seen[-1]
    assert sent.path == "/api/v1/sync/activity"
    body = sent.json()
    assert set(body["sessions"][0]) == {"id", "area", "mode", "started_at", "ended_at"}
    assert set(body["doors"][0]) == {"id", "session_id", "area", "outcome", "at"}
