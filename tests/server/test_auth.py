"""API tokens, roles and group scoping."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from server.accounts.tokens import hash_secret
from server.auth import area_for
from server.db import db
from server.exceptions import NotFound
from server.models import ApiToken, User

from .conftest import bearer, user_token


def test_coordinator_sees_only_their_groups_areas(app: Flask, client: FlaskClient) -> None:
    token = user_token(app, "ana", group="northfield")
    response = client.get("/api/v1/areas", headers=bearer(token))
    assert response.status_code == 200
    assert [a["code"] for a in response.json["areas"]] == ["abbey", "bell-green"]
    assert {a["group"] for a in response.json["areas"]} == {"northfield"}


def test_admin_sees_every_area(app: Flask, client: FlaskClient) -> None:
    token = user_token(app, "root", role="admin")
    codes = [a["code"] for a in client.get("/api/v1/areas", headers=bearer(token)).json["areas"]]
    assert codes == ["abbey", "bell-green", "elm-park"]


def test_other_groups_area_is_not_found(app: Flask) -> None:
    user_token(app, "ana", group="northfield")
    with app.app_context():
        ana = db.session.scalar(select(User).where(User.name == "ana"))
        assert area_for(ana, "abbey").code == "abbey"
        try:
            area_for(ana, "elm-park")
        except NotFound as error:
            assert error.code == "not_found"
        else:
            raise AssertionError("another group's area must be not found")


def test_provider_may_not_list_areas(app: Flask, client: FlaskClient) -> None:
    token = user_token(app, "police", role="provider")
    response = client.get("/api/v1/areas", headers=bearer(token))
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"


def test_device_token_is_not_a_user_token(app: Flask, client: FlaskClient, device: str) -> None:
    response = client.get("/api/v1/areas", headers=bearer(device))
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_token"


def test_token_is_stored_only_as_its_hash_and_revocable(app: Flask, client: FlaskClient) -> None:
    token = user_token(app, "ana", group="northfield")
    with app.app_context():
        row = db.session.scalar(select(ApiToken))
        assert row.token_hash == hash_secret(token) and token not in row.token_hash
    assert client.get("/api/v1/areas", headers=bearer(token)).status_code == 200
    with app.app_context():
        row = db.session.scalar(select(ApiToken))
        assert row.last_used_at is not None
        row.revoked_at = row.last_used_at
        db.session.commit()
    assert client.get("/api/v1/areas", headers=bearer(token)).status_code == 401


def test_missing_or_malformed_authorization_gets_401(client: FlaskClient) -> None:
    assert client.get("/api/v1/areas").status_code == 401
    response = client.get("/api/v1/areas", headers={"Authorization": "Basic abc"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
