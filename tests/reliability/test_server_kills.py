"""The server killed mid-push and restarted: the retrying client still syncs exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import database_urls

from .server_loops import server_kill_loop

KILLS = 3
RESPONSES = 300


@pytest.mark.slow
@pytest.mark.parametrize("db", database_urls())
def test_server_killed_mid_push_holds_each_response_exactly_once(tmp_path: Path, db: str) -> None:
    report = server_kill_loop(tmp_path, db, KILLS, RESPONSES)
    assert report.failures == []
    assert report.kills == KILLS and report.kills_mid_push > 0
    assert report.server_rows == report.distinct_ids == report.collector == RESPONSES
    assert (report.lost, report.extra, report.changed, report.conflicts) == (0, 0, 0, 0)
    assert report.unsynced_left == 0
    assert report.accepted + report.duplicates == RESPONSES  # one received outcome each
    assert report.pushes_attempted > report.pushes_acked  # some pushes really were cut off
