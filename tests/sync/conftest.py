"""Sync fixtures: the server teammate's app on SQLite and PostgreSQL, and a collector store."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from collector.store import ResponseStore
from server.accounts.devices import create_code, revoke_device
from server.db import db
from server.models import Response
from sync.wire import content_hash
from tests.server.conftest import (  # noqa: F401  (fixtures pytest finds by name)
    TEST_SURVEY,
    app,
    clock,
    database_url,
    live_server,
    make_response,
)


def enrollment_code(server_app: Flask, ttl_seconds: int = 3600) -> str:
    """Make a fresh single-use enrollment code on the server."""
    with server_app.app_context():
        now = server_app.config["CLOCK"]()
        code, _ = create_code(db.session, now=now, ttl_seconds=ttl_seconds)
        db.session.commit()
    return code


def revoke(server_app: Flask, device_id: str) -> None:
    """Revoke a device on the server."""
    with server_app.app_context():
        revoke_device(db.session, device_id, now=server_app.config["CLOCK"]())
        db.session.commit()


def server_rows(server_app: Flask) -> tuple[int, dict[str, str]]:
    """Return the number of stored responses and their content hashes by id."""
    with server_app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Response))
        hashes = dict(db.session.execute(select(Response.id, Response.content_hash)).all())
    db_count: int = count or 0
    return db_count, {str(k): v for k, v in hashes.items()}


def collector_hashes(store: ResponseStore) -> dict[str, str]:
    """Return the wire content hash of every response the collector holds, by id."""
    return {r["id"]: content_hash(r) for r in store.iter_responses()}


def fill(store: ResponseStore, n: int, **overrides: Any) -> list[str]:
    """Save ``n`` valid test-survey responses in the collector; return their ids."""
    return [store.save_response(make_response(**overrides)) for _ in range(n)]


def digest(rows: dict[str, str]) -> str:
    """Return one hash over a mapping of id to content hash (for short assertion messages)."""
    return hashlib.sha256(json.dumps(sorted(rows.items())).encode()).hexdigest()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ResponseStore]:
    """Yield a collector store on disk that knows the server's test survey."""
    with ResponseStore(tmp_path / "collector") as s:
        s.set_pulled(surveys=[TEST_SURVEY])
        yield s
