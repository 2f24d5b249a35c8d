"""Big documents of the snapshot stay on disk: memory holds where they are, reads are exact.

Real stores on disk, compacted in the background and inline, read across compactions.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.storage.durable import SNAPSHOT_FILE, open_database
from collector.storage.journal import ON_DISK_FROM

BIG = "Street lights out by the shops since March; people cross the road at night. " * 6
SMALL = "ok"


def _docs(count: int) -> list[dict[str, object]]:
    return [{"n": n, "note": BIG if n % 2 else SMALL} for n in range(count)]


def _stored(db, table: str = "_default") -> dict[str, object]:
    return dict(db.storage.read()[table])


def test_big_documents_are_read_from_the_snapshot_and_small_ones_kept(tmp_path: Path) -> None:
    assert len(BIG) > ON_DISK_FROM
    with open_database(tmp_path / "s") as db:
        db.insert_multiple(_docs(40))
        db.compact()
    with open_database(tmp_path / "s") as db:
        stored = _stored(db)
        assert all(isinstance(stored[str(n + 1)], int) == bool(n % 2) for n in range(40))
        assert db.all() == _docs(40)
        assert db.get(doc_id=2) == {"n": 1, "note": BIG}
        assert db.get(doc_ids=[2, 3]) == _docs(3)[1:]
        db.update({"note": BIG + "!"}, doc_ids=[2])  # a changed document is bytes again
        assert isinstance(_stored(db)["2"], bytes)
        assert db.insert({"n": 40}) == 41  # the next id came without a scan
    with open_database(tmp_path / "s") as db:
        assert db.get(doc_id=2)["note"] == BIG + "!"
        assert len(db) == 41


def test_a_background_snapshot_moves_documents_out_of_memory_at_the_next_write(
    tmp_path: Path,
) -> None:
    with open_database(tmp_path / "s", compact_min_bytes=1 << 30) as db:
        db.insert_multiple(_docs(30))
        assert all(isinstance(v, bytes) for v in _stored(db).values())
        db.storage.compact_min_bytes, db.storage.compact_ratio = 0, 0.0
        db.insert({"n": 30, "note": BIG})  # starts a compaction in the background
        db.storage.compact_min_bytes, db.storage.compact_ratio = 1 << 30, 0.5
        db.storage.wait_for_compaction()
        db.update({"n": -1}, doc_ids=[1])  # the first write after it takes the new snapshot
        stored = _stored(db)
        assert isinstance(stored["2"], int) and isinstance(stored["1"], bytes)
        assert db.all() == [{"n": -1, "note": SMALL}, *_docs(30)[1:], {"n": 30, "note": BIG}]


def test_an_iteration_begun_before_compactions_reads_the_documents_it_began_with(
    tmp_path: Path,
) -> None:
    with open_database(tmp_path / "s") as db:
        db.insert_multiple(_docs(20))
        db.compact()
    with open_database(tmp_path / "s") as db:
        reading = iter(db)
        first = next(reading)
        old_inode = (tmp_path / "s" / SNAPSHOT_FILE).stat().st_ino
        db.remove(doc_ids=[2, 4])
        db.update({"note": "changed"}, doc_ids=[6])
        db.compact()
        db.compact()  # the file the iteration's references point into is gone from the folder
        assert (tmp_path / "s" / SNAPSHOT_FILE).stat().st_ino != old_inode
        assert [first, *reading] == _docs(20)
        assert db.get(doc_id=6)["note"] == "changed" and db.get(doc_id=4) is None


def test_an_undone_block_puts_back_documents_that_lived_on_disk(tmp_path: Path) -> None:
    with open_database(tmp_path / "s") as db:
        db.insert_multiple(_docs(10))
        db.compact()
    with open_database(tmp_path / "s") as db:
        before = _stored(db)
        with pytest.raises(RuntimeError), db.atomic():
            db.update({"note": "gone"}, doc_ids=[2, 4])
            db.remove(doc_ids=[6])
            raise RuntimeError
        assert _stored(db) == before
        assert db.all() == _docs(10)
