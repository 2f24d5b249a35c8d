"""Enrollment: single-use expiring codes, clear errors, rate-limited failures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from server.accounts.devices import create_code
from server.accounts.tokens import hash_secret
from server.db import db
from server.models import Device

from .conftest import Clock, bearer


def make_code(app: Flask, group: str | None = None, ttl: int = 3600) -> str:
    with app.app_context():
        code, _ = create_code(db.session, now=app.config["CLOCK"](), ttl_seconds=ttl, group=group)
        db.session.commit()
    return code


def enroll(client: FlaskClient, code: str, label: str = "pi-1") -> object:
    return client.post("/api/v1/devices/enroll", json={"code": code, "label": label})


def test_good_code_gives_device_id_and_token_stored_only_hashed(
    app: Flask, client: FlaskClient
) -> None:
    response = enroll(client, make_code(app, group="northfield"))
    assert response.status_code == 201
    token = response.json["token"]
    assert len(token) >= 43  # 32 random bytes, base64url
    with app.app_context():
        device = db.session.get(Device, response.json["device_id"])
        assert device.label == "pi-1"
        assert device.token_hash == hash_secret(token)
        assert device.group.code == "northfield"
    assert client.get("/api/v1/sync/pull", headers=bearer(token)).status_code == 200


def test_code_is_forgiving_about_case_and_dashes(client: FlaskClient, app: Flask) -> None:
    code = make_code(app)
    assert enroll(client, code.lower().replace("-", " ")).status_code == 201


def test_wrong_code_gets_401(client: FlaskClient) -> None:
    response = enroll(client, "AAAA-BBBB-CCCC")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_enrollment_code"


def test_used_code_gets_410(client: FlaskClient, app: Flask) -> None:
    code = make_code(app)
    assert enroll(client, code).status_code == 201
    response = enroll(client, code)
    assert response.status_code == 410
    assert response.json["error"]["code"] == "enrollment_code_used"


def test_expired_code_gets_410(client: FlaskClient, app: Flask, clock: Clock) -> None:
    code = make_code(app, ttl=60)
    clock.now += timedelta(seconds=61)
    response = enroll(client, code)
    assert response.status_code == 410
    assert response.json["error"]["code"] == "enrollment_code_expired"
    with app.app_context():
        assert db.session.scalars(select(Device)).all() == []


@pytest.mark.parametrize("body", [{}, {"code": ""}, {"code": "x", "extra": 1}, []])
def test_invalid_body_gets_400(client: FlaskClient, body: object) -> None:
    response = client.post("/api/v1/devices/enroll", json=body)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_input"


def test_repeated_failures_from_one_address_get_429(client: FlaskClient, app: Flask) -> None:
    app.config["ENROLL_MAX_FAILURES"] = 3
    for _ in range(3):
        assert enroll(client, "AAAA-BBBB-CCCC").status_code == 401
    response = enroll(client, make_code(app))
    assert response.status_code == 429
    assert response.json["error"]["code"] == "too_many_attempts"


def test_two_devices_racing_with_one_code_enroll_once(app: Flask, live_server: str) -> None:
    import threading

    import requests

    code = make_code(app)
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def attempt(n: int) -> None:
        barrier.wait()
        reply = requests.post(
            f"{live_server}/api/v1/devices/enroll",
            json={"code": code, "label": f"pi-{n}"},
            timeout=30,
        )
        statuses.append(reply.status_code)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 410, 410, 410]
    with app.app_context():
        assert len(db.session.scalars(select(Device)).all()) == 1
