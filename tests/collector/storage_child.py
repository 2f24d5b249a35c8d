"""Save ~1 KB responses in a loop, printing each id only after the save returned.

Run by test_storage_crash.py, which kills this process with SIGKILL at random moments.
Usage: python storage_child.py STORE_DIR MODE, where MODE is "save" (default compaction) or
"compact" (a tiny journal, so the kill often lands mid-compaction).
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

from collector.storage.durable import open_database

# A tiny journal that is always folded into the snapshot: compaction runs every few saves.
COMPACT_OPTIONS = {"compact_min_bytes": 16 * 1024, "compact_ratio": 0.0}
PAD = "Street lighting on the corner has been out for weeks; residents feel unsafe. " * 11


def main() -> None:
    """Open the store and save until killed."""
    store, mode = Path(sys.argv[1]), sys.argv[2]
    options = COMPACT_OPTIONS if mode == "compact" else {}
    db = open_database(store, **options)
    responses = db.table("responses")
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while True:
        response_id = str(uuid.uuid4())
        responses.insert({"id": response_id, "state": "unsynced", "note": PAD})
        # Acknowledge only after insert returned, exactly as the web app answers 201.
        sys.stdout.write(response_id + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
