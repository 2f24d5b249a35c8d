"""One flipped byte in the journal's middle: status and serve point at salvage, which exports
every readable response and says exactly which bytes (and how many frames) were lost.

Real stores on disk, the real CLI in a child process, the real bundle reader.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from collector.bundle import read_bundle
from collector.storage.durable import CorruptStore, open_database
from collector.storage.salvage import salvage_tables
from tests.collector.test_cli import run, seeded
from tests.collector.test_store import SURVEY, response
from tests.sealing_keys import give_key, opened

CONTACT = {"answers": {"concerns": ["speeding"], "contact_ok": True}, "personal": {"phone": "07"}}


def _saved_with_ranges(data: Path, count: int) -> tuple[list[str], list[tuple[int, int]], Path]:
    """Save `count` responses with contact details; return ids, each save's byte range, journal."""
    from collector.store import ResponseStore

    ids, ranges = [], []
    with ResponseStore(data) as store:
        store.set_pulled(surveys=[SURVEY])
        give_key(store)
        (journal,) = (data / "store").glob("journal.*.log")
        for _ in range(count):
            start = journal.stat().st_size
            ids.append(store.save_response(response(**CONTACT)))
            ranges.append((start, journal.stat().st_size))
    return ids, ranges, journal


def _digests(folder: Path) -> dict[str, str]:
    """Return each data file's digest (the lock file holds the pid of whoever last opened)."""
    files = (p for p in sorted(folder.iterdir()) if not p.name.endswith(".lock"))
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def test_a_flipped_byte_mid_journal_is_salvaged_with_exactly_what_was_lost(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    ids, ranges, journal = _saved_with_ranges(data, 7)
    start, end = ranges[3]
    raw = bytearray(journal.read_bytes())
    raw[(start + end) // 2] ^= 0x20  # one bit, in the middle of the fourth save's frame
    journal.write_bytes(bytes(raw))
    before = _digests(data / "store")

    with pytest.raises(CorruptStore) as caught:
        open_database(data / "store")
    assert f"damaged at byte {start} of {len(raw)}" in str(caught.value)
    assert f"follow from byte {end}" in str(caught.value)

    status = run("collector", "status", "--data", str(data))
    assert status.returncode != 0
    assert f"damaged at byte {start}" in status.stderr
    assert f"doorstep collector salvage --data {data}" in status.stderr

    out = tmp_path / "salvaged.bundle"
    done = run("collector", "salvage", "--data", str(data), "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)
    assert outcome["count"] == 6 and outcome["with_contact_details"] == 6
    assert outcome["lost"] == [
        {"file": f"store/{journal.name}", "start": start, "end": end, "frames": 1}
    ]
    assert outcome["unfinished"] == [] and outcome["intact"] is False
    manifest, responses = read_bundle(out)
    assert manifest["count"] == 6
    assert [r["id"] for r in responses] == ids[:3] + ids[4:]
    assert all(opened(r["personal"], r["id"]) == {"phone": "07"} for r in responses)
    assert out.stat().st_mode & 0o077 == 0
    assert _digests(data / "store") == before  # salvage changed nothing
    assert not list(tmp_path.glob(".doorstep-salvage-*"))  # its working copy is gone

    text = run("collector", "salvage", "--data", str(data), "--out", str(out))
    assert text.returncode == 0, text.stderr
    assert f"lost: store/{journal.name} bytes {start}-{end - 1} ({end - start} bytes, 1 frame)" in (
        text.stdout
    )


def test_serve_on_a_damaged_store_points_at_salvage(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _, ranges, journal = _saved_with_ranges(data, 3)
    raw = bytearray(journal.read_bytes())
    raw[ranges[1][0] + 30] ^= 0x01
    journal.write_bytes(bytes(raw))
    served = run("collector", "serve", "--data", str(data), "--port", "0")
    assert served.returncode != 0
    assert f"damaged at byte {ranges[1][0]}" in served.stderr
    assert "doorstep collector salvage" in served.stderr


def test_an_intact_store_salvages_everything_and_says_so(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ids = seeded(data, 4)
    out = tmp_path / "all.bundle"
    done = run("collector", "salvage", "--data", str(data), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "salvaged 4 responses" in done.stdout and "nothing acknowledged was lost" in done.stdout
    assert [r["id"] for r in read_bundle(out)[1]] == ids


def test_a_cut_off_last_save_is_reported_as_unfinished_not_lost(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ids, ranges, journal = _saved_with_ranges(data, 3)
    journal.write_bytes(journal.read_bytes()[: ranges[2][0] + 40])
    out = tmp_path / "cut.bundle"
    outcome = json.loads(
        run("collector", "salvage", "--data", str(data), "--out", str(out), "--json").stdout
    )
    assert outcome["count"] == 2 and outcome["lost"] == [] and outcome["intact"] is True
    assert outcome["unfinished"] == [
        {
            "file": f"store/{journal.name}",
            "start": ranges[2][0],
            "end": ranges[2][0] + 40,
            "frames": 1,
        }
    ]
    assert [r["id"] for r in read_bundle(out)[1]] == ids[:2]


def test_a_damaged_snapshot_line_loses_that_document_only(tmp_path: Path) -> None:
    store = tmp_path / "store"
    with open_database(store) as db:
        db.insert_multiple({"n": n, "note": "x" * 50} for n in range(5))
        db.compact()
    snapshot = store / "snapshot.jsonl"
    lines = snapshot.read_bytes().split(b"\n")
    at = len(lines[0]) + len(lines[1]) + len(lines[2]) + 3  # where the third document starts
    raw = bytearray(snapshot.read_bytes())
    raw[at + len(lines[3]) - 2] = ord("\x01")  # inside its closing brace: no longer JSON
    snapshot.write_bytes(bytes(raw))
    tables, report = salvage_tables(store)
    assert sorted(json.loads(d)["n"] for d in tables["_default"].values()) == [0, 1, 3, 4]
    (file,) = report.files[:1]
    assert [(d.start, d.end, d.frames) for d in file.lost] == [(at, at + len(lines[3]) + 1, 1)]
    assert not report.intact
