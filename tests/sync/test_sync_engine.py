"""sync_store against a real server on loopback (waitress), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from collector.store import ResponseStore
from sync.client import RetryPolicy, SyncClient
from sync.engine import sync_store
from sync.errors import DeviceRevoked

from .conftest import TEST_SURVEY, collector_hashes, enrollment_code, fill, revoke, server_rows


@pytest.fixture
def client(live_server, app) -> Iterator[SyncClient]:
    """Yield a client enrolled with the live server; its device id is on ``.device_id``."""
    c = SyncClient(live_server, retry=RetryPolicy(attempts=3), sleep=lambda s: None)
    c.device_id = c.enroll(enrollment_code(app), "test laptop").device_id
    yield c
    c.close()


def test_sync_pushes_everything_once_and_pulls(store, client, app) -> None:
    fill(store, 450)
    summary = sync_store(store, client)
    assert (summary.sent, summary.accepted, summary.rejected) == (450, 450, 0)
    assert summary.pulled > 0  # the server's areas and surveys
    count, rows = server_rows(app)
    assert count == 450 and rows == collector_hashes(store)
    status = store.status()
    assert status["unsynced"] == 0 and status["last_sync"] is not None
    assert {a["code"] for a in store.areas()} >= {"abbey", "bell-green", "elm-park"}


def test_second_sync_sends_nothing_and_pulls_only_changes(store, client) -> None:
    fill(store, 3)
    sync_store(store, client)
    again = sync_store(store, client)
    assert (again.sent, again.pulled) == (0, 0)


def test_batches_respect_count_and_byte_caps(store, client, app) -> None:
    fill(store, 25)
    sizes: list[int] = []
    summary = sync_store(store, client, progress=sizes.append, max_count=10, max_bytes=1000)
    assert summary.accepted == 25 and sum(sizes) == 25
    assert max(sizes) < 10 and len(sizes) > 3  # ~250 bytes each: the byte cap bites first
    sizes.clear()
    fill(store, 25)
    sync_store(store, client, progress=sizes.append, max_count=10)
    assert sizes == [10, 10, 5]
    assert server_rows(app)[0] == 50


def test_unknown_survey_version_is_rejected_and_kept_with_reasons(store, client, app) -> None:
    good = fill(store, 2)
    bad = dict(store.get_response(good[0]))
    # Pull a version 2 the server never saw, so the collector can take it.
    v2 = {**TEST_SURVEY, "version": 2}
    store.set_pulled(surveys=[v2])
    bad_id = store.save_response({**bad, "id": None, "survey_version": 2})
    summary = sync_store(store, client)
    assert (summary.accepted, summary.rejected) == (2, 1)
    rejected = store.rejected()
    assert [r["id"] for r in rejected] == [bad_id]
    assert "survey_version" in rejected[0]["errors"]
    assert store.status()["rejected"] == 1 and store.status()["unsynced"] == 0
    assert bad_id not in server_rows(app)[1]


def test_conflict_is_kept_and_not_resent(store, client, app, tmp_path) -> None:
    (rid,) = fill(store, 1)
    sync_store(store, client)
    # Another device (a cloned SD card, say) sends the same id with other answers.
    with ResponseStore(tmp_path / "clone") as clone:
        clone.set_pulled(surveys=[TEST_SURVEY])
        wire = store.get_response(rid)
        clone.save_response({**wire, "answers": {"concerns": ["litter"], "severity": 1}})
        summary = sync_store(clone, client)
        assert summary.conflict == 1
        assert clone.status()["conflicts"] == 1 and clone.status()["unsynced"] == 0
        assert sync_store(clone, client).sent == 0
    assert server_rows(app)[0] == 1


def test_revoked_device_stops_and_keeps_everything(store, client, app) -> None:
    fill(store, 5)
    sync_store(store, client)
    fill(store, 7)
    revoke(app, client.device_id)
    with pytest.raises(DeviceRevoked) as info:
        sync_store(store, client)
    assert info.value.summary.sent == 0
    assert store.status()["unsynced"] == 7 and store.status()["stored"] == 12
    assert server_rows(app)[0] == 5
