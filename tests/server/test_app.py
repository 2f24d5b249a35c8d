"""The app factory, health, settings and the one error body."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from server import create_app, settings
from server.db import db


def test_health_says_ok_and_protocol_1(client: FlaskClient) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "protocol": 1}


def test_unknown_api_route_gets_json_404(client: FlaskClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    assert set(response.json["error"]) == {"code", "message", "details"}


def test_wrong_method_gets_json_405(client: FlaskClient) -> None:
    response = client.delete("/api/v1/health")
    assert response.status_code == 405
    assert response.json["error"]["code"] == "method_not_allowed"


def test_malformed_json_gets_400_malformed_json(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/devices/enroll", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "malformed_json"


def test_non_json_body_gets_415(client: FlaskClient) -> None:
    response = client.post("/api/v1/devices/enroll", data="code=x", content_type="text/plain")
    assert response.status_code == 415
    assert response.json["error"]["code"] == "unsupported_media_type"


def test_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    config = {"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://"}
    first = create_app(config).config["SECRET_KEY"]
    second = create_app(config).config["SECRET_KEY"]
    assert first == second
    assert len(first) >= 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_default_database_is_sqlite_in_instance(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("DOORSTEP_DATABASE_URL", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"})
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path.resolve() / 'doorstep.db'}"


def test_every_setting_can_come_from_the_environment() -> None:
    environ = {
        f"DOORSTEP_{s.name}": "x" if s.default is None else str(s.default)
        for s in settings.SETTINGS
    }
    assert set(settings.from_env(environ)) == {s.name for s in settings.SETTINGS}


def test_env_setting_is_typed(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DOORSTEP_MAX_BODY_BYTES", "1234")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://"})
    assert app.config["MAX_BODY_BYTES"] == 1234
    assert app.config["MAX_CONTENT_LENGTH"] == 1234


def test_every_setting_is_documented() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "server-dev.md").read_text(encoding="utf-8")
    missing = [s.name for s in settings.SETTINGS if f"`DOORSTEP_{s.name}`" not in doc]
    assert missing == []


def test_postgresql_connections_prepare_nothing_on_the_server_by_default(app: Flask) -> None:
    # PgBouncer in transaction pooling mode: a prepared statement would vanish between
    # transactions (DESIGN "Deployment at scale"); DATABASE_PREPARED_STATEMENTS turns them on.
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            if db.engine.dialect.name == "postgresql":
                assert raw.driver_connection.prepare_threshold is None
            else:
                assert db.engine.dialect.name == "sqlite"
        finally:
            raw.close()
