"""The collector's domain store, on real TinyDB files in a temporary directory."""

from __future__ import annotations

import json
import os
import stat
import threading
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from collector.storage.durable import open_database
from collector.store import (
    InvalidResponse,
    ResponseConflict,
    ResponseStore,
    UnknownDraft,
    UnknownSession,
)
from tests.sealing_keys import give_key, opened

SURVEY: dict[str, Any] = {
    "id": "test-safety",
    "version": 1,
    "title": {"en": "Test survey"},
    "purpose": {"en": "To test the store."},
    "languages": ["en"],
    "methods": ["doorstep", "kiosk", "event", "meeting"],
    "questions": [
        {
            "id": "concerns",
            "type": "multiple_choice",
            "required": True,
            "label": {"en": "Problems?"},
            "choices": [
                {"value": "speeding", "label": {"en": "Speeding"}, "category": "speeding"},
                {"value": "other", "label": {"en": "Something else"}},
            ],
        },
        {
            "id": "other_concern",
            "type": "text",
            "max_length": 500,
            "issue_text": True,
            "relevant": {"question": "concerns", "includes": "other"},
            "label": {"en": "What else?"},
        },
        {"id": "contact_ok", "type": "consent", "label": {"en": "May we contact you?"}},
        {
            "id": "phone",
            "type": "text",
            "personal": True,
            "relevant": {"question": "contact_ok", "equals": True},
            "label": {"en": "Phone"},
        },
    ],
}
SURVEY_V2 = {**SURVEY, "version": 2, "title": {"en": "Test survey v2"}}


def response(**extra: Any) -> dict[str, Any]:
    """Return a valid response for the test survey."""
    return {
        "survey_id": "test-safety",
        "survey_version": 1,
        "area": "abbey",
        "method": "doorstep",
        "answers": {"concerns": ["speeding"]},
        **extra,
    }


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2024, 5, 1, 10, 0, tzinfo=timezone(timedelta(hours=1)))

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock):
    s = ResponseStore(tmp_path, clock=clock)
    try:
        assert s.set_pulled(surveys=[SURVEY])["surveys"] == 1
        yield s
    finally:
        s.close()


_opened: list[ResponseStore] = []


def reopen(store: ResponseStore) -> ResponseStore:
    """Close the store and open its data directory again (closed after the test)."""
    store.close()
    _opened.append(ResponseStore(store.data_dir))
    return _opened[-1]


@pytest.fixture(autouse=True)
def _close_reopened():
    yield
    while _opened:
        _opened.pop().close()


def test_save_fills_id_and_collected_at_with_offset(store: ResponseStore) -> None:
    rid = store.save_response(response())
    saved = store.get_response(rid)
    assert uuid.UUID(rid).version == 4
    assert saved["collected_at"] == "2024-05-01T10:00:00+01:00"


def test_saved_response_survives_reopen(store: ResponseStore) -> None:
    rid = store.save_response(response())
    store = reopen(store)
    assert store.get_response(rid)["answers"] == {"concerns": ["speeding"]}
    assert store.status()["stored"] == 1


def test_invalid_answers_raise_field_errors(store: ResponseStore) -> None:
    with pytest.raises(InvalidResponse) as exc:
        store.save_response(response(answers={"concerns": ["nope"]}))
    assert "answers.concerns" in exc.value.errors
    assert store.status()["stored"] == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"area": "atlantis"}, "area"),
        ({"survey_version": 9}, "survey_version"),
        ({"method": "carrier-pigeon"}, "method"),
        ({"collected_at": "yesterday"}, "collected_at"),
    ],
)
def test_bad_envelope_is_refused(store: ResponseStore, change: dict, field: str) -> None:
    with pytest.raises(InvalidResponse) as exc:
        store.save_response(response(**change))
    assert field in exc.value.errors


def test_same_id_same_content_is_idempotent(store: ResponseStore) -> None:
    body = response(id=str(uuid.uuid4()), collected_at="2024-05-01T09:00:00+00:00")
    assert store.save_response(body) == store.save_response(body) == body["id"]
    assert store.status()["stored"] == 1


def test_retry_without_collected_at_is_idempotent(store: ResponseStore, clock: Clock) -> None:
    body = response(id=str(uuid.uuid4()))
    store.save_response(body)
    clock.now += timedelta(minutes=5)
    assert store.save_response(body) == body["id"]
    assert store.status()["stored"] == 1


def test_same_id_other_content_conflicts_and_keeps_the_first(store: ResponseStore) -> None:
    body = response(id=str(uuid.uuid4()), collected_at="2024-05-01T09:00:00+00:00")
    store.save_response(body)
    with pytest.raises(ResponseConflict):
        store.save_response({**body, "answers": {"concerns": ["other"]}})
    assert store.get_response(body["id"])["answers"] == {"concerns": ["speeding"]}


def test_personal_data_is_kept_apart_and_sealed(store: ResponseStore, tmp_path: Path) -> None:
    give_key(store)
    rid = store.save_response(
        response(answers={"concerns": ["speeding"], "contact_ok": True}, personal={"phone": "0700"})
    )
    assert "personal" not in store.get_response(rid)
    sealed = store.get_response(rid, personal=True)["personal"]
    assert sealed["phone"]["kid"] == "ck-test-northfield"
    assert opened(sealed, rid) == {"phone": "0700"}
    assert store.unsynced()[0]["personal"] == sealed
    store.close()
    with open_database(tmp_path / "store") as db:
        assert "0700" not in json.dumps(db.table("responses").all())
        assert "0700" not in json.dumps(db.table("personal").all())
        assert "0700" not in json.dumps(db.table("outbox").all())
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and b"0700" in p.read_bytes()]


def test_a_device_with_no_contact_key_keeps_no_contact_details(store: ResponseStore) -> None:
    contact = {"answers": {"concerns": ["speeding"], "contact_ok": True}}
    with pytest.raises(InvalidResponse) as exc:
        store.save_response(response(**contact, personal={"phone": "0700"}))
    assert "no contact key" in exc.value.errors["personal.phone"][0]
    assert store.status()["stored"] == 0
    assert store.save_response(response(**contact))  # without details: saved as ever
    give_key(store, ("riverside",))  # another group's key does not do
    with pytest.raises(InvalidResponse):
        store.save_response(response(**contact, personal={"phone": "0700"}))


def test_a_retried_save_with_contact_details_is_the_same_response(store: ResponseStore) -> None:
    give_key(store)
    body = response(
        id="9f2a4a36-1c4e-4bd5-9d7e-2b1f5b1b2c3d",
        answers={"concerns": ["speeding"], "contact_ok": True},
        personal={"phone": "0700"},
    )
    assert store.save_response(body) == store.save_response(body)
    assert store.status()["stored"] == 1


def test_a_pull_without_the_key_takes_it_away(store: ResponseStore) -> None:
    give_key(store)
    assert store.contact_key("abbey") is not None
    store.set_pulled(contact_keys=[])
    assert store.contact_key("abbey") is None
    store.set_pulled(areas=[])  # a pull that carries no contact_keys leaves them as they are
    assert store.contact_key("abbey") is None


def test_personal_answer_in_answers_is_refused(store: ResponseStore) -> None:
    with pytest.raises(InvalidResponse) as exc:
        store.save_response(response(answers={"concerns": ["speeding"], "phone": "0700"}))
    assert "answers.phone" in exc.value.errors


def test_outbox_lifecycle(store: ResponseStore, clock: Clock) -> None:
    ids = [store.save_response(response()) for _ in range(5)]
    assert [r["id"] for r in store.unsynced(limit=3)] == ids[:3]
    assert store.mark_synced(ids[:2]) == 2
    assert store.mark_rejected(ids[2], {"answers.concerns": ["unknown"]}) == 1
    store.mark_conflict([ids[3]])
    store.set_last_sync(clock.now)
    assert store.status() == {
        "stored": 5,
        "unsynced": 1,
        "rejected": 1,
        "conflicts": 1,
        "last_sync": "2024-05-01T10:00:00+01:00",
    }
    assert [r["id"] for r in store.unsynced()] == [ids[4]]
    assert store.rejected()[0]["errors"] == {"answers.concerns": ["unknown"]}
    store = reopen(store)
    assert store.status()["rejected"] == 1 and store.status()["unsynced"] == 1
    assert store.requeue_rejected() == 1
    assert [r["id"] for r in store.unsynced()] == [ids[2], ids[4]]


def test_mark_synced_ignores_unknown_ids(store: ResponseStore) -> None:
    assert store.mark_synced([str(uuid.uuid4())]) == 0


def test_responses_iterate_in_collection_order(store: ResponseStore) -> None:
    ids = [store.save_response(response()) for _ in range(4)]
    assert [r["id"] for r in store.iter_responses()] == ids


def test_draft_keeps_its_survey_version(store: ResponseStore) -> None:
    draft = store.save_draft({"survey_id": "test-safety", "area": "abbey", "method": "doorstep"})
    store.set_pulled(surveys=[SURVEY_V2])
    store.save_draft({**store.get_draft(draft), "survey_version": 2, "answers": {}}, draft)
    assert store.get_draft(draft)["survey_version"] == 1
    assert store.surveys()[-1].version == 2


def test_submit_draft_validates_and_removes_it(store: ResponseStore) -> None:
    draft = store.save_draft(response(answers={}))
    with pytest.raises(InvalidResponse):
        store.submit_draft(draft)
    assert store.get_draft(draft) is not None
    store.save_draft(response(), draft)
    assert store.submit_draft(draft) == draft
    assert store.get_draft(draft) is None
    assert store.get_response(draft)["answers"] == {"concerns": ["speeding"]}
    with pytest.raises(UnknownDraft):
        store.submit_draft(draft)


def test_discard_draft(store: ResponseStore) -> None:
    draft = store.save_draft(response())
    store.discard_draft(draft)
    assert store.get_draft(draft) is None and store.drafts() == []


def test_session_summary_counts_doors_contacts_surveys_and_minutes(
    store: ResponseStore, clock: Clock
) -> None:
    session = store.start_session("vol-7", "abbey", "doorstep")
    for house, outcome in [("1", "no_answer"), ("3", "refused"), ("5", "come_back")]:
        store.record_door(session, "Abbey Road", house, outcome)
    rid = store.save_response(response())
    store.record_door(session, "Abbey Road", "7", "surveyed", rid)
    clock.now += timedelta(minutes=42)
    store.end_session(session)
    clock.now += timedelta(minutes=30)
    assert store.session_summary(session) == {
        "doors": 4,
        "contacts": 3,
        "surveys": 1,
        "minutes": 42,
    }
    visits = store.unsynced_visits()
    assert len(visits["doors"]) == 4 and visits["sessions"][0]["volunteer"] == "vol-7"
    store.mark_visits_synced([session], [d["id"] for d in visits["doors"]])
    assert store.unsynced_visits() == {"sessions": [], "doors": []}


def test_door_outcome_and_session_are_checked(store: ResponseStore) -> None:
    session = store.start_session("vol-7", "abbey")
    with pytest.raises(ValueError):
        store.record_door(session, "Abbey Road", "1", "maybe")
    with pytest.raises(UnknownSession):
        store.record_door(str(uuid.uuid4()), "Abbey Road", "1", "refused")


def test_areas_default_to_the_demo_set_until_pulled(store: ResponseStore) -> None:
    assert {a["code"] for a in store.areas()} >= {"abbey", "mill-hill"}
    store.set_pulled(areas=[{"code": "docks", "name": "Docks", "group": "port"}])
    assert [a["code"] for a in store.areas()] == ["docks"]
    with pytest.raises(InvalidResponse):
        store.save_response(response())
    assert store.save_response(response(area="docks"))


def test_area_issues_from_file_until_pulled(store: ResponseStore, tmp_path: Path) -> None:
    issue = {"area": "abbey", "category": "speeding", "status": "agreed", "we_did": "Speed van"}
    (tmp_path / "our-area.json").write_text(json.dumps({"issues": [issue]}))
    assert store.area_issues("abbey")[0]["we_did"] == "Speed van"
    assert store.area_issues("elm-park") == []
    store.set_pulled(issues=[{**issue, "we_did": "Camera fitted"}], cursor="41")
    assert store.area_issues("abbey")[0]["we_did"] == "Camera fitted"
    assert store.meta("cursor") == "41"


def test_the_latest_bundled_doorstep_version_is_offered_and_every_one_accepted(
    store: ResponseStore,
) -> None:
    offered = {s.id: s.version for s in store.surveys()}
    released = sorted(s.version for s in store.registry if s.id == "doorstep-safety")
    assert released[0] == 1 and offered["doorstep-safety"] == released[-1] > 1
    assert "doorstep-safety-full" in offered
    for version in released:  # a volunteer's unsent v1 response is still taken
        answers = {"consent": True, "concerns": ["speeding"], "severity": 2}
        assert store.save_response(
            response(survey_id="doorstep-safety", survey_version=version, answers=answers)
        )


def test_pulled_survey_survives_reopen(store: ResponseStore) -> None:
    store.set_pulled(surveys=[SURVEY_V2])
    store = reopen(store)
    assert store.registry.find("test-safety", 2) is not None


def test_device_token_is_private_and_never_in_repr(store: ResponseStore, tmp_path: Path) -> None:
    assert store.device() is None
    store.set_device("http://127.0.0.1:8000", "dev-1", "s3cret-token")
    device = reopen(store).device()
    assert device.token == "s3cret-token" and device.device_id == "dev-1"
    assert "s3cret" not in repr(device)
    assert stat.S_IMODE(os.stat(tmp_path / "device-token").st_mode) == 0o600
    assert not any("s3cret" in p.read_text() for p in (tmp_path / "store").glob("*.*"))


def test_concurrent_saves_from_threads_are_all_kept(store: ResponseStore) -> None:
    ids: list[str] = []

    def work() -> None:
        for _ in range(10):
            ids.append(store.save_response(response()))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.status()["stored"] == 40 == len(set(ids))
    assert {r["id"] for r in reopen(store).iter_responses()} == set(ids)


def test_rows_written_before_a_crash_without_their_outbox_row_are_dropped(
    store: ResponseStore, tmp_path: Path
) -> None:
    kept = store.save_response(response())
    store.close()
    lost = str(uuid.uuid4())  # the state a kill between two writes of one save leaves behind
    with open_database(tmp_path / "store") as db:
        db.table("personal").insert({"id": lost, "personal": {"phone": "0700"}})
        db.table("responses").insert({"id": lost, "stored_at": "x", "response": response()})
    store = reopen(store)
    assert [r["id"] for r in store.iter_responses()] == [kept]
    assert store.save_response(response(id=lost)) == lost
    assert store.get_response(lost, personal=True).get("personal") is None
    store.close()
    with open_database(tmp_path / "store") as db:
        assert len(db.table("responses")) == 2 and len(db.table("personal")) == 0
