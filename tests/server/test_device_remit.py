"""A group's device writes only to its group: push, bundle import and corrections alike.

Northfield holds abbey and bell-green, Riverside elm-park (tests/server/conftest.py).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from server.db import db, utcnow
from server.intake.bundles import import_bundle
from server.issues.aggregates import rebuild
from server.models import Response
from server.models.merge import RespondentDay
from sync.bundle import write_bundle
from tests.server.conftest import bearer, device_token, make_response


def push(client: FlaskClient, token: str, *items: dict[str, Any]) -> list[dict[str, Any]]:
    """Push ``items`` as the device with ``token``; return the results."""
    reply = client.post("/api/v1/sync/push", headers=bearer(token), json={"responses": items})
    assert reply.status_code == 200, reply.get_data(as_text=True)
    return reply.get_json()["results"]


def respondents(app: Flask, area: str) -> int:
    """Return how many responses count in ``area``'s figures."""
    with app.app_context():
        q = sa.select(sa.func.sum(RespondentDay.respondents)).where(RespondentDay.area == area)
        return int(db.session.scalar(q) or 0)


def stored(app: Flask) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(sa.select(Response.id)))


def test_a_groups_device_is_refused_per_response_for_another_groups_area(
    app: Flask, client: FlaskClient
) -> None:
    _, north = device_token(app, group="northfield")
    mine, theirs = make_response(area="abbey"), make_response(area="elm-park")
    results = push(client, north, mine, theirs)
    assert [r["status"] for r in results] == ["accepted", "rejected"]
    assert results[1]["code"] == "outside_group"
    assert "another group" in results[1]["errors"]["area"][0]
    assert stored(app) == {mine["id"]}
    assert respondents(app, "elm-park") == 0


def test_a_device_with_no_group_still_writes_to_every_area(app: Flask, client: FlaskClient):
    _, anywhere = device_token(app)
    results = push(client, anywhere, make_response(area="abbey"), make_response(area="elm-park"))
    assert [r["status"] for r in results] == ["accepted", "accepted"]


def test_an_unknown_area_is_still_an_invalid_response(app: Flask, client: FlaskClient) -> None:
    _, north = device_token(app, group="northfield")
    (result,) = push(client, north, make_response(area="atlantis"))
    assert result["code"] == "invalid_response" and "unknown area" in result["errors"]["area"][0]


def test_a_correction_cannot_remove_another_groups_response(app: Flask, client: FlaskClient):
    _, river = device_token(app, group="riverside")
    _, north = device_token(app, group="northfield")
    theirs = make_response(area="elm-park")
    assert push(client, river, theirs)[0]["status"] == "accepted"
    (result,) = push(client, north, make_response(area="abbey", replaces=theirs["id"]))
    assert result["status"] == "rejected" and result["code"] == "outside_group"
    assert "replaces" in result["errors"]
    assert respondents(app, "elm-park") == 1


def test_a_correction_sent_before_another_groups_response_does_not_remove_it(
    app: Flask, client: FlaskClient
) -> None:
    _, river = device_token(app, group="riverside")
    _, north = device_token(app, group="northfield")
    later = str(uuid.uuid4())
    # nothing to see yet: the correction is stored, and must never take effect on Riverside's
    assert push(client, north, make_response(replaces=later))[0]["status"] == "accepted"
    assert push(client, river, make_response(id=later, area="elm-park"))[0]["status"] == "accepted"
    assert respondents(app, "elm-park") == 1
    with app.app_context():
        rebuild(db.session)
        db.session.commit()
    assert respondents(app, "elm-park") == 1


def test_a_correction_within_the_group_still_replaces(app: Flask, client: FlaskClient) -> None:
    _, north = device_token(app, group="northfield")
    first = make_response(area="abbey")
    push(client, north, first)
    fix = make_response(area="bell-green", replaces=first["id"])
    assert push(client, north, fix)[0]["status"] == "accepted"
    assert (respondents(app, "abbey"), respondents(app, "bell-green")) == (0, 1)


def test_another_groups_response_id_is_refused_not_flagged(app: Flask, client: FlaskClient):
    _, river = device_token(app, group="riverside")
    _, north = device_token(app, group="northfield")
    theirs = make_response(area="elm-park")
    push(client, river, theirs)
    (result,) = push(client, north, make_response(id=theirs["id"], area="abbey"))
    assert result["status"] == "rejected" and result["code"] == "outside_group"
    with app.app_context():
        assert db.session.get(Response, theirs["id"]).conflict is False


def test_a_bundle_from_a_groups_device_is_refused_per_response_elsewhere(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    river_id, river = device_token(app, group="riverside")
    north_id, _ = device_token(app, group="northfield")
    theirs = make_response(area="elm-park")
    push(client, river, theirs)
    items = [
        make_response(area="abbey"),
        make_response(area="elm-park"),
        make_response(area="abbey", replaces=theirs["id"]),
    ]
    bundle = tmp_path / "north.bundle"
    write_bundle(items, bundle, north_id)
    with app.app_context():
        result = import_bundle(db.session, bundle, now=utcnow())
    assert [r["status"] for r in result["results"]] == ["accepted", "rejected", "rejected"]
    assert {r.get("code") for r in result["results"][1:]} == {"outside_group"}
    assert respondents(app, "elm-park") == 1
