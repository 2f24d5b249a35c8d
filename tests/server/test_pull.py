"""Pull: what changed since the cursor, in commit order, per device's areas, resumable pages."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from server.catalogue.deployment import upsert_areas
from server.db import db
from server.feed import compact, record_change
from server.models import Issue

from .conftest import bearer, device_token


def pull(client: FlaskClient, token: str, since: str | None = None, limit: int | None = None):
    params = {k: v for k, v in (("since", since), ("limit", limit)) if v is not None}
    return client.get("/api/v1/sync/pull", query_string=params, headers=bearer(token))


def add_issue(app: Flask, area: str, category: str, text: str | None = None) -> int:
    with app.app_context():
        issue = Issue(area=area, category=category, status="agreed", public_text=text)
        db.session.add(issue)
        db.session.flush()
        record_change(db.session, "issue", issue.id, area=area)
        db.session.commit()
        return issue.id


def test_first_pull_gives_everything_the_device_may_see(app: Flask, client: FlaskClient) -> None:
    _, token = device_token(app, group="northfield")
    add_issue(app, "abbey", "speeding", "We asked for a speed camera.")
    add_issue(app, "elm-park", "litter")
    body = pull(client, token).json
    assert set(body) == {"cursor", "surveys", "areas", "issues", "contact_keys", "more"}
    assert [s["id"] for s in body["surveys"]] == ["test-safety"]
    assert [a["code"] for a in body["areas"]] == ["abbey", "bell-green"]
    assert [(i["area"], i["public_text"]) for i in body["issues"]] == [
        ("abbey", "We asked for a speed camera.")
    ]
    assert body["more"] is False


def test_device_without_group_sees_every_area(client: FlaskClient, device: str) -> None:
    codes = [a["code"] for a in pull(client, device).json["areas"]]
    assert codes == ["abbey", "bell-green", "elm-park"]


def test_pull_since_cursor_gives_only_later_changes(app: Flask, client: FlaskClient) -> None:
    _, token = device_token(app)
    cursor = pull(client, token).json["cursor"]
    assert pull(client, token, cursor).json["areas"] == []
    issue_id = add_issue(app, "abbey", "speeding")
    with app.app_context():
        upsert_areas(db.session, [{"code": "abbey", "name": "Abbey Ward", "group": "northfield"}])
        db.session.commit()
    body = pull(client, token, cursor).json
    assert [i["id"] for i in body["issues"]] == [issue_id]
    assert [(a["code"], a["name"]) for a in body["areas"]] == [("abbey", "Abbey Ward")]
    assert int(body["cursor"]) > int(cursor)


def test_pages_are_resumable_and_oldest_first(app: Flask, client: FlaskClient) -> None:
    _, token = device_token(app)
    for category in ("speeding", "litter", "graffiti", "noise"):
        add_issue(app, "abbey", category)
    seen, cursor, pages = [], None, 0
    while True:
        body = pull(client, token, cursor, limit=2).json
        seen += [("area", a["code"]) for a in body["areas"]]
        seen += [("issue", i["category"]) for i in body["issues"]]
        cursor, pages = body["cursor"], pages + 1
        if not body["more"]:
            break
    assert pages == 4  # 1 survey + 3 areas + 4 issues, two at a time
    assert [c for kind, c in seen if kind == "issue"] == ["speeding", "litter", "graffiti", "noise"]
    assert pull(client, token, cursor).json["issues"] == []


def test_changed_twice_appears_once_at_its_newest_state(app: Flask, client: FlaskClient) -> None:
    _, token = device_token(app)
    cursor = pull(client, token).json["cursor"]
    issue_id = add_issue(app, "abbey", "speeding")
    with app.app_context():
        issue = db.session.get(Issue, issue_id)
        issue.status = "resolved"
        record_change(db.session, "issue", issue_id, area="abbey")
        db.session.commit()
    issues = pull(client, token, cursor).json["issues"]
    assert [(i["id"], i["status"]) for i in issues] == [(issue_id, "resolved")]


def test_deleted_issue_comes_as_a_tombstone(app: Flask, client: FlaskClient) -> None:
    _, token = device_token(app)
    issue_id = add_issue(app, "abbey", "speeding")
    cursor = pull(client, token).json["cursor"]
    with app.app_context():
        db.session.delete(db.session.get(Issue, issue_id))
        record_change(db.session, "issue", issue_id, area="abbey", deleted=True)
        db.session.commit()
    assert pull(client, token, cursor).json["issues"] == [{"id": issue_id, "deleted": True}]


def test_cursor_older_than_kept_history_gets_410(app: Flask, client: FlaskClient) -> None:
    _, token = device_token(app)
    old = pull(client, token).json["cursor"]
    issue_id = add_issue(app, "abbey", "speeding")
    with app.app_context():
        db.session.delete(db.session.get(Issue, issue_id))
        seq = record_change(db.session, "issue", issue_id, area="abbey", deleted=True)
        compact(db.session, drop_tombstones_upto=seq)
        db.session.commit()
    response = pull(client, token, old)
    assert response.status_code == 410
    assert response.json["error"]["code"] == "cursor_expired"
    fresh = pull(client, token)  # starting again from nothing always works
    assert fresh.status_code == 200
    assert pull(client, token, fresh.json["cursor"]).status_code == 200


def test_compaction_keeps_every_cursor_valid(app: Flask, client: FlaskClient) -> None:
    _, token = device_token(app)
    cursor = pull(client, token).json["cursor"]
    issue_id = add_issue(app, "abbey", "speeding")
    with app.app_context():
        for status in ("in_progress", "resolved"):
            db.session.get(Issue, issue_id).status = status
            record_change(db.session, "issue", issue_id, area="abbey")
            db.session.commit()
        assert compact(db.session) >= 2
        db.session.commit()
    assert [i["status"] for i in pull(client, token, cursor).json["issues"]] == ["resolved"]


def test_nonsense_cursor_gets_400(client: FlaskClient, device: str) -> None:
    response = pull(client, device, "yesterday")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_input"


def test_cursor_never_passes_a_change_that_commits_late(app: Flask, client: FlaskClient) -> None:
    """A writer holding its seq uncommitted must block the next writer, not be skipped."""
    _, token = device_token(app)
    cursor = pull(client, token).json["cursor"]
    slow_has_seq = threading.Event()
    release = threading.Event()
    errors: list[BaseException] = []

    def slow_writer() -> None:
        try:
            with app.app_context():
                issue = Issue(area="abbey", category="speeding")
                db.session.add(issue)
                db.session.flush()
                record_change(db.session, "issue", issue.id, area="abbey")
                slow_has_seq.set()
                release.wait(10)
                db.session.commit()
        except BaseException as error:  # surfaced below
            errors.append(error)
            slow_has_seq.set()

    def fast_writer() -> None:
        try:
            add_issue(app, "abbey", "litter")
        except BaseException as error:
            errors.append(error)

    slow = threading.Thread(target=slow_writer)
    slow.start()
    slow_has_seq.wait(10)
    fast = threading.Thread(target=fast_writer)
    fast.start()
    fast.join(0.5)  # the fast writer must be waiting for the slow one's commit
    seen_while_waiting = pull(client, token, cursor).json
    release.set()
    slow.join(10)
    fast.join(10)
    assert errors == []
    assert seen_while_waiting["issues"] == []
    after = pull(client, token, seen_while_waiting["cursor"]).json
    assert [i["category"] for i in after["issues"]] == ["speeding", "litter"]
    with app.app_context():
        seqs = list(db.session.scalars(select(Issue.updated_seq).order_by(Issue.updated_seq)))
        assert len(seqs) == 2


def test_pull_notes_when_the_device_last_synced(app: Flask, client: FlaskClient) -> None:
    from server.models import Device

    device_id, token = device_token(app)
    clock = app.config["CLOCK"]
    first = clock.now
    assert pull(client, token).status_code == 200
    with app.app_context():
        assert db.session.get(Device, device_id).last_sync_at == first

    def noted() -> Any:
        with app.app_context():
            return db.session.get(Device, device_id).last_sync_at

    # to the minute, as the dashboard shows it: a pull within the minute writes nothing
    clock.now = first + timedelta(seconds=59)
    assert pull(client, token).status_code == 200
    assert noted() == first
    clock.now = first + timedelta(seconds=60)
    assert pull(client, token).status_code == 200
    assert noted() == clock.now
