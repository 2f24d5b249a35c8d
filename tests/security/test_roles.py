"""Every route of the server, called as every role: each answers only what that role may see.

The table ``POLICY`` classifies every endpoint of the URL map; a new route fails
``test_every_route_is_classified`` until it is added here, and so is checked by the others.
Group A is Northfield (areas Abbey, Bell Green); the intruding coordinator is Riverside's.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from server.accounts.users import create_user, get_group
from server.catalogue.deployment import upsert_areas
from server.catalogue.surveys import registry_for
from server.contacts.keys import new_contact_key
from server.db import db, utcnow
from server.intake.bundles import import_bundle
from server.models import ApiToken, Device, Issue, PersonalDetail, Response, User
from server.models.merge import TriageItem
from sync.bundle import write_bundle
from sync.openrosa import build_instance
from tests.conftest import ON_ONE_DATABASE
from tests.security.routes import requests_of
from tests.server.conftest import bearer, device_token, make_response, user_token
from tests.server.test_web_data import csrf_of, seed, sign_in

PUBLIC, KEY, DEVICE, SCOPED, LISTING, PROVIDER, MANAGERS, ADMIN = (
    "public",
    "key",
    "device",
    "scoped",
    "listing",
    "provider",
    "managers",
    "admin",
)
# public: anyone (aggregates only); key: a device's token in the URL (OpenRosa); device:
# enrolled devices only; scoped: names one group's
# area, group, issue, item or device; listing: lists what the caller's groups hold; provider:
# a provider's own issues; managers: any admin or coordinator (global or checked in the form);
# admin: admins only (what changes every group's figures or accounts).
POLICY = {
    "web_root": PUBLIC,
    "static": PUBLIC,
    "health.health": PUBLIC,
    "openapi.openapi": PUBLIC,
    "devices.enroll_device": PUBLIC,
    "public.area_public": PUBLIC,
    "web.static": PUBLIC,
    "web.auth.sign_in": PUBLIC,
    "web.auth.sign_out": PUBLIC,
    "openrosa.form_list_view": KEY,
    "openrosa.form": KEY,
    "openrosa.submission_check": KEY,
    "openrosa.submission": KEY,
    "sync.push": DEVICE,
    "sync.pull": DEVICE,
    "reach.push_activity": DEVICE,
    "areas.list_areas": LISTING,
    "responses.list_responses": LISTING,
    "triage.triage_queue": LISTING,
    "web.home.index": LISTING,
    "web.devices.index": LISTING,
    "web.meetings.index": LISTING,
    "web.reach.index": LISTING,
    "web.triage.queue_page": LISTING,
    "web.contacts.keys": LISTING,
    "web.contacts.follow_up": LISTING,
    "web.export.index": LISTING,
    "web.export.download": LISTING,  # every area the caller sees; ?group=/?area= checked too
    "priorities.area_priorities": SCOPED,
    "reach.area_reach": SCOPED,
    "meetings.area_issues": SCOPED,
    "meetings.agree_priority": SCOPED,
    "meetings.list_meetings": SCOPED,
    "meetings.save_meeting": SCOPED,
    "meetings.group_agenda": SCOPED,
    "meetings.change_status": SCOPED,
    "meetings.log_action": SCOPED,
    "meetings.publish": SCOPED,
    "triage.triage_decide": SCOPED,
    "web.areas.show": SCOPED,
    "web.issues.show": SCOPED,
    "web.issues.agree_priority": SCOPED,
    "web.issues.change_status": SCOPED,
    "web.issues.log_action": SCOPED,
    "web.issues.publish": SCOPED,
    "web.meetings.group": SCOPED,
    "web.meetings.save": SCOPED,
    "web.meetings.meeting": SCOPED,
    "web.meetings.decide": SCOPED,
    "web.meetings.agenda": SCOPED,
    "web.triage.decide_item": SCOPED,
    "web.devices.revoke": SCOPED,
    "web.contacts.retire": SCOPED,
    "web.contacts.contacted": SCOPED,
    "meetings.my_issues": PROVIDER,
    "web.devices.new_code": MANAGERS,
    "web.devices.new_collect": MANAGERS,
    "web.surveys.index": MANAGERS,
    "web.surveys.upload": MANAGERS,
    "crime.area_crime_counts": SCOPED,
    "web.crime.index": LISTING,
    "web.crime.map_lsoa": SCOPED,
    "web.crime.upload": ADMIN,
    "web.contacts.new_key": MANAGERS,  # coordinators only; the group is checked in the form
    "web.contacts.open_follow_up": MANAGERS,  # the same
    "web.users.index": ADMIN,
    "web.users.disable": ADMIN,
    "web.users.revoke_token": ADMIN,
    "web.users.set_password": ADMIN,
    "web.users.remove_group": ADMIN,
}
CONTACT_PASSPHRASE = "north contact passphrase"
# Valid bodies, so a refusal is the role check and not the validation (API: JSON; pages: forms).
BODIES: dict[str, dict[str, Any]] = {
    "meetings.agree_priority": {
        "category": "litter",
        "owner": "Council",
        "report_back": "2025-05-01",
    },
    "meetings.save_meeting": {"date": "2025-03-08"},
    "meetings.change_status": {"status": "in_progress", "note": "x"},
    "meetings.log_action": {"text": "x"},
    "meetings.publish": {"text": "x"},
    "triage.triage_decide": {"category": "drugs"},
    "web.issues.agree_priority": {"owner": "Council", "report_back": "2025-05-01"},
    "web.issues.change_status": {"status": "in_progress", "note": "x"},
    "web.issues.log_action": {"text": "x"},
    "web.issues.publish": {"text": "x"},
    "web.meetings.save": {"date": "2025-03-08"},
    "web.meetings.decide": {
        "area": "abbey",
        "category": "litter",
        "owner": "Council",
        "report_back": "2025-05-01",
    },
    "web.triage.decide_item": {"action": "dismiss"},
    "web.devices.new_code": {"group": "northfield", "label": "intruder"},
    "web.devices.new_collect": {"group": "northfield", "label": "intruder"},
    "web.crime.map_lsoa": {"lsoa": "E01000001"},
    # The users pages act on a spare coordinator of group A ("leaver"), confirmed.
    "web.users.disable": {"confirm": "yes"},
    "web.users.revoke_token": {"confirm": "yes"},
    "web.users.set_password": {"password": "a new long password", "again": "a new long password"},
    "web.users.remove_group": {"group": "northfield", "confirm": "yes"},
    "web.contacts.new_key": {
        "group": "northfield",
        "passphrase": CONTACT_PASSPHRASE,
        "confirm": CONTACT_PASSPHRASE,
    },
    "web.contacts.open_follow_up": {"group": "northfield", "passphrase": CONTACT_PASSPHRASE},
    "web.contacts.contacted": {"channel": "phone"},
}
# What group A holds; none of it may reach another group's coordinator or the provider.
NORTH_MINUTES = "NORTH-MINUTES-7731"
NORTH_ACTION = "NORTH-ACTION-5521"
GROUP_A = ('"abbey"', "/abbey", "abbeygate", "bell green", "bell-green", "broken glass",
           "northfield", "north-pi", NORTH_MINUTES.lower(), NORTH_ACTION.lower())  # fmt: skip
# Tables a refused call must leave as they were (tokens' last-used time and failures may move).
BOOKKEEPING = {"api_tokens", "failed_attempts", "alembic_version"}


@dataclass
class World:
    """Group A's records and a client per role."""

    values: dict[str, str]
    api: dict[str, dict[str, str]]  # role -> headers for the API
    pages: dict[str, FlaskClient]  # role -> a browser session for the dashboard


def _api_user(name: str, role: str, **kw: Any) -> str:
    _, token = create_user(db.session, name, role, **kw)
    return token


@pytest.fixture
def world(app: Flask, client: FlaskClient) -> World:
    """Seed two groups' data: responses, an issue each, a meeting, a device, users per role."""
    seed(app, client)  # dashboard users ada, cora (northfield), rita (riverside), pc (Police)
    with app.app_context():
        # A name no page prints for its own reasons (a form hint says "Abbey Pi 2").
        upsert_areas(db.session, [{"code": "abbey", "name": "Abbeygate", "group": "northfield"}])
        tokens = {
            "admin": _api_user("ada-api", "admin"),
            "coordinator": _api_user("cora-api", "coordinator", groups=["northfield"]),
            "other": _api_user("rita-api", "coordinator", groups=["riverside"]),
            "provider": _api_user("pc-api", "provider", provider="Police"),
            "leaver": _api_user("leaver", "coordinator", groups=["northfield"]),
        }
        db.session.commit()
        leaver_id = db.session.scalars(sa.select(User.id).where(User.name == "leaver")).one()
    device_id, device = device_token(app, group="northfield", label="north-pi")
    cora, rita = bearer(tokens["coordinator"]), bearer(tokens["other"])
    north = client.post(
        "/api/v1/areas/abbey/issues",
        headers=cora,
        json={"category": "speeding", "owner": "Abbey Council roads", "report_back": "2025-04-01"},
    ).get_json()
    client.post(f"/api/v1/issues/{north['id']}/actions", headers=cora, json={"text": NORTH_ACTION})
    client.post(
        "/api/v1/areas/elm-park/issues",
        headers=rita,
        json={"category": "litter", "owner": "Police", "report_back": "2025-04-01"},
    )
    meeting = {"date": "2025-03-01", "minutes": NORTH_MINUTES}
    assert (
        client.put("/api/v1/groups/northfield/meetings", headers=cora, json=meeting).status_code
        == 200
    )
    with app.app_context():
        group = get_group(db.session, "northfield")
        kid = new_contact_key(db.session, group, CONTACT_PASSPHRASE, now=utcnow())[0].kid
        # a resident of Abbey who left contact details (sealed: their content does not matter)
        resident = db.session.scalars(
            sa.select(Response.id).where(Response.area == "abbey")
        ).first()
        db.session.add(PersonalDetail(response_id=resident, data={}, consent=True))
        db.session.commit()
        item = db.session.scalars(
            sa.select(TriageItem.id).where(TriageItem.area == "abbey")
        ).first()
    values = {
        "code": "abbey",
        "group": "northfield",
        "issue_id": str(north["id"]),
        "item_id": str(item),
        "category": "speeding",
        "day": "2025-03-01",
        "device_id": device_id,
        "filename": "dash.css",
        "kid": kid,
        "token": device,  # OpenRosa's key: the device's own token in the URL
        "survey_id": "test-safety",
        "version": "1",
        "response_id": str(resident),
        "user_id": str(leaver_id),
    }
    api = {
        "anonymous": {},
        "device": bearer(device),
        "other": rita,
        "provider": bearer(tokens["provider"]),
        "coordinator": cora,
        "admin": bearer(tokens["admin"]),
    }
    pages = {}
    for role, name in (("anonymous", None), ("device", None), ("other", "rita"),
                       ("provider", "pc"), ("coordinator", "cora"), ("admin", "ada")):  # fmt: skip
        browser = app.test_client()
        if name:
            assert sign_in(browser, name).status_code == 302
        pages[role] = browser
    return World(values, api, pages)


def snapshot(app: Flask) -> dict[str, list[str]]:
    """Return every row of every table but the bookkeeping ones, as sorted JSON text."""
    out = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            if table.name not in BOOKKEEPING:
                rows = db.session.execute(sa.select(table)).all()
                out[table.name] = sorted(json.dumps(list(r), default=str) for r in rows)
    return out


SIGNED_IN = ("other", "provider", "coordinator", "admin")


def call(world: World, role: str, endpoint: str, method: str, url: str) -> TestResponse:
    """Call one route as ``role``: the API with its token, a page with its browser session."""
    if url.startswith("/api/"):
        client = world.pages["anonymous"]  # no cookies sent: only the token speaks
        body = BODIES.get(endpoint, {}) if method != "GET" else None
        return client.open(url, method=method, json=body, headers=world.api[role])
    browser = world.pages[role]
    if method == "GET":
        signed_in = role in SIGNED_IN
        # A signed-in list page may forward to the one thing it lists: follow, and see that.
        reply = browser.open(url, headers=world.api[role], follow_redirects=signed_in)
        assert not (signed_in and reply.request.path.startswith("/dashboard/sign-in")), url
        return reply
    where = "/dashboard/" if role in SIGNED_IN else "/dashboard/sign-in"
    token = csrf_of(browser.get(where).get_data(as_text=True))
    form = {**BODIES.get(endpoint, {}), "csrf_token": token}
    return browser.open(url, method=method, data=form, headers=world.api[role])


def assert_error_body(reply: TestResponse, statuses: set[int], where: str) -> None:
    """Check an API refusal: one of ``statuses``, with the one error body."""
    assert reply.status_code in statuses, (where, reply.status_code, reply.get_data(as_text=True))
    body = reply.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, where


def assert_nothing_of_group_a(reply: TestResponse, where: str) -> None:
    """Check an answer shows none of group A's areas, responses, issues, meetings or devices."""
    text = reply.get_data(as_text=True).lower()
    leaked = [marker for marker in GROUP_A if marker in text]
    assert not leaked, (where, leaked)


def routes(app: Flask, world: World) -> Iterator[tuple[str, str, str, str]]:
    """Yield ``(endpoint, kind, method, url)`` for every non-public route."""
    for endpoint, method, url in requests_of(app, world.values):
        if POLICY[endpoint] not in (PUBLIC, KEY):  # KEY: test_openrosa_keys_* below
            yield endpoint, POLICY[endpoint], method, url


def test_every_route_is_classified(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(POLICY) == set(), "classify the new route in POLICY"
    assert set(POLICY) - endpoints == set(), "a route in POLICY no longer exists"


def answers(app: Flask, world: World, role: str) -> Iterator[tuple[str, str, str, TestResponse]]:
    """Call every non-public route as ``role``; yield ``(kind, method, url, answer)``.

    A refused write must change nothing: after each write the rows are compared with before.
    """
    for endpoint, kind, method, url in routes(app, world):
        if role == "device" and kind == DEVICE:
            continue  # a device's own routes: the positive control covers them
        before = snapshot(app) if method != "GET" else None
        reply = call(world, role, endpoint, method, url)
        yield kind, method, url, reply
        if before is not None:
            assert snapshot(app) == before, f"{role} {method} {url} changed rows"


def check_without_a_user_every_user_route_is_refused(app: Flask, world: World) -> None:
    """Check no one and a device get 401 (API) or the sign-in page, and change nothing."""
    for role in ("anonymous", "device"):
        for _kind, method, url, reply in answers(app, world, role):
            where = f"{role} {method} {url}"
            if url.startswith("/api/"):
                assert_error_body(reply, {401}, where)
                assert reply.get_json()["error"]["code"] == "invalid_token", where
            else:
                assert reply.status_code == 302, (where, reply.status_code)
                assert reply.location.startswith("/dashboard/sign-in"), where


def check_another_groups_coordinator_sees_nothing_of_group_a(app: Flask, world: World) -> None:
    """Check another group's coordinator gets 404 for group A's things, lists without them."""
    for kind, method, url, reply in answers(app, world, "other"):
        where = f"other {method} {url}"
        if kind == SCOPED:
            assert reply.status_code == 404, (where, reply.status_code)
            if url.startswith("/api/"):
                assert_error_body(reply, {404}, where)
                assert reply.get_json()["error"]["code"] == "not_found", where
        elif kind == LISTING:
            assert reply.status_code == 200, (where, reply.status_code)
            assert_nothing_of_group_a(reply, where)
        elif kind in (DEVICE, PROVIDER, ADMIN):
            if url.startswith("/api/"):
                assert_error_body(reply, {401} if kind == DEVICE else {403}, where)
            else:
                assert reply.status_code == 403, (where, reply.status_code)
        else:  # MANAGERS: the page is open to any coordinator, but not group A's part of it
            assert reply.status_code in (200, 400), (where, reply.status_code)
            if method == "GET":
                assert_nothing_of_group_a(reply, where)


def check_a_provider_sees_only_its_own_issues(app: Flask, world: World) -> None:
    """Check a provider gets 403/404 but for its own issues, and sees nothing of group A."""
    for kind, method, url, reply in answers(app, world, "provider"):
        where = f"provider {method} {url}"
        if kind == PROVIDER or (kind == LISTING and reply.status_code == 200):
            assert reply.status_code == 200, where
            assert_nothing_of_group_a(reply, where)
        elif url.startswith("/api/"):
            assert_error_body(reply, {401} if kind == DEVICE else {403, 404}, where)
        else:
            assert reply.status_code in (403, 404), (where, reply.status_code)
    mine = call(world, "provider", "meetings.my_issues", "GET", "/api/v1/provider/issues")
    assert [i["area"] for i in mine.get_json()["issues"]] == ["elm-park"]  # its own, Police's


def check_a_coordinator_is_refused_what_only_an_admin_may_do(app: Flask, world: World) -> None:
    """Check group A's own coordinator gets 403 for admin-only routes, and changes nothing."""
    for endpoint, kind, method, url in routes(app, world):
        if kind != ADMIN:
            continue
        where = f"coordinator {method} {url}"
        before = snapshot(app)
        reply = call(world, "coordinator", endpoint, method, url)
        if url.startswith("/api/"):
            assert_error_body(reply, {403}, where)
        else:
            assert reply.status_code == 403, (where, reply.status_code)
        assert snapshot(app) == before, f"{where} changed rows"


def check_group_as_coordinator_is_let_through_every_route(app: Flask, world: World) -> None:
    """Check the positive control: group A's coordinator (a device, an admin) is let through."""
    for endpoint, kind, method, url in routes(app, world):
        role = {DEVICE: "device", PROVIDER: "provider", ADMIN: "admin"}.get(kind, "coordinator")
        reply = call(world, role, endpoint, method, url)
        where = f"{role} {method} {url}"
        assert reply.status_code not in (401, 403, 404, 500), (where, reply.status_code)
        if method == "GET" and kind in (SCOPED, LISTING):
            text = reply.get_data(as_text=True).lower()
            assert any(marker in text for marker in GROUP_A), where


@ON_ONE_DATABASE
def test_every_route_answers_each_role_only_what_it_may_see(app: Flask, world: World) -> None:
    # One world for all roles (building it costs password hashes); the writes that succeed run
    # last, after every refusal was checked against the unchanged rows.
    check_without_a_user_every_user_route_is_refused(app, world)
    check_another_groups_coordinator_sees_nothing_of_group_a(app, world)
    check_a_provider_sees_only_its_own_issues(app, world)
    check_a_coordinator_is_refused_what_only_an_admin_may_do(app, world)
    check_group_as_coordinator_is_let_through_every_route(app, world)


def test_admin_lists_see_every_group(app: Flask, client: FlaskClient) -> None:
    got = client.get("/api/v1/areas", headers=bearer(user_token(app, "root", "admin")))
    assert {a["group"] for a in got.get_json()["areas"]} == {"northfield", "riverside"}


def test_revoked_device_and_revoked_token_are_refused(app: Flask, client: FlaskClient) -> None:
    device = bearer(device_token(app, group="northfield")[1])
    user = bearer(user_token(app, "cora", group="northfield"))
    assert client.get("/api/v1/sync/pull", headers=device).status_code == 200
    assert client.get("/api/v1/areas", headers=user).status_code == 200
    with app.app_context():
        now = app.config["CLOCK"]()
        db.session.execute(sa.update(Device).values(revoked_at=now))
        db.session.execute(sa.update(ApiToken).values(revoked_at=now))
        db.session.commit()
    assert_error_body(client.get("/api/v1/sync/pull", headers=device), {401}, "revoked device")
    assert_error_body(client.get("/api/v1/areas", headers=user), {401}, "revoked API token")


def test_openrosa_keys_let_only_a_live_device_in_and_only_to_its_groups_forms(
    app: Flask, world: World
) -> None:
    """Every KEY route: no device, a revoked one or a user's token in the URL gets 403 and
    changes nothing; another group's device sees none of group A's areas and not its form."""
    with app.app_context():
        from server.catalogue.surveys import add_survey
        from tests.server.conftest import TEST_SURVEY

        own = {**TEST_SURVEY, "id": "north-only", "title": {"en": "Northfield only"}}
        add_survey(db.session, own, group="northfield")
        db.session.commit()
    revoked_id, revoked = device_token(app, group="northfield", label="gone")
    with app.app_context():
        db.session.get(Device, revoked_id).revoked_at = app.config["CLOCK"]()
        db.session.commit()
    river = device_token(app, group="riverside", label="river")[1]
    user = world.api["coordinator"]["Authorization"].split()[1]
    north = world.api["device"]["Authorization"].split()[1]
    values = {**world.values, "survey_id": "north-only", "version": "1"}
    client = world.pages["anonymous"]
    keyed = [r for r in requests_of(app, {**values, "token": north}) if POLICY.get(r[0]) == KEY]
    assert {r[0] for r in keyed} == {e for e, kind in POLICY.items() if kind == KEY}
    for token in ("nobody", revoked, user):
        for endpoint, method, url in requests_of(app, {**values, "token": token}):
            if POLICY.get(endpoint) != KEY:
                continue
            before = snapshot(app)
            reply = client.open(url, method=method, data={})
            assert reply.status_code == 403, (token[:6], method, url, reply.status_code)
            assert reply.headers["X-OpenRosa-Version"] == "1.0"
            assert snapshot(app) == before
    for endpoint, method, url in requests_of(app, {**values, "token": river}):
        if POLICY.get(endpoint) != KEY or method != "GET":
            continue
        reply = client.get(url)
        assert reply.status_code in (200, 204, 404), (url, reply.status_code)
        assert_nothing_of_group_a(reply, url)
        assert b"Northfield only" not in reply.data  # its title: the URL itself names the id
    for _endpoint, method, url in keyed:  # the positive control: group A's own device
        if method == "GET":
            assert client.get(url).status_code in (200, 204), url


# Every route on which a provider could date an entry or set a report-back date, with such
# bodies and the refusal each gets (400: a future day, for anyone; 403: what only the group
# does). Called on the provider's own issue (the Police's, in Elm Park), so the date alone is
# what is refused.
FUTURE, EARLIER = "2099-01-01", "2025-02-01"
PROVIDER_DATES: dict[str, list[tuple[dict[str, str], int]]] = {
    endpoint: [
        ({"status": "in_progress", "note": "x", "report_back": FUTURE}, 403),
        ({"status": "in_progress", "note": "x", "report_back": "2025-06-01"}, 403),
        ({"status": "in_progress", "note": "x", "date": EARLIER}, 403),
        ({"status": "in_progress", "note": "x", "date": FUTURE}, 400),
    ]
    for endpoint in ("meetings.change_status", "web.issues.change_status")
} | {
    endpoint: [({"text": "x", "date": FUTURE}, 400), ({"text": "x", "date": EARLIER}, 403)]
    for endpoint in ("meetings.log_action", "web.issues.log_action")
}


def test_a_provider_sets_no_date_on_any_route(app: Flask, world: World) -> None:
    with app.app_context():
        own = db.session.scalars(sa.select(Issue.id).where(Issue.area == "elm-park")).one()
    values = {**world.values, "code": "elm-park", "category": "litter", "issue_id": str(own)}
    dated = [r for r in requests_of(app, values, frozenset({"POST"})) if r[0] in PROVIDER_DATES]
    assert {r[0] for r in dated} == set(PROVIDER_DATES)
    browser = world.pages["provider"]
    for endpoint, method, url in dated:
        for body, status in PROVIDER_DATES[endpoint]:
            where = f"provider {url} {body}"
            before = snapshot(app)
            if url.startswith("/api/"):
                reply = world.pages["anonymous"].open(
                    url, method=method, json=body, headers=world.api["provider"]
                )
                assert_error_body(reply, {status}, where)
            else:
                token = csrf_of(browser.get("/dashboard/").get_data(as_text=True))
                reply = browser.post(url, data={**body, "csrf_token": token})
                assert reply.status_code == status, (where, reply.status_code)
            assert snapshot(app) == before, f"{where} changed rows"
    # the positive control: the same reports, undated, are taken and dated today
    reply = call(world, "provider", "meetings.log_action", "POST", f"/api/v1/issues/{own}/actions")
    assert reply.status_code == 201 and reply.get_json()["log"][-1]["on"] == "2025-03-01"


def test_a_groups_device_writes_nothing_into_another_group(
    app: Flask, world: World, tmp_path: Path
) -> None:
    """Push, bundle import, OpenRosa submission: another group's area, a correction of another
    group's response and another group's response id are each refused, and change no row."""
    with app.app_context():
        theirs = db.session.scalars(sa.select(Response.id).where(Response.area == "elm-park"))
        theirs = theirs.first()
        survey = registry_for(db.session).get("test-safety", 1)
    items = [
        make_response(area="elm-park"),
        make_response(area="abbey", replaces=theirs),
        make_response(id=theirs, area="abbey"),
    ]
    client = world.pages["anonymous"]

    def rows() -> dict[str, list[str]]:
        return {t: r for t, r in snapshot(app).items() if t != "devices"}  # its own counters

    before = rows()
    reply = client.post("/api/v1/sync/push", json={"responses": items}, headers=world.api["device"])
    results = reply.get_json()["results"]
    assert [(r["status"], r["code"]) for r in results] == [("rejected", "outside_group")] * 3
    bundle = tmp_path / "north.bundle"
    write_bundle(items, bundle, world.values["device_id"])
    with app.app_context():
        imported = import_bundle(db.session, bundle, now=utcnow())["results"]
    assert [r.get("code") for r in imported] == ["outside_group"] * 3
    form = {"xml_submission_file": (io.BytesIO(build_instance(survey, items[0])), "s.xml")}
    submitted = client.post(f"/openrosa/key/{world.values['token']}/submission", data=form)
    assert submitted.status_code == 422, submitted.get_data(as_text=True)
    assert rows() == before
    # the positive control: its own group's area is taken
    mine = client.post(
        "/api/v1/sync/push", json={"responses": [make_response()]}, headers=world.api["device"]
    )
    assert mine.get_json()["results"][0]["status"] == "accepted"
