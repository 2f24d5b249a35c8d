"""Paging GET /api/v1/responses walks an index in (received_at, id) order instead of sorting."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import and_, inspect, or_, select, text

from server import create_app
from server.db import db
from server.models import Response

AT = datetime(2025, 3, 1, tzinfo=UTC)


def page_query(areas: list[str], cursor: bool) -> str:
    """Return the listing's query shape (server/api/responses.py) as SQLite SQL."""
    query = select(Response).where(Response.area.in_(areas))
    if cursor:
        query = query.where(
            or_(Response.received_at > AT, and_(Response.received_at == AT, Response.id > "x"))
        )
    query = query.order_by(Response.received_at, Response.id).limit(501)
    dialect = db.engine.dialect
    return str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


@pytest.mark.parametrize("cursor", [False, True])
def test_one_areas_export_pages_in_index_order_on_sqlite(tmp_path: Path, cursor: bool) -> None:
    app = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://"})
    with app.app_context():
        upgrade()
        plan = [
            r[3]
            for r in db.session.execute(text(f"EXPLAIN QUERY PLAN {page_query(['abbey'], cursor)}"))
        ]
    assert any("ix_responses_area_received_at_id" in step for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan


def test_revision_0003_goes_down_and_up_again(database_url: str, tmp_path: Path) -> None:
    app = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": database_url})
    with app.app_context():
        upgrade()
        downgrade(revision="0002")
        names = {i["name"] for i in inspect(db.engine).get_indexes("responses")}
        assert "ix_responses_area" in names and "ix_responses_received_at_id" not in names
        upgrade()
        names = {i["name"] for i in inspect(db.engine).get_indexes("responses")}
        assert {"ix_responses_area_received_at_id", "ix_responses_received_at_id"} <= names
        assert "ix_responses_area" not in names
        db.engine.dispose()
