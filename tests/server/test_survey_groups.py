"""A group's own survey: only its devices pull and answer it, only its coordinators version it."""

from __future__ import annotations

import contextlib
import io
import json
import re
import threading
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from server.accounts.users import create_user
from server.catalogue import surveys
from server.catalogue.surveys import add_survey
from server.cli import main
from server.db import db, utcnow
from server.exceptions import Forbidden
from server.intake.bundles import import_bundle
from server.models import Group, SurveyVersion
from sync.bundle import write_bundle
from tests.server.conftest import TEST_SURVEY, bearer, device_token, make_response
from tests.server.test_web_data import PASSWORD, post_form, seed, sign_in

OWN = {**TEST_SURVEY, "id": "northfield-walk", "title": {"en": "Northfield walkabout"}}


def signed_in(app: Flask, name: str) -> FlaskClient:
    """Return a new browser-like client signed in to the dashboard as ``name``."""
    client = app.test_client()
    sign_in(client, name)
    return client


def upload(client: FlaskClient, survey: dict[str, Any], group: str | None = None) -> Any:
    """Post a survey as a JSON file through the dashboard's form (a group if one is given)."""
    data: dict[str, Any] = {"survey": (io.BytesIO(json.dumps(survey).encode()), "s.json")}
    if group is not None:
        data["group"] = group
    return post_form(client, "/dashboard/surveys/", "/dashboard/surveys/", data)


def problem(resp: Any) -> str:
    """Return the problems shown next to the file field of a refused upload."""
    assert resp.status_code == 400
    found = re.search(r'id="survey-error">(.*?)</div>', resp.get_data(as_text=True), re.S)
    assert found, "the page shows no problem next to the file"
    return found.group(1)


def pulled(client: FlaskClient, token: str, since: str | None = None) -> dict[str, Any]:
    """Pull every page after ``since``; return the survey ids seen and the last cursor."""
    ids: set[str] = set()
    while True:
        query = f"?since={since}" if since else ""
        body = client.get(f"/api/v1/sync/pull{query}", headers=bearer(token)).get_json()
        ids |= {s["id"] for s in body["surveys"]}
        since = body["cursor"]
        if not body["more"]:
            return {"ids": ids, "cursor": since}


def versions(app: Flask, survey_id: str) -> list[tuple[int, str | None]]:
    """Return each stored version of a survey with its group's code (None: every group's)."""
    with app.app_context():
        rows = db.session.execute(
            select(SurveyVersion.version, Group.code)
            .outerjoin(Group, SurveyVersion.group_id == Group.id)
            .where(SurveyVersion.survey_id == survey_id)
            .order_by(SurveyVersion.version)
        )
        return [tuple(row) for row in rows]


def test_a_coordinators_survey_reaches_only_their_groups_devices(app: Flask, client: FlaskClient):
    seed(app, client)
    _, north = device_token(app, group="northfield")
    _, river = device_token(app, group="riverside")
    _, every = device_token(app)  # enrolled by an admin for no one group: sees everything
    before = {token: pulled(client, token)["cursor"] for token in (north, river, every)}
    sign_in(client, "cora")
    added = upload(client, OWN)
    assert added.status_code == 302
    shown = client.get(added.location).get_data(as_text=True)
    assert "northfield-walk version 1 added: Northfield CSG&#39;s own survey." in shown
    assert versions(app, "northfield-walk") == [(1, "northfield")]
    # incremental pulls, then full ones: the same answer both ways
    assert "northfield-walk" in pulled(client, north, before[north])["ids"]
    assert pulled(client, river, before[river])["ids"] == set()
    assert "northfield-walk" in pulled(client, every, before[every])["ids"]
    assert "northfield-walk" in pulled(client, north)["ids"]
    assert pulled(client, river)["ids"] == {"test-safety", "web-safety"}


def test_another_groups_device_cannot_answer_a_groups_own_survey(app: Flask, client: FlaskClient):
    seed(app, client)
    sign_in(client, "cora")
    upload(client, OWN)
    _, north = device_token(app, group="northfield")
    _, river = device_token(app, group="riverside")
    theirs = make_response(survey_id="northfield-walk", area="elm-park")
    ours = make_response(survey_id="northfield-walk", area="abbey")
    shared = make_response(area="elm-park")
    resp = client.post(
        "/api/v1/sync/push", json={"responses": [theirs, shared]}, headers=bearer(river)
    )
    rejected, accepted = resp.get_json()["results"]
    assert rejected["status"] == "rejected"
    assert rejected["errors"] == {"survey_version": ["unknown survey 'northfield-walk' version 1"]}
    assert accepted["status"] == "accepted"
    resp = client.post("/api/v1/sync/push", json={"responses": [ours]}, headers=bearer(north))
    assert resp.get_json()["results"][0]["status"] == "accepted"


def test_a_coordinator_adds_versions_only_to_their_groups_surveys(app: Flask, client: FlaskClient):
    seed(app, client)
    sign_in(client, "cora")
    assert upload(client, OWN).status_code == 302
    client = signed_in(app, "rita")
    found = problem(upload(client, {**OWN, "version": 2}))
    assert "northfield-walk is another group&#39;s survey" in found
    assert "Northfield" not in found  # another group's name is not rita's to see
    found = problem(upload(client, {**TEST_SURVEY, "version": 2}))
    assert "test-safety is every group&#39;s survey; only an admin" in found
    assert versions(app, "northfield-walk") == [(1, "northfield")]
    assert versions(app, "test-safety") == [(1, None)]
    # rita's own new survey is riverside's: her only group, with no choice to make
    assert upload(client, {**OWN, "id": "riverside-walk"}).status_code == 302
    assert versions(app, "riverside-walk") == [(1, "riverside")]
    client = signed_in(app, "cora")
    assert upload(client, {**OWN, "version": 2}).status_code == 302
    assert versions(app, "northfield-walk") == [(1, "northfield"), (2, "northfield")]


def test_a_coordinator_of_two_groups_adds_versions_where_the_survey_is(
    app: Flask, client: FlaskClient
):
    seed(app, client)
    with app.app_context():
        create_user(db.session, "tess", "coordinator", groups=["northfield", "riverside"],
                    password=PASSWORD)  # fmt: skip
        db.session.commit()
    tess = signed_in(app, "tess")
    assert upload(tess, OWN, group="riverside").status_code == 302
    # the form names a group (Northfield first); the new version stays with Riverside's survey
    assert upload(tess, {**OWN, "version": 2}, group="northfield").status_code == 302
    assert versions(app, "northfield-walk") == [(1, "riverside"), (2, "riverside")]


def test_an_imported_bundle_from_another_groups_device_cannot_answer_it(
    app: Flask, client: FlaskClient, tmp_path: Any
):
    seed(app, client)
    sign_in(client, "cora")
    upload(client, OWN)
    river, _ = device_token(app, group="riverside")
    north, _ = device_token(app, group="northfield")
    for device, area, status in ((river, "elm-park", "rejected"), (north, "abbey", "accepted")):
        bundle = tmp_path / f"{device}.bundle"
        write_bundle([make_response(survey_id="northfield-walk", area=area)], bundle, device)
        with app.app_context():
            result = import_bundle(db.session, bundle, now=utcnow())
        assert result["results"][0]["status"] == status


def test_a_coordinator_sees_every_groups_surveys_and_their_own(app: Flask, client: FlaskClient):
    seed(app, client)
    sign_in(client, "cora")
    upload(client, OWN)
    page = client.get("/dashboard/surveys/").get_data(as_text=True)
    assert "northfield-walk" in page and "Northfield CSG's own survey" in page
    assert "Every group's survey" in page
    assert 'name="group"' in page and "Riverside" not in page  # only cora's group to choose
    client = signed_in(app, "rita")
    page = client.get("/dashboard/surveys/").get_data(as_text=True)
    assert "northfield-walk" not in page and "test-safety" in page


def test_an_admin_chooses_whose_survey_and_new_versions_keep_it(app: Flask, client: FlaskClient):
    seed(app, client)
    sign_in(client, "ada")
    page = client.get("/dashboard/surveys/").get_data(as_text=True)
    assert "Every group" in page and "Northfield CSG" in page and "Riverside CSG" in page
    assert upload(client, OWN, group="riverside").status_code == 302
    found = problem(upload(client, {**OWN, "version": 2}, group="northfield"))
    assert "Riverside CSG&#39;s own survey; its new versions stay with it" in found
    assert upload(client, {**OWN, "version": 2}, group="").status_code == 302
    assert upload(client, {**TEST_SURVEY, "version": 2}, group="").status_code == 302
    assert versions(app, "northfield-walk") == [(1, "riverside"), (2, "riverside")]
    assert versions(app, "test-safety") == [(1, None), (2, None)]


def test_an_unknown_or_overlong_group_is_a_clear_error(app: Flask, client: FlaskClient):
    seed(app, client)
    sign_in(client, "ada")
    assert "no group &#39;nowhere&#39;" in problem(upload(client, OWN, group="nowhere"))
    assert "Group: Longer than maximum length 64" in problem(upload(client, OWN, group="x" * 65))
    assert versions(app, "northfield-walk") == []


def test_cli_adds_a_groups_own_survey(app: Flask, runner: CliRunner, tmp_path: Any):
    path = tmp_path / "own.json"
    path.write_text(json.dumps(OWN))
    result = runner.invoke(main, ["server", "add-survey", str(path), "--group", "nowhere"])
    assert result.exit_code == 1 and "no group 'nowhere'" in result.output
    result = runner.invoke(main, ["server", "add-survey", str(path), "--group", "riverside"])
    assert result.exit_code == 0, result.output
    assert "northfield-walk v1 added: Riverside CSG's own survey" in result.output
    assert versions(app, "northfield-walk") == [(1, "riverside")]
    path.write_text(json.dumps({**OWN, "version": 2}))
    result = runner.invoke(main, ["server", "add-survey", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["group"] == "riverside"  # said, not silently taken
    assert versions(app, "northfield-walk") == [(1, "riverside"), (2, "riverside")]


def test_two_first_uploads_of_one_id_at_once_leave_it_with_one_group(
    app: Flask, monkeypatch: pytest.MonkeyPatch
):
    """Each upload looks up the owner, then waits (up to 1 s) for the other to have looked too.

    Without a lock both see a new survey and store versions for two groups; with it the second
    looks only after the first has committed, and is refused.
    """
    with app.app_context():
        groups = {g.code: g.id for g in db.session.scalars(select(Group))}
    looked = threading.Barrier(2)
    real_owner = surveys._owner

    def owner_then_wait(*args: Any) -> int | None:
        found = real_owner(*args)
        with contextlib.suppress(threading.BrokenBarrierError):
            looked.wait(timeout=1)
        return found

    monkeypatch.setattr(surveys, "_owner", owner_then_wait)
    outcomes: dict[str, str] = {}

    def upload_as(group: str, version: int) -> None:
        with app.app_context():
            try:
                add_survey(db.session, {**OWN, "version": version}, group=group,
                           allowed={groups[group]})  # fmt: skip
                db.session.commit()
                outcomes[group] = "added"
            except Forbidden:
                db.session.rollback()
                outcomes[group] = "refused"

    threads = [
        threading.Thread(target=upload_as, args=("northfield", 1)),
        threading.Thread(target=upload_as, args=("riverside", 2)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == ["added", "refused"], outcomes
    assert len({group for _, group in versions(app, "northfield-walk")}) == 1
