"""A full disk gives a clear StorageFull, keeps earlier saves, and leaves the store openable.

The disk is a real, small tmpfs (the suite runs as root in CI). If it cannot be mounted the
tests fail rather than skip, so a CI change cannot silently drop them.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from collector.storage import StorageFull, open_database

DISK_SIZE = "1m"
DOC = {"note": "Fly-tipping behind the shops again. " * 28}


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """Mount a 1 MiB tmpfs and yield it; unmount afterwards."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE}", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.fail(f"cannot mount a small tmpfs (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def _leave_free(disk: Path, free: int) -> Path:
    """Fill the disk with a filler file until about `free` bytes remain; return the filler."""
    stats = os.statvfs(disk)
    filler = disk / "filler"
    filler.write_bytes(b"\0" * (stats.f_bavail * stats.f_frsize - free))
    return filler


def test_a_full_disk_refuses_the_save_and_keeps_earlier_ones(disk: Path) -> None:
    store = disk / "store"
    db = open_database(store)
    filler = _leave_free(disk, 24 * 1024)
    saved: list[int] = []
    with pytest.raises(StorageFull, match="disk is full"):
        for n in range(200):
            before = db.storage.journal_size
            saved.append(db.insert({"n": n, **DOC}))
    # The partial frame of the refused save was cut off again.
    assert (store / "journal.log").stat().st_size == before
    assert len(saved) >= 5
    assert [d.doc_id for d in db.all()] == saved
    db.close()

    with open_database(store) as db:  # still full: opening needs no new space
        assert db.storage.dropped_bytes == 0
        assert [d.doc_id for d in db.all()] == saved
        filler.unlink()
        db.insert({"n": "after", **DOC})
    with open_database(store) as db:
        assert len(db) == len(saved) + 1


def test_failed_automatic_compaction_does_not_fail_the_save(
    disk: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = disk / "store"
    with open_database(store) as db:
        db.insert_multiple([{"n": n, **DOC} for n in range(60)])
    _leave_free(disk, 16 * 1024)  # room for a save, not for a ~60 KB snapshot
    with caplog.at_level(logging.WARNING, logger="collector.storage"):
        with open_database(store, compact_min_bytes=4096, compact_ratio=0.0) as db:
            doc_id = db.insert({"n": 60, **DOC})
            assert db.get(doc_id=doc_id)["n"] == 60
            with pytest.raises(StorageFull):
                db.compact()
    assert "automatic compaction failed" in caplog.text
    assert sorted(p.name for p in store.iterdir()) == ["journal.log", "writer.lock"]
    with open_database(store) as db:
        assert [d["n"] for d in db.all()] == list(range(61))


def test_a_new_journal_that_cannot_be_started_after_a_snapshot_loses_nothing(disk: Path) -> None:
    store = disk / "store"
    page = os.statvfs(disk).f_frsize
    with open_database(store) as db:
        db.insert_multiple([{"n": n, **DOC} for n in range(20)])
        db.compact()
        db.insert({"n": 20, **DOC})
        snapshot = store / "snapshot.jsonl"
        # Keep the old snapshot's pages allocated after the rename (an open file keeps them),
        # and leave room for exactly the new snapshot: then the new journal cannot start.
        with snapshot.open("rb"):
            new_size = snapshot.stat().st_size + len(db.storage.read()["_default"]["21"]) + 32
            filler = _leave_free(disk, -(-new_size // page) * page)
            with pytest.raises(StorageFull, match="new journal"):
                db.compact()
            with pytest.raises(StorageFull):  # a save must start the journal first: no room
                db.insert({"n": "refused", **DOC})
        filler.unlink()
        db.insert({"n": 21, **DOC})
    with open_database(store) as db:
        assert [d["n"] for d in db.all()] == list(range(22))
