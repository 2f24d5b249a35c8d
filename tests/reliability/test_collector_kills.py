"""kill -9 of a collector mid-save loses no acknowledged response and never breaks the store."""

from __future__ import annotations

from pathlib import Path

import pytest

from .collector_loops import forked_kill_loop, http_kill_loop

FORKED_KILLS = 30
HTTP_KILLS = 3


@pytest.mark.slow
def test_forked_collector_killed_mid_save_keeps_every_acknowledged_response(
    tmp_path: Path,
) -> None:
    report = forked_kill_loop(tmp_path, FORKED_KILLS)
    assert report.failures == []
    assert (report.kills, report.lost, report.open_failures) == (FORKED_KILLS, 0, 0)
    assert report.acknowledged > FORKED_KILLS  # the children really saved between kills
    assert report.mid_compaction > 0  # some kills landed while a snapshot was written
    assert report.while_opening > 0  # and some while the store was being opened


@pytest.mark.slow
def test_collector_process_killed_mid_post_keeps_every_201(tmp_path: Path) -> None:
    report = http_kill_loop(tmp_path, HTTP_KILLS)
    assert report.failures == []
    assert (report.kills, report.lost, report.open_failures) == (HTTP_KILLS, 0, 0)
    assert report.acknowledged > HTTP_KILLS
