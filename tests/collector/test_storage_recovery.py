"""The durable store recovers from torn writes, interrupted compactions and damaged files."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from tinydb import Query

from collector.storage.durable import (
    SNAPSHOT_FILE,
    CorruptStore,
    StorageError,
    StoreLocked,
    journal_file,
    open_database,
)
from collector.storage.journal import encode_frame

JOURNAL_FILE = journal_file(1)  # a store's first journal, before any compaction

Q = Query()


def _fill(path: Path, count: int = 5) -> list[int]:
    """Create a store holding `count` documents and return their ids."""
    with open_database(path) as db:
        return [db.insert({"n": n, "pad": "x" * 100}) for n in range(count)]


def _ns(path: Path) -> list[int]:
    """Reopen the store and return the `n` of every document."""
    with open_database(path) as db:
        return [d["n"] for d in db.all()]


@pytest.mark.parametrize(
    "tail",
    [
        b"garbage that is not a frame",
        b"\0" * 4096,  # what some filesystems leave after a power cut: zeros, no data
        encode_frame(b'[["put","_default","9",{"n":9}]]')[:20],  # half a frame
        b"0000000a 00000000 0123456789\n",  # whole frame, wrong checksum
    ],
    ids=["garbage", "zeros", "half-frame", "bad-checksum"],
)
def test_a_torn_last_write_is_dropped_and_the_rest_kept(tmp_path: Path, tail: bytes) -> None:
    store = tmp_path / "store"
    _fill(store)
    journal = store / JOURNAL_FILE
    good_size = journal.stat().st_size
    with journal.open("ab") as f:
        f.write(tail)
    with open_database(store) as db:
        assert db.storage.dropped_bytes == len(tail)
        assert [d["n"] for d in db.all()] == [0, 1, 2, 3, 4]
        assert journal.stat().st_size == good_size
        db.insert({"n": 5})
    assert _ns(store) == [0, 1, 2, 3, 4, 5]


def test_a_damaged_last_frame_loses_only_that_write(tmp_path: Path) -> None:
    store = tmp_path / "store"
    _fill(store)
    journal = store / JOURNAL_FILE
    data = bytearray(journal.read_bytes())
    data[-10] ^= 0xFF  # flip a byte inside the last change
    journal.write_bytes(bytes(data))
    assert _ns(store) == [0, 1, 2, 3]


def test_damage_before_valid_frames_is_refused_not_dropped(tmp_path: Path) -> None:
    store = tmp_path / "store"
    _fill(store)
    journal = store / JOURNAL_FILE
    data = bytearray(journal.read_bytes())
    first_change = data.index(b"\n") + 1
    data[first_change + 30] ^= 0xFF
    journal.write_bytes(bytes(data))
    with pytest.raises(CorruptStore, match="valid changes follow"):
        open_database(store)
    assert journal.read_bytes() == bytes(data)  # left as it was, for inspection


def test_a_damaged_snapshot_is_reported(tmp_path: Path) -> None:
    store = tmp_path / "store"
    with open_database(store) as db:
        db.insert_multiple([{"n": n} for n in range(10)])
        db.compact()
    snapshot = store / SNAPSHOT_FILE
    snapshot.write_bytes(snapshot.read_bytes().replace(b'"n":7', b'"n":8'))
    with pytest.raises(CorruptStore, match="damaged"):
        open_database(store)


def test_a_truncated_snapshot_is_reported(tmp_path: Path) -> None:
    store = tmp_path / "store"
    with open_database(store) as db:
        db.insert_multiple([{"n": n} for n in range(10)])
        db.compact()
    snapshot = store / SNAPSHOT_FILE
    snapshot.write_bytes(snapshot.read_bytes()[:-30])
    with pytest.raises(CorruptStore):
        open_database(store)


def test_compaction_keeps_everything_and_empties_the_journal(tmp_path: Path) -> None:
    store = tmp_path / "store"
    with open_database(store) as db:
        db.insert_multiple([{"n": n} for n in range(5)])
        db.remove(Q.n == 0)
        db.table("empty", persist_empty=True)
        db.compact()
        assert db.storage.journal_size < 100
        assert sorted(p.name for p in store.iterdir()) == [
            journal_file(2),
            SNAPSHOT_FILE,
            "writer.lock",
        ]
        db.insert({"n": 5})
    with open_database(store) as db:
        assert [d["n"] for d in db.all()] == [1, 2, 3, 4, 5]
        assert db.tables() == {"_default", "empty"}
        assert db.insert({"n": 6}) == 7


def test_automatic_compaction_runs_as_the_journal_grows(tmp_path: Path) -> None:
    store = tmp_path / "store"
    with open_database(store, compact_min_bytes=4096, compact_ratio=0.0) as db:
        generations = set()
        for n in range(200):
            db.insert({"n": n, "pad": "x" * 100})
            # A compaction still running defers the next one, so under load the journal may
            # overshoot; once it has finished, the journal is never more than one record over.
            db.storage.wait_for_compaction()
            assert db.storage.journal_size <= 4096 + 200
            generations.add(db.storage._journal.generation)
        assert len(generations) >= 5  # compaction really ran, repeatedly
    assert (store / SNAPSHOT_FILE).exists()
    assert _ns(store) == list(range(200))


def test_journals_a_snapshot_covers_are_never_replayed(tmp_path: Path) -> None:
    store = tmp_path / "store"
    _fill(store)
    old_journal = tmp_path / "old-journal"
    shutil.copy(store / JOURNAL_FILE, old_journal)
    with open_database(store) as db:
        db.remove(Q.n == 0)  # only a replay of the old journal could bring this back
        db.compact()
    assert not (store / JOURNAL_FILE).exists()
    shutil.copy(old_journal, store / JOURNAL_FILE)  # as if killed before deleting it
    assert _ns(store) == [1, 2, 3, 4]
    assert not (store / JOURNAL_FILE).exists()


def test_a_missing_journal_between_snapshot_and_newest_is_reported(tmp_path: Path) -> None:
    store = tmp_path / "store"
    _fill(store)
    shutil.copy(store / journal_file(1), store / journal_file(3))
    (store / journal_file(1)).unlink()
    with pytest.raises(CorruptStore, match="missing"):
        open_database(store)


def test_background_compaction_lets_saves_go_on(tmp_path: Path) -> None:
    store = tmp_path / "store"
    with open_database(store, compact_min_bytes=20_000, compact_ratio=0.0) as db:
        for n in range(400):
            db.insert({"n": n, "pad": "x" * 100})
        db.storage.wait_for_compaction()
        journals = sorted(p.name for p in store.iterdir() if p.name.startswith("journal."))
        assert len(journals) == 1  # folded journals were deleted
        assert not db.storage.compacting
    assert _ns(store) == list(range(400))


def test_a_half_written_snapshot_temp_file_is_ignored(tmp_path: Path) -> None:
    store = tmp_path / "store"
    _fill(store)
    (store / (SNAPSHOT_FILE + ".tmp")).write_bytes(b'{"doorstep_snapshot": 1, "cov')
    assert _ns(store) == [0, 1, 2, 3, 4]
    assert not (store / (SNAPSHOT_FILE + ".tmp")).exists()


def test_a_failed_write_changes_nothing(tmp_path: Path) -> None:
    store = tmp_path / "store"
    _fill(store, 2)
    with open_database(store) as db:
        with pytest.raises(TypeError):
            db.insert({"when": object()})
        with pytest.raises(TypeError):
            db.update({"when": object()}, Q.n == 0)
        assert db.all() == [{"n": 0, "pad": "x" * 100}, {"n": 1, "pad": "x" * 100}]
    assert _ns(store) == [0, 1]


def test_a_second_open_of_the_same_store_is_refused(tmp_path: Path) -> None:
    store = tmp_path / "store"
    with open_database(store):
        with pytest.raises(StoreLocked, match="already in use"):
            open_database(store)
    open_database(store).close()


def test_concurrent_writers_and_readers_lose_nothing(tmp_path: Path) -> None:
    store = tmp_path / "store"
    errors: list[BaseException] = []
    with open_database(store, compact_min_bytes=8192, compact_ratio=0.0) as db:
        table = db.table("responses")

        def write(worker: int) -> None:
            try:
                for n in range(40):
                    table.insert({"worker": worker, "n": n})
                    table.update({"seen": True}, (Q.worker == worker) & (Q.n == n))
            except BaseException as exc:  # surfaced by the assertion below
                errors.append(exc)

        def read() -> None:
            try:
                for _ in range(200):
                    table.count(Q.seen == True)  # noqa: E712
                    list(table)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(w,)) for w in range(6)]
        threads += [threading.Thread(target=read) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
    with open_database(store) as db:
        docs = db.table("responses").all()
        assert len(docs) == 240
        assert len({d.doc_id for d in docs}) == 240
        assert all(d["seen"] for d in docs)


def test_writing_after_close_is_a_clear_error(tmp_path: Path) -> None:
    db = open_database(tmp_path / "store")
    db.insert({"n": 1})
    db.close()
    with pytest.raises(StorageError, match="closed"):
        db.insert({"n": 2})
    assert _ns(tmp_path / "store") == [1]


def test_a_file_in_place_of_the_store_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "store").write_text("{}")  # e.g. a stock TinyDB file from an old version
    with pytest.raises(StorageError, match="not a store directory"):
        open_database(tmp_path / "store")
