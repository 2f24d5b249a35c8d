"""Dashboard sign-in: session cookie flags, CSRF on every form, sign-out, failed sign-in limits."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server import create_app
from server.db import db
from tests.collector.test_web_edges import HOSTILE_NEXT
from tests.server.test_web_data import PASSWORD, csrf_of, post_form, seed, sign_in


@pytest.fixture
def seeded(app: Flask, client: FlaskClient) -> FlaskClient:
    """Return a client of an app holding the dashboard's users and responses."""
    seed(app, client)
    return client


def test_pages_send_visitors_to_sign_in_first(seeded: FlaskClient):
    resp = seeded.get("/dashboard/areas/abbey")
    assert resp.status_code == 302
    assert resp.location.startswith("/dashboard/sign-in?next=/dashboard/areas/abbey")
    assert seeded.get("/").location == "/dashboard/"


def test_sign_in_sets_a_safe_session_cookie_and_goes_where_asked(seeded: FlaskClient):
    page = seeded.get("/dashboard/sign-in").get_data(as_text=True)
    resp = seeded.post(
        "/dashboard/sign-in?next=/dashboard/triage/",
        data={"username": "cora", "password": PASSWORD, "csrf_token": csrf_of(page)},
    )
    assert resp.status_code == 302 and resp.location == "/dashboard/triage/"
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert seeded.get("/dashboard/triage/").status_code == 200


def _unplain(text: str) -> bool:
    return any(ch in " \\" or not (ch.isascii() and ch.isprintable()) for ch in text)


# The collector's table of hostile values, as they are and under the dashboard's own path.
OFF_DASHBOARD = [
    "https://evil.example/",
    "//evil.example/x",
    "/api/v1/areas",
    *HOSTILE_NEXT,
    *(f"/dashboard{target}" for target in HOSTILE_NEXT if _unplain(target)),
    "/dashboard/\r\nSet-Cookie: planted=1",
]


def test_sign_in_never_redirects_off_the_dashboard(seeded: FlaskClient):
    for target in OFF_DASHBOARD:  # one signed-in browser: each sign-in costs a password hash
        page = seeded.get("/dashboard/sign-in").get_data(as_text=True)
        resp = seeded.post(
            "/dashboard/sign-in",
            query_string={"next": target},
            data={"username": "cora", "password": PASSWORD, "csrf_token": csrf_of(page)},
        )
        # Refused outright (a NUL in the query string: 400) or sent home, never elsewhere.
        where = (resp.status_code, resp.location)
        assert where in {(302, "/dashboard/"), (400, None)}, repr(target)


def test_secure_cookies_setting_marks_the_cookie_secure(app: Flask, tmp_path: Path):
    behind_https = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "https-instance"),
            "DATABASE_URL": app.config["DATABASE_URL"],
            "SECRET_KEY": "test",
            "SECURE_COOKIES": True,
        }
    )
    resp = behind_https.test_client().get("/dashboard/sign-in", base_url="https://localhost")
    assert "Secure" in resp.headers["Set-Cookie"]
    with behind_https.app_context():
        db.engine.dispose()


def test_wrong_password_says_so_and_signs_nobody_in(seeded: FlaskClient):
    resp = sign_in(seeded, "cora", "wrong")
    assert resp.status_code == 400
    assert "The username or password is not right" in resp.get_data(as_text=True)
    assert seeded.get("/dashboard/").status_code == 302


def test_empty_form_shows_an_error_next_to_each_field(seeded: FlaskClient):
    resp = sign_in(seeded, "", "")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert 'href="#username">Enter your username' in html
    assert 'id="password-error"' in html


def test_post_without_the_csrf_token_is_refused(seeded: FlaskClient):
    resp = seeded.post("/dashboard/sign-in", data={"username": "cora", "password": PASSWORD})
    assert resp.status_code == 400
    assert "did not come from this site" in resp.get_data(as_text=True)
    sign_in(seeded, "cora")
    for action in ("/dashboard/triage/1", "/dashboard/devices/codes", "/dashboard/sign-out"):
        resp = seeded.post(action, data={"action": "dismiss", "csrf_token": "forged"})
        assert resp.status_code == 400, action
    assert seeded.get("/dashboard/").status_code == 200  # still signed in: sign-out was refused


def test_the_token_changes_at_sign_in(seeded: FlaskClient):
    before = csrf_of(seeded.get("/dashboard/sign-in").get_data(as_text=True))
    sign_in(seeded, "cora")
    after = csrf_of(seeded.get("/dashboard/").get_data(as_text=True))
    assert before != after


def test_sign_out_ends_the_session(seeded: FlaskClient):
    sign_in(seeded, "cora")
    resp = post_form(seeded, "/dashboard/", "/dashboard/sign-out", {})
    assert resp.status_code == 302
    assert "You have signed out" in seeded.get(resp.location).get_data(as_text=True)
    assert seeded.get("/dashboard/").status_code == 302


def test_failed_sign_ins_are_limited_per_user(seeded: FlaskClient):
    for _ in range(5):
        assert sign_in(seeded, "cora", "wrong").status_code == 400
    resp = sign_in(seeded, "cora")  # even the right password waits out the window
    assert resp.status_code == 429
    assert "Too many failed sign-ins" in resp.get_data(as_text=True)
    assert sign_in(seeded, "rita").status_code == 302  # another user from here is not locked


def test_failed_sign_ins_are_limited_per_address(app: Flask, seeded: FlaskClient):
    app.config["SIGNIN_MAX_ADDRESS_FAILURES"] = 3
    for name in ("nobody", "somebody", "anybody"):
        assert sign_in(seeded, name, "wrong").status_code == 400
    assert sign_in(seeded, "cora").status_code == 429
    other = app.test_client()
    page = other.get("/dashboard/sign-in", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    resp = other.post(
        "/dashboard/sign-in",
        data={"username": "cora", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert resp.status_code == 302


def test_pages_carry_the_security_headers(seeded: FlaskClient):
    sign_in(seeded, "cora")
    for url in ("/dashboard/sign-in", "/dashboard/", "/dashboard/areas/abbey"):
        headers = seeded.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
        assert "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["Cache-Control"] == "no-store"


def test_no_page_has_inline_script_or_style(seeded: FlaskClient):
    sign_in(seeded, "cora")
    for url in (
        "/dashboard/",
        "/dashboard/areas/abbey",
        "/dashboard/triage/",
        "/dashboard/areas/abbey/issues/speeding",
        "/dashboard/groups/northfield/meetings",
        "/dashboard/groups/northfield/agenda",
        "/dashboard/devices/",
        "/dashboard/surveys/",
        "/dashboard/reach/",
    ):
        html = seeded.get(url).get_data(as_text=True)
        assert "<script" not in html and "<style" not in html and " style=" not in html, url


def test_a_failing_page_shows_an_html_error(
    app: Flask, seeded: FlaskClient, monkeypatch: pytest.MonkeyPatch
):
    sign_in(seeded, "cora")
    from server.web import areas

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("network fault")

    monkeypatch.setattr(areas, "area_priorities", broken)
    app.logger.disabled = True
    resp = seeded.get("/dashboard/areas/abbey")
    assert resp.status_code == 500 and resp.mimetype == "text/html"
    assert "Nothing you saved before was lost" in resp.get_data(as_text=True)
