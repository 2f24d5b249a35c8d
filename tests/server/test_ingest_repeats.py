"""Exact repeats of stored responses skip validation; every outcome stays what it was."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, select

from server.db import db, utcnow
from server.intake.ingest import ingest_batch
from server.models import Device, PersonalDetail, Response, ResponseConflict

from .conftest import device_token, make_response


def test_a_mixed_batch_gets_the_same_outcomes_as_before(app: Flask) -> None:
    device_id, _ = device_token(app)
    a, b, c = (make_response() for _ in range(3))
    d = make_response()
    items: list[Any] = [
        dict(a),  # exact repeat
        d,  # new
        {**b, "answers": {"concerns": ["litter"]}},  # same id, other content
        make_response(answers={"severity": 9}),  # new and invalid
        {**c, "answers": {"concerns": ["speeding"], "severity": 9}},  # stored id, invalid
        dict(a),  # the repeat again
        dict(d),  # the new one again in the same batch
        "not a response",
        {**a, "synced": False},  # an unknown key: not content, but refused
        # contact details are not content: the same response, and a repeat stores none
        {**a, "personal": {"phone": "07700 900123"}},
        {**a, "street": None},  # a null optional field: the same content, checked
    ]
    with app.app_context():
        device = db.session.get(Device, device_id)
        first = ingest_batch(db.session, [a, b, c], now=utcnow(), device=device)
        assert [o.status for o in first] == ["accepted"] * 3
        outcomes = ingest_batch(db.session, items, now=utcnow(), device=device)
        statuses = [o.status for o in outcomes]
        assert statuses == [
            "duplicate",
            "accepted",
            "conflict",
            "rejected",
            "rejected",
            "duplicate",
            "duplicate",
            "rejected",
            "rejected",
            "duplicate",
            "duplicate",
        ]
        assert [o.id for o in outcomes] == [
            a["id"], d["id"], b["id"], items[3]["id"], c["id"], a["id"], d["id"], None, a["id"],
            a["id"], a["id"],
        ]  # fmt: skip
        assert outcomes[3].errors and outcomes[4].errors and outcomes[8].errors
        assert db.session.scalar(select(func.count()).select_from(PersonalDetail)) == 0
        assert db.session.scalar(select(func.count()).select_from(Response)) == 4
        assert db.session.scalars(select(ResponseConflict.response_id)).all() == [b["id"]]
        device = db.session.get(Device, device_id)
        assert (device.accepted, device.duplicates, device.conflicts, device.rejected) == (
            4,
            5,
            1,
            4,
        )


def test_a_batch_sent_twice_is_all_duplicate(app: Flask) -> None:
    batch = [make_response() for _ in range(30)]
    with app.app_context():
        ingest_batch(db.session, batch, now=utcnow(), device_id="d")
        again = ingest_batch(db.session, batch, now=utcnow(), device_id="d")
    assert [o.status for o in again] == ["duplicate"] * 30
    assert [o.id for o in again] == [item["id"] for item in batch]
