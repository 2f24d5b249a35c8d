"""Read whatever is readable from a damaged store, without changing a byte of it.

Opening refuses a store whose journal is damaged in the middle or whose snapshot fails its
checksum (docs/collector-storage.md). Salvage reads the same files leniently instead: every
journal frame whose checksum holds, every snapshot line that is still JSON, and it says
exactly which byte ranges of which file it could not read. `collector.store.salvage` turns
the tables into a bundle.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from collector.storage.durable import (
    JOURNAL_NAME,
    SNAPSHOT_FILE,
    Tables,
    apply_ops,
    decode_ops,
)
from collector.storage.journal import CorruptStore, Damage, salvage_frames

__all__ = ["FileReport", "SalvageReport", "salvage_tables"]


@dataclass
class FileReport:
    """What salvage read from one file of the store, and which bytes it could not read."""

    name: str
    size: int
    records: int = 0  # frames (journal) or documents (snapshot) read
    damage: list[Damage] = field(default_factory=list)
    note: str | None = None  # damage that no byte range pins down (a snapshot checksum)

    @property
    def lost(self) -> list[Damage]:
        """Damage that held acknowledged changes (not the one unfinished last write)."""
        return [d for d in self.damage if not d.torn_tail]


@dataclass
class SalvageReport:
    """Every file salvage read, in the order it read them."""

    files: list[FileReport] = field(default_factory=list)

    @property
    def lost_records(self) -> int:
        """Return how many frames or snapshot lines could not be read."""
        return sum(d.frames for f in self.files for d in f.lost)

    @property
    def intact(self) -> bool:
        """Return whether nothing acknowledged was lost."""
        return not any(f.lost or f.note for f in self.files)


def _snapshot(path: Path, tables: Tables, report: SalvageReport) -> int | None:
    """Load every readable snapshot line into tables; return the generation it covers."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return 0
    file = FileReport(path.name, len(data))
    report.files.append(file)
    lines = data.split(b"\n")
    covers: int | None = None
    try:
        header = json.loads(lines[0])
        covers = int(header["covers"])
    except (ValueError, KeyError, TypeError):
        file.damage.append(Damage(0, len(lines[0]) + 1, 1, False))
    pos, crc, trailer = len(lines[0]) + 1, zlib.crc32(lines[0] + b"\n"), None
    for line in lines[1:]:
        start, pos = pos, pos + len(line) + 1
        if not line:
            continue
        if line.startswith(b"{"):
            trailer = line
            break
        crc = zlib.crc32(line + b"\n", crc)
        head, tab, doc = line.partition(b"\t")
        try:
            name, doc_id = json.loads(head)
            json.loads(doc)  # a document that no longer reads as JSON is lost
            if not tab or not isinstance(name, str) or not isinstance(doc_id, str):
                raise ValueError("not a document line")
        except (ValueError, TypeError):
            end = min(pos, len(data))
            last = file.damage[-1] if file.damage else None
            if last is not None and last.end == start:  # one range for neighbouring lines
                file.damage[-1] = Damage(last.start, end, last.frames + 1, False)
            else:
                file.damage.append(Damage(start, end, 1, False))
            continue
        tables.setdefault(name, {})[doc_id] = doc
        file.records += 1
    try:
        intact = trailer is not None and json.loads(trailer)["crc32"] == crc
    except (ValueError, KeyError, TypeError):
        intact = False
    if not intact and not file.damage:
        file.note = (
            "the snapshot's checksum does not match, yet every line reads: a changed character "
            "inside some document (or a cut-off end) cannot be pinned down"
        )
    return covers


def _journal(path: Path, tables: Tables, report: SalvageReport, newest: bool) -> None:
    """Apply every frame of a journal whose checksum holds; record the damage between."""
    data = path.read_bytes()
    file = FileReport(path.name, len(data))
    report.files.append(file)
    frames, damage = salvage_frames(data)
    # Only the newest journal takes appends, so only its end can be an unfinished write.
    file.damage = [d if newest else Damage(d.start, d.end, d.frames, False) for d in damage]
    for offset, payload in frames:
        if payload.startswith(b"{") and b'"doorstep_journal"' in payload[:40]:
            continue  # the header frame
        try:
            apply_ops(tables, decode_ops(payload))
        except CorruptStore:
            file.damage.append(Damage(offset, offset + len(payload) + 19, 1, False))
            continue
        file.records += 1
    file.damage.sort(key=lambda d: d.start)


def salvage_tables(path: Path) -> tuple[Tables, SalvageReport]:
    """Return every readable document of the store in directory `path`, and a report."""
    tables: Tables = {}
    report = SalvageReport()
    covers = _snapshot(path / SNAPSHOT_FILE, tables, report)
    journals = sorted(
        (int(m.group(1)), p) for p in path.iterdir() if (m := JOURNAL_NAME.fullmatch(p.name))
    )
    if covers is None:  # the snapshot's header is gone: assume it covers what precedes them
        covers = journals[0][0] - 1 if journals else 0
    for generation, journal in journals:
        if generation > covers:
            _journal(journal, tables, report, newest=generation == journals[-1][0])
    return tables, report
