"""Behind a reverse proxy (PROXY_HOPS) the limits count each client, and never a forged header."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server import create_app
from server.db import db
from tests.server.conftest import Clock


@pytest.fixture
def proxied(app: Flask, tmp_path: Path, clock: Clock) -> Iterator[Flask]:
    """Yield a second app on the first one's database that trusts one proxy's headers."""
    other = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "proxied-instance"),
            "DATABASE_URL": app.config["DATABASE_URL"],
            "SECRET_KEY": "test",
            "CLOCK": clock,
            "PROXY_HOPS": 1,
            "ENROLL_MAX_FAILURES": 2,
        }
    )
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def _enroll_from(client: FlaskClient, address: str) -> int:
    answer = client.post(
        "/api/v1/devices/enroll",
        json={"code": "AAAA-BBBB-CCCC", "label": "laptop"},
        headers={"X-Forwarded-For": address},
    )
    return answer.status_code


def test_behind_a_proxy_each_forwarded_client_has_its_own_limit(proxied: Flask) -> None:
    client = proxied.test_client()
    assert [_enroll_from(client, "203.0.113.7") for _ in range(3)] == [401, 401, 429]
    assert _enroll_from(client, "198.51.100.9") == 401  # another resident's phone: not limited


def test_without_proxy_hops_a_forged_forwarded_for_changes_nothing(app: Flask) -> None:
    app.config["ENROLL_MAX_FAILURES"] = 2
    client = app.test_client()
    assert [_enroll_from(client, f"203.0.113.{n}") for n in range(3)] == [401, 401, 429]


def test_negative_proxy_hops_is_refused_at_startup(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="DOORSTEP_PROXY_HOPS"):
        create_app({"INSTANCE_PATH": str(tmp_path), "PROXY_HOPS": -1, "SECRET_KEY": "t"})
