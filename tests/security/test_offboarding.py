"""Offboarding: a disabled user's sessions and tokens end at once; tokens, passwords, groups."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from server.accounts.users import create_user
from server.cli import main
from server.db import db
from server.models import User
from tests.server.conftest import bearer
from tests.server.test_web_data import HOSTILE, PASSWORD, post_form, sign_in

NEW_PASSWORD = "a much longer new secret"


def coordinator(app: Flask, name: str = "cora", *groups: str) -> str:
    """Create a coordinator with the test password; return their API token."""
    with app.app_context():
        _, token = create_user(
            db.session,
            name,
            "coordinator",
            groups=list(groups or ["northfield"]),
            password=PASSWORD,
        )
        db.session.commit()
    return token


def server(runner: CliRunner, *args: str) -> dict[str, Any]:
    """Run ``doorstep server ARGS --json``; return its one JSON object."""
    result = runner.invoke(main, ["server", *args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def refused(runner: CliRunner, *args: str) -> str:
    """Run a command that must fail; return its one line of error."""
    result = runner.invoke(main, ["server", *args], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return result.output


def signed_out(browser: FlaskClient) -> bool:
    reply = browser.get("/dashboard/")
    return reply.status_code == 302 and reply.location.startswith("/dashboard/sign-in")


def test_disabling_a_user_ends_every_session_and_token_at_once(
    app: Flask, runner: CliRunner
) -> None:
    token = coordinator(app)
    other = coordinator(app, "rita", "riverside")
    laptop, phone = app.test_client(), app.test_client()
    assert sign_in(laptop, "cora").status_code == 302 and sign_in(phone, "cora").status_code == 302
    assert laptop.get("/api/v1/areas").status_code == 200  # the API by session
    assert laptop.get("/api/v1/areas", headers=bearer(token)).status_code == 200
    done = server(runner, "disable-user", "cora")
    assert done["user"] == "cora" and done["tokens_revoked"] == 1 and done["sessions_ended"]
    assert signed_out(laptop) and signed_out(phone)
    for reply in (laptop.get("/api/v1/areas"), app.test_client().get(
        "/api/v1/areas", headers=bearer(token))):  # fmt: skip
        assert reply.status_code == 401
        assert reply.get_json()["error"]["code"] == "invalid_token"
    assert sign_in(app.test_client(), "cora").status_code == 400  # the right password: refused
    assert app.test_client().get("/api/v1/areas", headers=bearer(other)).status_code == 200


def test_signing_out_of_one_device_leaves_the_others_but_voids_its_copies(app: Flask) -> None:
    coordinator(app)
    laptop, thief, phone = app.test_client(), app.test_client(), app.test_client()
    assert sign_in(laptop, "cora").status_code == 302 and sign_in(phone, "cora").status_code == 302
    cookie = laptop.get_cookie("session")
    assert cookie is not None
    thief.set_cookie("session", cookie.value)  # a copied, still validly signed cookie
    assert not signed_out(thief)
    token = laptop.get("/dashboard/").get_data(as_text=True).split('name="csrf_token" value="')
    laptop.post("/dashboard/sign-out", data={"csrf_token": token[1].split('"')[0]})
    assert signed_out(laptop) and signed_out(thief)
    assert not signed_out(phone)  # the other device goes on
    assert phone.get("/api/v1/areas").status_code == 200


def test_revoke_token_stops_scripts_and_can_make_a_new_token(app: Flask, runner: CliRunner) -> None:
    old = coordinator(app)
    browser = app.test_client()
    assert sign_in(browser, "cora").status_code == 302
    done = server(runner, "revoke-token", "cora", "--new")
    assert done["tokens_revoked"] == 1 and done["token"]
    api = app.test_client()
    assert api.get("/api/v1/areas", headers=bearer(old)).status_code == 401
    assert api.get("/api/v1/areas", headers=bearer(done["token"])).status_code == 200
    assert not signed_out(browser)  # a token, not the sign-in
    assert server(runner, "revoke-token", "cora") == {
        "user": "cora", "tokens_revoked": 1, "token": None}  # fmt: skip


def test_set_password_takes_the_new_one_and_ends_sessions(app: Flask, runner: CliRunner) -> None:
    coordinator(app)
    browser = app.test_client()
    assert sign_in(browser, "cora").status_code == 302
    assert "between 10 and" in refused(runner, "set-password", "cora", "--password", "short")
    assert not signed_out(browser)  # a refused password changes nothing
    done = server(runner, "set-password", "cora", "--password", NEW_PASSWORD)
    assert done == {"user": "cora", "sessions_ended": True}
    assert signed_out(browser)
    assert sign_in(app.test_client(), "cora").status_code == 400
    assert sign_in(app.test_client(), "cora", NEW_PASSWORD).status_code == 302


def test_set_password_asks_twice_when_not_given(app: Flask, runner: CliRunner) -> None:
    coordinator(app)
    prompts = f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n"
    result = runner.invoke(main, ["server", "set-password", "cora"], input=prompts)
    assert result.exit_code == 0, result.output
    assert NEW_PASSWORD not in result.output  # hidden as it is typed
    assert sign_in(app.test_client(), "cora", NEW_PASSWORD).status_code == 302


def test_remove_from_group_ends_access_to_that_group_only(app: Flask, runner: CliRunner) -> None:
    token = coordinator(app, "cora", "northfield", "riverside")
    api = app.test_client()
    assert api.get("/api/v1/areas/abbey/priorities", headers=bearer(token)).status_code == 200
    done = server(runner, "remove-from-group", "cora", "northfield")
    assert done == {"user": "cora", "group": "northfield", "groups": ["riverside"]}
    assert api.get("/api/v1/areas/abbey/priorities", headers=bearer(token)).status_code == 404
    assert api.get("/api/v1/areas/elm-park/priorities", headers=bearer(token)).status_code == 200
    assert "not in the group" in refused(runner, "remove-from-group", "cora", "northfield")


def test_unknown_users_and_groups_are_one_line_errors(app: Flask, runner: CliRunner) -> None:
    coordinator(app)
    for args in (("disable-user", "nobody"), ("revoke-token", "nobody"),
                 ("set-password", "nobody", "--password", NEW_PASSWORD),
                 ("remove-from-group", "cora", "atlantis")):  # fmt: skip
        output = refused(runner, *args)
        assert output.startswith("Error: no ") and len(output.strip().splitlines()) == 1, output


def admin_browser(app: Flask) -> FlaskClient:
    """Create the admin ada; return a browser signed in as her."""
    with app.app_context():
        create_user(db.session, "ada", "admin", password=PASSWORD)
        db.session.commit()
    browser = app.test_client()
    assert sign_in(browser, "ada").status_code == 302
    return browser


def user_id(app: Flask, name: str) -> int:
    with app.app_context():
        return db.session.query(User).filter_by(name=name).one().id


def test_an_admin_disables_a_user_on_the_users_page_after_confirming(app: Flask) -> None:
    token = coordinator(app)
    ada = admin_browser(app)
    cora = app.test_client()
    assert sign_in(cora, "cora").status_code == 302
    with app.app_context():
        create_user(db.session, HOSTILE, "provider", provider=HOSTILE)
        db.session.commit()
    page = ada.get("/dashboard/users/").get_data(as_text=True)
    assert "cora" in page and "northfield" in page.lower()
    assert HOSTILE not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    url = f"/dashboard/users/{user_id(app, 'cora')}/disable"
    asked = post_form(ada, "/dashboard/users/", url, {})
    assert asked.status_code == 200 and "Are you sure?" in asked.get_data(as_text=True)
    assert not signed_out(cora)  # nothing happens before the confirmation
    done = post_form(ada, "/dashboard/users/", url, {"confirm": "yes"})
    assert done.status_code == 302 and done.location == "/dashboard/users/"
    assert signed_out(cora)
    assert app.test_client().get("/api/v1/areas", headers=bearer(token)).status_code == 401
    assert "disabled" in ada.get("/dashboard/users/").get_data(as_text=True)


def test_an_admin_cannot_disable_themselves(app: Flask) -> None:
    ada = admin_browser(app)
    url = f"/dashboard/users/{user_id(app, 'ada')}/disable"
    assert post_form(ada, "/dashboard/users/", url, {"confirm": "yes"}).status_code == 400
    assert not signed_out(ada)


def test_the_users_page_sets_a_password_typed_twice(app: Flask) -> None:
    coordinator(app)
    ada = admin_browser(app)
    url = f"/dashboard/users/{user_id(app, 'cora')}/password"
    typo = post_form(ada, "/dashboard/users/", url, {"password": NEW_PASSWORD, "again": "x"})
    assert typo.status_code == 400 and "not the same" in typo.get_data(as_text=True)
    assert sign_in(app.test_client(), "cora", NEW_PASSWORD).status_code == 400
    both = {"password": NEW_PASSWORD, "again": NEW_PASSWORD}
    assert post_form(ada, "/dashboard/users/", url, both).status_code == 302
    assert sign_in(app.test_client(), "cora", NEW_PASSWORD).status_code == 302


def test_the_users_page_takes_a_coordinator_out_of_a_group(app: Flask) -> None:
    token = coordinator(app, "cora", "northfield", "riverside")
    ada = admin_browser(app)
    url = f"/dashboard/users/{user_id(app, 'cora')}/remove-group"
    stranger = post_form(ada, "/dashboard/users/", url, {"group": "atlantis", "confirm": "yes"})
    assert stranger.status_code == 400
    asked = post_form(ada, "/dashboard/users/", url, {"group": "northfield"})
    assert 'name="group" value="northfield"' in asked.get_data(as_text=True)
    confirmed = {"group": "northfield", "confirm": "yes"}
    assert post_form(ada, "/dashboard/users/", url, confirmed).status_code == 302
    api = app.test_client()
    assert api.get("/api/v1/areas/abbey/priorities", headers=bearer(token)).status_code == 404
    assert api.get("/api/v1/areas/elm-park/priorities", headers=bearer(token)).status_code == 200


def test_the_users_page_and_its_posts_are_for_admins_only(app: Flask) -> None:
    coordinator(app)
    cora = app.test_client()
    assert sign_in(cora, "cora").status_code == 302
    assert cora.get("/dashboard/users/").status_code == 403
    url = f"/dashboard/users/{user_id(app, 'cora')}/revoke-token"
    assert post_form(cora, "/dashboard/", url, {"confirm": "yes"}).status_code == 403
