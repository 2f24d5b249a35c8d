"""The TinyDB table API on the durable store behaves as on stock TinyDB (the reference).

Every test runs three ways: stock TinyDB on MemoryStorage (the reference), the durable store,
and the durable store closed and reopened from disk before every check.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tinydb import Query, TinyDB
from tinydb.storages import MemoryStorage
from tinydb.table import Document

from collector.storage.durable import open_database

Q = Query()


class Harness:
    """One database under test, with a way to make it re-read its files."""

    def __init__(self, kind: str, path: Path) -> None:
        self.kind = kind
        self.path = path
        self.db: TinyDB = TinyDB(storage=MemoryStorage) if kind == "memory" else open_database(path)

    def settle(self) -> TinyDB:
        """Return the database, reopened from disk first in the 'reopened' variant."""
        if self.kind == "reopened":
            self.db.close()
            self.db = open_database(self.path)
        return self.db


@pytest.fixture(params=["memory", "durable", "reopened"])
def h(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    harness = Harness(request.param, tmp_path / "store")
    yield harness
    harness.db.close()


def test_insert_returns_sequential_ids_and_get_by_id_finds_them(h: Harness) -> None:
    ids = [h.db.insert({"n": n}) for n in range(3)]
    db = h.settle()
    assert ids == [1, 2, 3]
    assert db.get(doc_id=2) == {"n": 1}
    assert db.get(doc_id=2).doc_id == 2
    assert db.get(doc_id=99) is None


def test_insert_multiple_returns_every_id(h: Harness) -> None:
    h.db.insert({"n": 0})
    ids = h.db.insert_multiple([{"n": 1}, {"n": 2}])
    db = h.settle()
    assert ids == [2, 3]
    assert [d["n"] for d in db.all()] == [0, 1, 2]
    assert len(db) == 3


def test_ids_continue_after_the_highest_stored_id(h: Harness) -> None:
    h.db.insert_multiple([{"n": n} for n in range(3)])
    db = h.settle()
    assert db.insert({"n": 3}) == 4


def test_get_by_condition_and_by_id_list(h: Harness) -> None:
    h.db.insert_multiple([{"n": n, "even": n % 2 == 0} for n in range(5)])
    db = h.settle()
    assert db.get(Q.n == 3) == {"n": 3, "even": False}
    assert db.get(Q.n == 42) is None
    assert sorted(d["n"] for d in db.get(doc_ids=[1, 3, 99])) == [0, 2]


def test_search_count_and_contains(h: Harness) -> None:
    h.db.insert_multiple([{"n": n, "even": n % 2 == 0} for n in range(6)])
    db = h.settle()
    assert [d["n"] for d in db.search(Q.even == True)] == [0, 2, 4]  # noqa: E712
    assert db.count(Q.n > 3) == 2
    assert db.contains(Q.n == 5)
    assert not db.contains(Q.n == 6)
    assert db.contains(doc_id=6)
    assert not db.contains(doc_id=7)


def test_explicit_document_id_is_kept_and_a_duplicate_changes_nothing(h: Harness) -> None:
    h.db.insert(Document({"n": 1}, doc_id=10))
    with pytest.raises(ValueError):
        h.db.insert(Document({"n": 2}, doc_id=10))
    db = h.settle()
    assert db.get(doc_id=10) == {"n": 1}
    assert len(db) == 1
    assert db.insert({"n": 3}) == 11


def test_update_fields_by_condition(h: Harness) -> None:
    h.db.insert_multiple([{"n": n} for n in range(4)])
    updated = h.db.update({"big": True}, Q.n >= 2)
    db = h.settle()
    assert updated == [3, 4]
    assert db.count(Q.big == True) == 2  # noqa: E712
    assert db.get(doc_id=1) == {"n": 0}


def test_update_by_ids_skips_missing_ids(h: Harness) -> None:
    h.db.insert_multiple([{"n": n} for n in range(3)])
    updated = h.db.update({"seen": 1}, doc_ids=[1, 3, 42])
    db = h.settle()
    assert updated == [1, 3]
    assert [d.get("seen") for d in db.all()] == [1, None, 1]


def test_update_with_a_callable_that_mutates_nested_fields(h: Harness) -> None:
    h.db.insert({"n": 1, "outbox": {"state": "unsynced", "tries": 0}})

    def sent(doc: dict) -> None:
        doc["outbox"]["state"] = "synced"
        doc["outbox"]["tries"] += 1

    h.db.update(sent, Q.n == 1)
    db = h.settle()
    assert db.get(doc_id=1) == {"n": 1, "outbox": {"state": "synced", "tries": 1}}


def test_update_without_condition_touches_every_document(h: Harness) -> None:
    h.db.insert_multiple([{"n": n} for n in range(3)])
    assert h.db.update({"every": 1}) == [1, 2, 3]
    assert h.settle().count(Q.every == 1) == 3


def test_update_multiple_applies_each_pair(h: Harness) -> None:
    h.db.insert_multiple([{"n": n} for n in range(3)])
    h.db.update_multiple([({"tag": "a"}, Q.n == 0), ({"tag": "b"}, Q.n == 2)])
    db = h.settle()
    assert [d.get("tag") for d in db.all()] == ["a", None, "b"]


def test_upsert_updates_a_match_or_inserts(h: Harness) -> None:
    h.db.insert({"key": "k1", "v": 1})
    assert h.db.upsert({"key": "k1", "v": 2}, Q.key == "k1") == [1]
    assert h.db.upsert({"key": "k2", "v": 3}, Q.key == "k2") == [2]
    assert h.db.upsert(Document({"v": 4}, doc_id=1)) == [1]
    db = h.settle()
    assert db.all() == [{"key": "k1", "v": 4}, {"key": "k2", "v": 3}]


def test_remove_by_condition_and_by_ids(h: Harness) -> None:
    h.db.insert_multiple([{"n": n} for n in range(5)])
    assert h.db.remove(Q.n < 2) == [1, 2]
    assert h.db.remove(doc_ids=[3, 99]) == [3]
    db = h.settle()
    assert [d["n"] for d in db.all()] == [3, 4]
    with pytest.raises(RuntimeError):
        db.remove()


def test_truncate_empties_the_table_and_restarts_ids(h: Harness) -> None:
    h.db.insert_multiple([{"n": n} for n in range(3)])
    h.db.truncate()
    db = h.settle()
    assert db.all() == []
    assert len(db) == 0
    assert db.insert({"n": 9}) == 1


def test_query_cache_is_invalidated_by_writes(h: Harness) -> None:
    h.db.insert({"state": "unsynced"})
    assert len(h.db.search(Q.state == "unsynced")) == 1
    h.db.update({"state": "synced"}, Q.state == "unsynced")
    assert h.db.search(Q.state == "unsynced") == []
    h.db.insert({"state": "unsynced"})
    assert len(h.db.search(Q.state == "unsynced")) == 1
    h.db.remove(Q.state == "unsynced")
    assert h.settle().search(Q.state == "unsynced") == []


def test_tables_are_separate_and_can_be_dropped(h: Harness) -> None:
    h.db.table("responses").insert({"id": "r1"})
    h.db.table("drafts").insert({"id": "d1"})
    h.db.table("empty", persist_empty=True)
    db = h.settle()
    assert db.tables() == {"responses", "drafts", "empty"}
    assert db.table("drafts").all() == [{"id": "d1"}]
    db.drop_table("drafts")
    db = h.settle()
    assert db.tables() == {"responses", "empty"}
    assert db.table("drafts").all() == []
    db.drop_tables()
    assert h.settle().tables() == set()


def test_unicode_and_nested_values_round_trip(h: Harness) -> None:
    doc = {
        "text": "Zgłoszenie — ‘hałas’ <script>alert(1)</script>\nsecond line",
        "answers": {"concerns": ["speeding", "fly-tipping"], "score": 4.5, "none": None},
        "flags": [True, False],
        "hostile": "\ud800 lone surrogate \x00 nul \t tab \u2028",
    }
    h.db.table("responses").insert(doc)
    assert h.settle().table("responses").all() == [doc]


def test_iteration_yields_documents_with_ids(h: Harness) -> None:
    h.db.insert_multiple([{"n": n} for n in range(3)])
    db = h.settle()
    assert [(d.doc_id, d["n"]) for d in db] == [(1, 0), (2, 1), (3, 2)]


def test_changing_a_returned_document_does_not_change_the_store(h: Harness) -> None:
    h.db.insert({"state": "unsynced"})
    h.db.get(doc_id=1)["state"] = "changed"
    h.db.all()[0]["state"] = "changed"
    assert h.settle().get(doc_id=1) == {"state": "unsynced"}
