"""Less travelled paths of a sync: 413 splitting, paged pulls, an expired cursor."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from server.catalogue.deployment import upsert_areas
from server.catalogue.surveys import add_survey
from server.db import db
from server.feed import FLOOR_KEY
from server.models import ServerState
from sync.client import RetryPolicy, SyncClient
from sync.engine import sync_store

from .conftest import TEST_SURVEY, collector_hashes, enrollment_code, fill, server_rows


@pytest.fixture
def client(live_server, app) -> Iterator[SyncClient]:
    c = SyncClient(live_server, retry=RetryPolicy(attempts=3), sleep=lambda s: None)
    c.enroll(enrollment_code(app), "paths")
    yield c
    c.close()


def test_a_batch_too_large_for_the_server_is_split(store, client, app) -> None:
    app.config["MAX_PUSH_RESPONSES"] = 8
    fill(store, 30)
    summary = sync_store(store, client, max_count=30)
    assert (summary.sent, summary.accepted) == (30, 30)
    assert server_rows(app)[1] == collector_hashes(store)


def test_pull_follows_pages_to_the_end(store, client, app) -> None:
    app.config["PULL_PAGE_SIZE"] = 1
    summary = sync_store(store, client)
    codes = {a["code"] for a in store.areas()}
    assert codes == {"abbey", "bell-green", "elm-park"}
    assert summary.pulled >= 4  # three areas and the survey, one page each
    assert store.meta("cursor") is not None


def test_expired_cursor_pulls_everything_again(store, client, app) -> None:
    sync_store(store, client)
    cursor = store.meta("cursor")
    with app.app_context():
        upsert_areas(db.session, [{"code": "ferry-lane", "name": "Ferry Lane", "group": "x"}])
        db.session.add(ServerState(key=FLOOR_KEY, value="999999"))
        db.session.commit()
    summary = sync_store(store, client)
    assert summary.pulled >= 4  # everything, not just the new area
    assert "ferry-lane" in {a["code"] for a in store.areas()}
    assert store.meta("cursor") != cursor


def test_new_survey_version_is_pulled_and_drafts_keep_theirs(store, client, app) -> None:
    draft = store.save_draft({"survey_id": "test-safety", "area": "abbey", "method": "doorstep"})
    assert store.get_draft(draft)["survey_version"] == 1
    with app.app_context():
        add_survey(db.session, {**TEST_SURVEY, "version": 2})
        db.session.commit()
    sync_store(store, client)
    assert ("test-safety", 2) in store.registry
    latest = {s.id: s.version for s in store.surveys()}
    assert latest["test-safety"] == 2
    assert store.get_draft(draft)["survey_version"] == 1
    store.save_draft({"answers": {"concerns": ["litter"]}}, draft_id=draft)
    assert store.get_draft(draft)["survey_version"] == 1
