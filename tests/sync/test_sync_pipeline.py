"""Pushes under way at once: overlap, and exactly once when the device is revoked mid-sync."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests

from server.catalogue.surveys import add_survey
from server.db import db
from sync.client import RetryPolicy, SyncClient
from sync.engine import sync_store
from sync.errors import DeviceRevoked
from tests.sealing_keys import add_server_key, give_key

from .conftest import (
    TEST_SURVEY,
    collector_hashes,
    enrollment_code,
    fill,
    make_response,
    revoke,
    server_rows,
)

PHONE = "07700 900461"
# The test survey at version 2, with a recontact consent and a phone number behind it.
CONTACT_SURVEY = {
    **TEST_SURVEY,
    "version": 2,
    "questions": [
        *TEST_SURVEY["questions"],
        {"id": "recontact", "type": "consent", "label": {"en": "May we call?"}},
        {
            "id": "phone",
            "type": "text",
            "personal": True,
            "relevant": {"question": "recontact", "equals": True},
            "label": {"en": "Phone"},
        },
    ],
}


class WaitingSession(requests.Session):
    """A real session whose first push waits (up to 10 s) until a second push has started."""

    def __init__(self) -> None:
        super().__init__()
        self.second_started = threading.Event()
        self.pushes = 0
        self.most_at_once = 0
        self._under_way = 0
        self._lock = threading.Lock()

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if not url.endswith("/sync/push"):
            return super().request(method, url, *args, **kwargs)
        with self._lock:
            self.pushes += 1
            first = self.pushes == 1
            self._under_way += 1
            self.most_at_once = max(self.most_at_once, self._under_way)
        if not first:
            self.second_started.set()
        else:
            self.second_started.wait(10)
        try:
            return super().request(method, url, *args, **kwargs)
        finally:
            with self._lock:
                self._under_way -= 1


def test_next_batch_is_pushed_while_the_first_is_under_way(store, live_server, app) -> None:
    fill(store, 30)
    session = WaitingSession()
    with SyncClient(live_server, session=session, retry=RetryPolicy(attempts=2)) as client:
        client.enroll(enrollment_code(app), "pipelined")
        sizes: list[int] = []
        summary = sync_store(store, client, progress=sizes.append, max_count=10)
    assert session.second_started.is_set() and session.most_at_once == 2
    assert sizes == [10, 10, 10] and summary.accepted == 30
    assert server_rows(app)[1] == collector_hashes(store)
    assert store.status()["unsynced"] == 0


@pytest.mark.parametrize("in_flight", [1, 2, 3])
def test_revoked_mid_sync_marks_exactly_what_the_server_holds(
    store, live_server, app, in_flight
) -> None:
    ids = fill(store, 60)
    with SyncClient(live_server, retry=RetryPolicy(attempts=2), sleep=lambda s: None) as client:
        device_id = client.enroll(enrollment_code(app), "revoked").device_id

        def revoke_after_first(_: int) -> None:
            revoke(app, device_id)  # pushes already under way may still get through

        with pytest.raises(DeviceRevoked) as info:
            sync_store(
                store, client, progress=revoke_after_first, max_count=10, in_flight=in_flight
            )
    _, held = server_rows(app)
    synced = set(ids) - {r["id"] for r in store.unsynced(100)}
    assert set(held) == synced  # each answered push recorded; nothing unanswered marked
    assert 10 <= len(synced) <= 10 * in_flight < 60
    assert info.value.summary.accepted == len(synced)
    assert store.status()["stored"] == 60


def test_contact_details_leave_the_disk_once_after_the_whole_push(
    store, live_server, app, tmp_path
) -> None:
    with app.app_context():
        add_survey(db.session, CONTACT_SURVEY)
        db.session.commit()
    add_server_key(app)
    store.set_pulled(surveys=[CONTACT_SURVEY])
    give_key(store)
    for _ in range(25):
        store.save_response(
            make_response(
                survey_version=2,
                answers={"concerns": ["litter"], "recontact": True},
                personal={"phone": PHONE},
            )
        )
    files = [p for p in (tmp_path / "collector").rglob("*") if p.is_file()]
    assert not any(PHONE.encode() in p.read_bytes() for p in files)  # sealed before saved
    sealed = [r["personal"]["phone"]["ct"].encode() for r in store.unsynced(limit=100)]
    folds: list[int] = []
    compact = store._db.compact
    store._db.compact = lambda: folds.append(1) or compact()  # count the folds, still do them
    with SyncClient(live_server, retry=RetryPolicy(attempts=2)) as client:
        client.enroll(enrollment_code(app), "contacts")
        assert sync_store(store, client, max_count=5).accepted == 25
    assert folds == [1]  # five batches, one fold
    files = [p for p in (tmp_path / "collector").rglob("*") if p.is_file()]
    assert not any(PHONE.encode() in p.read_bytes() for p in files)
    assert not any(ct in p.read_bytes() for p in files for ct in sealed)  # gone once sent
    assert not [r for r in store.iter_responses(personal=True) if "personal" in r]
    assert store.status()["stored"] == 25  # the answers stay
