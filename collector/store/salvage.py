"""Salvage a damaged collector store: every readable response to a bundle, and what was lost.

The damaged files are only read. What the storage layer could read
(`collector.storage.salvage`) is written as a fresh store in a private temporary directory,
opened as a :class:`~collector.store.ResponseStore`, and exported as ``export`` does, so a
salvaged bundle holds responses exactly as an export would (contact details included).
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from collector.bundle import write_bundle
from collector.storage.durable import SNAPSHOT_FILE, Tables
from collector.storage.journal import write_snapshot
from collector.storage.salvage import SalvageReport, salvage_tables
from collector.store import STORE_DIR, ResponseStore

__all__ = ["Salvaged", "salvage_to_bundle"]


@dataclass
class Salvaged:
    """The bundle's manifest, what the storage layer could not read, and row counts."""

    manifest: dict[str, Any]
    report: SalvageReport
    with_contact_details: int
    without_outbox_row: int  # responses kept though their outbox row was lost
    without_response_row: int  # outbox rows whose response was lost (counted as lost)


def _decoded(tables: Tables, name: str) -> dict[str, Any]:
    return {key: json.loads(doc) for key, doc in tables.get(name, {}).items()}


def _repair(tables: Tables) -> tuple[int, int]:
    """Make the rows consistent for opening: every readable response gets an outbox row.

    Return (responses given an outbox row, outbox rows dropped for want of their response).
    """
    responses = _decoded(tables, "responses")
    outbox = _decoded(tables, "outbox")
    orphans = [key for key, row in outbox.items() if str(row.get("row")) not in responses]
    for key in orphans:
        del tables["outbox"][key]
    listed = {row.get("id") for key, row in outbox.items() if key not in orphans}
    next_id = max((int(k) for k in outbox), default=0) + 1
    added = 0
    for key, row in responses.items():
        if row.get("id") in listed or not isinstance(row.get("response"), dict):
            continue
        entry = {"id": row["id"], "row": int(key), "hash": "", "state": "unsynced", "errors": None}
        tables.setdefault("outbox", {})[str(next_id)] = json.dumps(entry).encode()
        listed.add(row["id"])
        next_id, added = next_id + 1, added + 1
    return added, len(orphans)


def _device_id(tables: Tables) -> str | None:
    for row in _decoded(tables, "meta").values():
        if row.get("key") == "device" and isinstance(row.get("value"), dict):
            return row["value"].get("device_id")
    return None


def salvage_to_bundle(data_dir: Path, out: Path) -> Salvaged:
    """Export every readable response of ``data_dir``'s store to the bundle ``out``.

    The caller holds the data directory's lock. Raises OSError when ``out`` cannot be written.
    """
    tables, report = salvage_tables(Path(data_dir) / STORE_DIR)
    added, dropped = _repair(tables)
    with tempfile.TemporaryDirectory(prefix=".doorstep-salvage-", dir=out.parent) as work:
        # mkdtemp makes the directory owner-only: the copy holds contact details for a moment.
        (Path(work) / STORE_DIR).mkdir()
        write_snapshot(Path(work) / STORE_DIR / SNAPSHOT_FILE, tables, 0)
        with ResponseStore(work) as store:
            details = 0

            def responses() -> Any:
                nonlocal details
                for response in store.iter_responses():
                    details += "personal" in response
                    yield response

            manifest = write_bundle(responses(), out, _device_id(tables))
    return Salvaged(manifest, report, details, added, dropped)
