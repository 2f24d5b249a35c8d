"""Dashboard sessions: ended server-side (tests/security/test_offboarding.py too), 12 hours long."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from flask import Flask
from flask.testing import FlaskClient

from server.accounts.sessions import end_sessions
from server.db import db
from server.models import User
from tests.security.conftest import add_users
from tests.server.test_web_data import sign_in


def cookie_of(browser: FlaskClient) -> str:
    cookie = browser.get_cookie("session")
    assert cookie is not None
    return cookie.value


def test_ended_sessions_get_nothing_from_the_api_either(app: Flask) -> None:
    add_users(app, "cora", "rita")
    browser, other = app.test_client(), app.test_client()
    sign_in(browser, "cora")
    sign_in(other, "rita")
    assert browser.get("/api/v1/areas").status_code == 200  # the API takes the session too
    with app.app_context():
        cora = db.session.query(User).filter_by(name="cora").one()
        end_sessions(db.session, cora.id)  # e.g. after a password or role change
        db.session.commit()
    reply = browser.get("/api/v1/areas")
    assert reply.status_code == 401 and reply.get_json()["error"]["code"] == "invalid_token"
    assert other.get("/api/v1/areas").status_code == 200  # other users' sessions go on


def test_a_sign_in_lasts_session_hours_not_flasks_31_days(app: Flask) -> None:
    add_users(app, "cora")
    browser = app.test_client()
    reply = sign_in(browser, "cora")
    cookie = next(v for k, v in reply.headers.items() if k == "Set-Cookie" and "session=" in v)
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    hours = (expires - datetime.now(UTC)).total_seconds() / 3600
    assert app.config["SESSION_HOURS"] == 12
    assert 11.9 < hours <= 12.0
