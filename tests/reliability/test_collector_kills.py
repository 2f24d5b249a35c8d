"""kill -9 of a collector mid-save loses no acknowledged response and never breaks the store."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from collector.store import ResponseStore

from .collector_loops import READY, forked_kill_loop, http_kill_loop, response_for

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


def acknowledge_before_saving(data_dir: Path, out: int, compact: bool) -> None:
    """Save like the collector, but say "saved" before the save: the bug the loop must catch."""
    store = ResponseStore(data_dir)
    os.write(out, READY.encode() + b"\n")
    while True:
        response_id = str(uuid.uuid4())
        os.write(out, response_id.encode() + b"\n")
        store.save_response(response_for(response_id))


@pytest.mark.slow
def test_the_loop_catches_an_acknowledgement_sent_before_the_save(tmp_path: Path) -> None:
    report = forked_kill_loop(tmp_path, FORKED_KILLS, saver=acknowledge_before_saving)
    assert report.lost > 0 and len(report.failures) == report.lost
