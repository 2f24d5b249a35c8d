"""Tokens, enrollment codes and passwords are stored and looked up only as hashes.

Each secret is made through the real paths (CLI-equivalent calls and HTTP), then every column of
every table is dumped and searched, and every SQL parameter sent while the secret is used is
searched too: a lookup by the plaintext would let the database's comparison leak its prefix.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import check_password_hash

from server.accounts import tokens
from server.accounts.devices import create_code
from server.accounts.users import create_user
from server.db import db
from server.models import User
from tests.server.conftest import bearer
from tests.server.test_web_data import sign_in

PASSWORD = "plain-Password-4471-horse"


@pytest.fixture
def sql_params(app: Flask) -> Iterator[list[str]]:
    """Record the parameters of every SQL statement the app's engine sends, as text."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, _statement: str, params: Any, *_: Any) -> None:
        seen.append(repr(params))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    yield seen
    sa.event.remove(engine, "before_cursor_execute", record)


def every_value(app: Flask) -> str:
    """Return every value of every column of every table, as one text."""
    parts = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(sa.select(table)):
                parts.extend(repr(value) for value in row)
    return "\n".join(parts)


def test_no_secret_is_stored_or_sent_to_the_database_in_plain(
    app: Flask, client: FlaskClient, sql_params: list[str]
) -> None:
    with app.app_context():
        _, api_token = create_user(
            db.session, "cora", "coordinator", groups=["northfield"], password=PASSWORD
        )
        code, _ = create_code(db.session, now=app.config["CLOCK"](), ttl_seconds=600)
        db.session.commit()
    enrolled = client.post("/api/v1/devices/enroll", json={"code": code, "label": "pi"})
    device_token = enrolled.get_json()["token"]
    # Use each secret, right and wrong, so each lookup path runs.
    assert client.get("/api/v1/areas", headers=bearer(api_token)).status_code == 200
    assert client.get("/api/v1/areas", headers=bearer(api_token[:-1] + "x")).status_code == 401
    assert client.get("/api/v1/sync/pull", headers=bearer(device_token)).status_code == 200
    assert client.post("/api/v1/devices/enroll", json={"code": code, "label": "pi"}).status_code
    assert sign_in(client, "cora", PASSWORD).status_code == 302
    assert sign_in(app.test_client(), "cora", PASSWORD + "x").status_code == 400

    stored = every_value(app)
    sent = "\n".join(sql_params)
    secrets = {
        "password": PASSWORD,
        "API token": api_token,
        "device token": device_token,
        "code": code,
        "code as stored": tokens.normalise_code(code).replace("-", ""),
    }
    for what, secret in secrets.items():
        assert secret not in stored, f"the {what} is stored in plain"
        assert secret not in sent, f"the {what} was sent to the database in plain"
    for token in (api_token, device_token):  # looked up, and kept, by their hash
        assert tokens.hash_secret(token) in stored and tokens.hash_secret(token) in sent


def test_passwords_use_a_slow_salted_hash(app: Flask) -> None:
    with app.app_context():
        for name in ("ada", "bob"):
            create_user(db.session, name, "admin", password=PASSWORD)
        db.session.commit()
        hashes = list(db.session.scalars(sa.select(User.password_hash).order_by(User.name)))
    assert hashes[0] != hashes[1], "the same password must hash differently (a salt)"
    for stored in hashes:
        method, salt, _digest = stored.split("$")
        name, *cost = method.split(":")
        assert name in ("scrypt", "pbkdf2"), method
        if name == "scrypt":
            assert int(cost[0]) >= 2**15, method  # werkzeug's default: n = 32768
        else:
            assert int(cost[1]) >= 600_000, method
        assert len(salt) >= 16
        assert check_password_hash(stored, PASSWORD)


def test_token_checks_compare_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[str, str]] = []
    real = tokens.hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(tokens.hmac, "compare_digest", spy)
    token = tokens.new_token()
    assert tokens.matches(tokens.hash_secret(token), token)
    assert not tokens.matches(tokens.hash_secret(token), token[:-1])
    assert len(compared) == 2  # every check goes through hmac.compare_digest
