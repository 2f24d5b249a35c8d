"""Security tests use the server fixtures (SQLite and PostgreSQL) and a second app on one DB."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from server import create_app
from server.accounts.users import create_user
from server.db import db
from tests.server.conftest import (  # noqa: F401 (fixtures)
    Clock,
    app,
    client,
    clock,
    database_url,
    device,
    live_server,
    runner,
)
from tests.server.test_web_data import PASSWORD, USERS


def add_users(server: Flask, *names: str) -> None:
    """Create some of the dashboard test users, with their password (each costs a slow hash)."""
    with server.app_context():
        for name, role, group, provider in USERS:
            if name in names:
                groups = [group] if group else None
                create_user(
                    db.session, name, role, groups=groups, password=PASSWORD, provider=provider
                )
        db.session.commit()


@pytest.fixture
def twin(app: Flask, tmp_path: Path, clock: Clock) -> Iterator[Flask]:  # noqa: F811
    """Yield a second app on the first one's database, as a second worker process would be."""
    other = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "twin-instance"),
            "DATABASE_URL": app.config["DATABASE_URL"],
            "SECRET_KEY": "test",
            "CLOCK": clock,
        }
    )
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()
