"""A save is one journal frame: its response, outbox row and contact details all, or none.

Real stores on disk: the last frame is cut at every byte offset of a real file, and a full
tmpfs refuses a save half-way.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from collector.storage.durable import StorageError, StorageFull, journal_file, open_database
from collector.store import ResponseStore
from tests.collector.test_storage_full import _leave_free, disk  # noqa: F401 (fixture)
from tests.collector.test_store import SURVEY, response
from tests.sealing_keys import give_key, opened

CONTACT = {"answers": {"concerns": ["speeding"], "contact_ok": True}, "personal": {"phone": "07"}}


TABLES = ("responses", "outbox", "personal")


def _tables(store_dir: Path) -> dict[str, int]:
    with open_database(store_dir) as db:
        return {name: len(db.table(name)) for name in TABLES}


def _journal(data: Path) -> Path:
    (journal,) = (data / "store").glob("journal.*.log")
    return journal


def test_a_save_with_contact_details_is_one_frame_fsynced_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ResponseStore(tmp_path) as store:
        store.set_pulled(surveys=[SURVEY])
        give_key(store)
        before = _journal(tmp_path).read_bytes()
        fsyncs: list[int] = []
        real_fsync = __import__("os").fsync
        monkeypatch.setattr("os.fsync", lambda fd: (fsyncs.append(fd), real_fsync(fd))[1])
        store.save_response(response(**CONTACT))
        monkeypatch.undo()
        added = _journal(tmp_path).read_bytes()[len(before) :]
    assert len(fsyncs) == 1
    assert added.count(b"\n") == 1  # one frame: a frame is one line
    for table in (b'"responses"', b'"outbox"', b'"personal"'):
        assert table in added


def test_a_save_cut_at_any_byte_is_all_there_or_not_at_all(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with ResponseStore(data) as store:
        store.set_pulled(surveys=[SURVEY])
        give_key(store)
        kept = store.save_response(response(**CONTACT))
        journal = _journal(data)
        start = journal.stat().st_size
        cut_one = store.save_response(response(**CONTACT))
    full = journal.read_bytes()
    assert len(full) > start + 100
    copy = tmp_path / "copy"
    shutil.copytree(data, copy)
    cut_journal = copy / "store" / journal.name
    for cut in range(start, len(full) + 1):
        cut_journal.write_bytes(full[:cut])  # killed after writing `cut` bytes of the file
        whole = cut == len(full)
        expected = 2 if whole else 1
        assert _tables(copy / "store") == dict.fromkeys(TABLES, expected), cut
    # The domain store over the same cuts (fewer: it loads the bundled surveys on each open).
    for cut in (start, start + 1, start + 18, (start + len(full)) // 2, len(full) - 1, len(full)):
        cut_journal.write_bytes(full[:cut])
        with ResponseStore(copy) as store:
            ids = [r["id"] for r in store.iter_responses()]
            assert ids == ([kept, cut_one] if cut == len(full) else [kept]), cut
            personal = store.get_response(kept, personal=True)["personal"]
            assert opened(personal, kept) == {"phone": "07"}


def test_a_full_disk_mid_save_leaves_no_contact_details_behind(disk: Path) -> None:  # noqa: F811
    data = disk / "data"
    store = ResponseStore(data)
    store.set_pulled(surveys=[SURVEY])
    give_key(store)
    saved = []
    filler = _leave_free(disk, 24 * 1024)
    big = {**CONTACT, "personal": {"phone": "07" + "0" * 900}}
    with pytest.raises(StorageFull):
        for _ in range(200):
            saved.append(store.save_response(response(**big)))
    assert store.status()["stored"] == len(saved) >= 3
    assert len(store.unsynced(limit=1000)) == len(saved)
    store.close()
    assert _tables(data / "store") == dict.fromkeys(TABLES, len(saved))
    filler.unlink()
    with ResponseStore(data) as store:
        assert [r["id"] for r in store.iter_responses()] == saved
        outbox = store.unsynced(limit=1000)
        assert all(opened(r["personal"], r["id"])["phone"].startswith("07") for r in outbox)


def test_an_atomic_block_that_raises_changes_nothing(tmp_path: Path) -> None:
    with open_database(tmp_path / "s") as db:
        db.table("a").insert({"n": 1})
        size = db.storage.journal_size
        with pytest.raises(RuntimeError), db.atomic():
            db.table("a").insert({"n": 2})
            db.table("a").update({"n": 10}, doc_ids=[1])
            db.table("b").insert({"n": 3})
            assert len(db.table("a")) == 2 and db.table("b").all() == [{"n": 3}]
            raise RuntimeError("changed my mind")
        assert db.storage.journal_size == size
        assert db.table("a").all() == [{"n": 1}] and "b" not in db.tables()
        with db.atomic():
            db.table("a").truncate()
            with db.atomic():  # a nested block joins the outer one
                db.table("b").insert({"n": 4})
        assert (tmp_path / "s" / journal_file(1)).read_bytes()[size:].count(b"\n") == 1
    with open_database(tmp_path / "s") as db:
        assert db.table("a").all() == [] and db.table("b").all() == [{"n": 4}]


def test_compacting_inside_an_atomic_block_is_refused(tmp_path: Path) -> None:
    with open_database(tmp_path / "s") as db:
        with pytest.raises(StorageError, match="atomic"), db.atomic():
            db.table("a").insert({"n": 1})
            db.compact()
        assert db.tables() == set()
