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

from collector.storage.durable import StorageFull, open_database

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
    assert (store / "journal.1.log").stat().st_size == before
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
    _leave_free(disk, 16 * 1024)  # room for saves and a new journal, not a ~60 KB snapshot
    with caplog.at_level(logging.WARNING, logger="collector.storage.durable"):
        with open_database(store, compact_min_bytes=4096, compact_ratio=0.0) as db:
            doc_id = db.insert({"n": 60, **DOC})  # starts a compaction in the background
            assert db.get(doc_id=doc_id)["n"] == 60
            db.storage.wait_for_compaction()
            assert "automatic compaction failed" in caplog.text
            with pytest.raises(StorageFull):
                db.compact()
    names = sorted(p.name for p in store.iterdir())
    assert "snapshot.jsonl" not in names
    assert not [name for name in names if name.endswith(".tmp")]
    with open_database(store) as db:
        assert [d["n"] for d in db.all()] == list(range(61))


def test_a_compaction_that_cannot_start_a_new_journal_changes_nothing(disk: Path) -> None:
    store = disk / "store"
    with open_database(store) as db:
        db.insert_multiple([{"n": n, **DOC} for n in range(20)])
        filler = _leave_free(disk, 0)
        with pytest.raises(StorageFull, match="new journal"):
            db.compact()
        assert sorted(p.name for p in store.iterdir()) == ["journal.1.log", "writer.lock"]
        filler.unlink()
        db.insert({"n": 20, **DOC})  # still appends to the journal it had
        db.compact()
        db.insert({"n": 21, **DOC})
    with open_database(store) as db:
        assert [d["n"] for d in db.all()] == list(range(22))
