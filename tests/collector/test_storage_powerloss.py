"""Any state power loss can leave the journal in opens with exactly the completed writes.

Appends are fsynced in order, so after a power cut the journal is some prefix of what was
written, perhaps followed by junk (zeros or stale bytes) where the last write was going.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from collector.storage.durable import journal_file, open_database
from collector.storage.journal import FRAME_HEAD

JOURNAL_FILE = journal_file(1)

WRITES = 12


def _build() -> tuple[bytes, list[int]]:
    """Return a journal of WRITES single inserts and the offset where each frame ends."""
    with tempfile.TemporaryDirectory() as tmp:
        with open_database(Path(tmp) / "store") as db:
            for n in range(WRITES):
                db.insert({"n": n, "text": "Graffiti on the underpass. " * (n % 4)})
        data = (Path(tmp) / "store" / JOURNAL_FILE).read_bytes()
    ends, pos = [], 0
    while pos < len(data):  # the header frame, then one frame per write
        pos += FRAME_HEAD + int(data[pos : pos + 8], 16) + 1
        ends.append(pos)
    assert len(ends) == WRITES + 1
    return data, ends


JOURNAL, ENDS = _build()


@settings(max_examples=100, deadline=None)
@given(
    cut=st.integers(min_value=0, max_value=len(JOURNAL)),
    junk=st.one_of(st.just(b""), st.binary(max_size=300), st.integers(1, 4096).map(bytes)),
)
def test_a_cut_journal_keeps_exactly_the_writes_before_the_cut(cut: int, junk: bytes) -> None:
    complete = sum(1 for end in ENDS[1:] if end <= cut)
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        store.mkdir()
        (store / JOURNAL_FILE).write_bytes(JOURNAL[:cut] + junk)
        with open_database(store) as db:
            assert [d["n"] for d in db.all()] == list(range(complete))
            db.insert({"n": "after"})
        with open_database(store) as db:
            assert len(db) == complete + 1
