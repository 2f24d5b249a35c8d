"""``doorstep collector status --json`` lists each rejected response with the server's reasons."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from collector.store import ResponseStore
from server.cli import main
from tests.collector.test_cli import Serve, run, seeded

REASONS = {"survey_version": ["unknown survey version"]}


def reject_first(data: Path) -> str:
    """Seed two responses and mark the first rejected; return its id."""
    rid = seeded(data, 2)[0]
    with ResponseStore(data) as store:
        store.mark_rejected(rid, REASONS)
    return rid


def test_status_json_keeps_the_count_and_adds_each_rejection(tmp_path: Path) -> None:
    rid = reject_first(tmp_path)
    result = CliRunner().invoke(main, ["collector", "status", "--data", str(tmp_path), "--json"])
    body = json.loads(result.output)
    assert (body["stored"], body["unsynced"], body["rejected"]) == (2, 1, 1)
    [item] = body["rejected_responses"]
    assert (item["id"], item["errors"]) == (rid, REASONS)


def test_status_json_asks_the_running_collector_for_rejections(
    tmp_path: Path, free_port: int
) -> None:
    rid = reject_first(tmp_path)
    server = Serve(tmp_path, free_port)
    try:
        result = run("collector", "status", "--data", str(tmp_path), "--json")
    finally:
        assert server.stop() == 0
    body = json.loads(result.stdout)
    assert body["rejected"] == 1
    assert [(i["id"], i["errors"]) for i in body["rejected_responses"]] == [(rid, REASONS)]
