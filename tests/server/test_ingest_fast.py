"""Ingest's fast paths store and answer what the plain SQLAlchemy and marshmallow ones do."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from server.db import db
from server.db.bulk import insert_many, write_rows
from server.intake.ingest import ingest_batch
from server.models import Response
from server.models.merge import MentionDay, TriageItem
from sync.wire import PushResponseSchema

from .conftest import bearer, make_response

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _triage_row(rid: str, text: str, severity: int | None) -> dict[str, Any]:
    return {
        "response_id": rid,
        "question": "other",
        "area": "abbey",
        "day": date(2026, 11, 30),
        "method": "doorstep",
        "text": text,
        "norm_hash": "h" * 64,
        "severity": severity,
        "status": "pending",
        "category": None,
    }


def _rows(model: Any, order: Any) -> list[dict[str, Any]]:
    table = model.__table__
    return [dict(r._mapping) for r in db.session.execute(select(table).order_by(*order))]


def test_insert_many_stores_what_session_execute_stores(app: Flask) -> None:
    with app.app_context():
        ids = [o.id for o in ingest_batch(db.session, [make_response()], now=NOW)]
        ids += [o.id for o in ingest_batch(db.session, [make_response()], now=NOW)]
        quick = [_triage_row(ids[0], "Bins ‘left’ out; 'quoted' %s", 40)]
        plain = [_triage_row(ids[1], "Bins ‘left’ out; 'quoted' %s", None)]
        insert_many(db.session, TriageItem.__table__.insert(), quick, key="test-triage")
        db.session.execute(TriageItem.__table__.insert(), plain)
        db.session.commit()
        got = _rows(TriageItem, [TriageItem.response_id])
        assert len(got) == 2
        by_id = {r["response_id"]: r for r in got}
        for rid, severity in ((ids[0], 40), (ids[1], None)):
            row = by_id[rid]
            assert row["day"] == date(2026, 11, 30)
            assert row["text"] == "Bins ‘left’ out; 'quoted' %s"
            assert row["severity"] == severity


def test_insert_many_upserts_add_to_existing_counters(app: Flask) -> None:
    row = {
        "area": "abbey",
        "day": date(2026, 11, 30),
        "category": "speeding",
        "method": "doorstep",
        "mentions": 2,
        "severity_sum": 90,
        "severity_count": 2,
    }
    with app.app_context():
        counters = ("mentions", "severity_sum", "severity_count")
        write_rows(db.session, MentionDay.__table__, [row], counters)
        write_rows(db.session, MentionDay.__table__, [row, {**row, "category": "litter"}], counters)
        db.session.commit()
        got = {r["category"]: r for r in _rows(MentionDay, [MentionDay.category])}
        assert got["speeding"]["mentions"] == 4
        assert got["speeding"]["severity_sum"] == 180
        assert got["litter"]["mentions"] == 2
        assert got["litter"]["day"] == date(2026, 11, 30)


def test_insert_many_leaves_rows_that_need_defaults_to_sqlalchemy(app: Flask) -> None:
    item = make_response()
    row = {
        "id": item["id"],
        "survey_id": "test-safety",
        "survey_version": 1,
        "area": "abbey",
        "method": "doorstep",
        "collected_at": NOW,
        "content_hash": "c" * 64,
        "answers": {"concerns": ["speeding"]},
    }
    with app.app_context():
        insert_many(db.session, Response.__table__.insert(), [row], key="test-defaults")
        db.session.commit()
        stored = db.session.get(Response, item["id"])
        assert stored is not None
        assert stored.source == "push" and stored.conflict is False
        assert stored.received_at is not None
        assert stored.answers == {"concerns": ["speeding"]}


def test_push_answer_has_exactly_the_push_response_schema_shape(
    client: FlaskClient, device: str
) -> None:
    good = make_response()
    other = {**good, "answers": {"concerns": ["litter"]}}
    batch = [good, good, make_response(area="nowhere"), other, {"id": 3}]
    reply = client.post("/api/v1/sync/push", json={"responses": batch}, headers=bearer(device))
    assert reply.status_code == 200
    body = reply.get_json()
    statuses = [r["status"] for r in body["results"]]
    assert statuses == ["accepted", "duplicate", "rejected", "conflict", "rejected"]
    assert PushResponseSchema().dump(body) == body
    assert PushResponseSchema().load(body) == body
