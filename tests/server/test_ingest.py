"""Ingest under concurrency: the same batch pushed at once is stored once, on both databases."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import requests
from flask import Flask
from sqlalchemy import func, select

from server.db import db, utcnow
from server.intake.ingest import ingest_batch
from server.models import Device, Response, ResponseConflict

from .conftest import device_token, make_response


def stored(app: Flask, model: type = Response) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_two_threads_pushing_the_same_batch_store_each_response_once(
    app: Flask, live_server: str
) -> None:
    tokens = [device_token(app, label=f"d{i}")[1] for i in range(4)]
    batch = [make_response() for _ in range(200)]
    barrier = threading.Barrier(len(tokens))

    def push(token: str) -> list[str]:
        barrier.wait()
        reply = requests.post(
            f"{live_server}/api/v1/sync/push",
            json={"responses": batch},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        assert reply.status_code == 200, reply.text
        return [r["status"] for r in reply.json()["results"]]

    with ThreadPoolExecutor(len(tokens)) as pool:
        outcomes = list(pool.map(push, tokens))
    assert stored(app) == 200
    for position in range(200):
        statuses = sorted(o[position] for o in outcomes)
        assert statuses == ["accepted", "duplicate", "duplicate", "duplicate"]


def test_concurrent_conflicting_pushes_keep_one_original_and_the_other_apart(
    app: Flask, live_server: str
) -> None:
    tokens = [device_token(app, label=f"d{i}")[1] for i in range(2)]
    ids = [make_response()["id"] for _ in range(50)]
    batches = [
        [make_response(id=i, answers={"concerns": [choice]}) for i in ids]
        for choice in ("speeding", "litter")
    ]
    barrier = threading.Barrier(2)

    def push(args: tuple[str, list[dict]]) -> list[str]:
        token, batch = args
        barrier.wait()
        reply = requests.post(
            f"{live_server}/api/v1/sync/push",
            json={"responses": batch},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        return [r["status"] for r in reply.json()["results"]]

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(push, zip(tokens, batches, strict=True)))
    for position in range(50):
        assert sorted(o[position] for o in outcomes) == ["accepted", "conflict"]
    assert stored(app) == 50
    assert stored(app, ResponseConflict) == 50


def test_one_device_pushing_twice_at_once_keeps_both_counts(app: Flask) -> None:
    device_id = device_token(app)[0]
    batches = [[make_response() for _ in range(n)] for n in (3, 4)]
    with app.app_context():
        # Two requests of one device, each with the device loaded before the other commits.
        sessions = [db.session, db.Session(bind=db.engine)]
        try:
            devices = [s.get(Device, device_id) for s in sessions]
            assert [d.accepted for d in devices] == [0, 0]
            for session, device, batch in zip(sessions, devices, batches, strict=True):
                ingest_batch(session, batch, now=utcnow(), device=device)
        finally:
            sessions[1].close()
        device = db.session.get(Device, device_id)
        assert (device.accepted, device.duplicates) == (7, 0)
        assert device.last_sync_at is not None


def test_ingest_keeps_request_order_and_commits(app: Flask) -> None:
    items = [make_response() for _ in range(5)]
    items.insert(2, {"nonsense": True})
    with app.app_context():
        outcomes = ingest_batch(db.session, items, now=utcnow())
        db.session.rollback()  # already committed: a rollback must not undo it
    assert [o.status for o in outcomes] == ["accepted"] * 2 + ["rejected"] + ["accepted"] * 3
    assert [o.id for o in outcomes if o.status == "accepted"] == [
        i["id"] for i in items if "id" in i
    ]
    assert stored(app) == 5


def test_accepted_hook_sees_only_new_rows_in_the_same_transaction(app: Flask) -> None:
    seen: list[list[str]] = []
    items = [make_response() for _ in range(3)]

    def hook(session, rows) -> None:
        seen.append([r["id"] for r in rows])
        assert session.get(Response, rows[0]["id"]) is not None

    with app.app_context():
        ingest_batch(db.session, items[:1], now=utcnow(), hooks=[hook])
        ingest_batch(db.session, items, now=utcnow(), hooks=[hook])
    assert seen == [[items[0]["id"]], [items[1]["id"], items[2]["id"]]]
