"""``doorstep collector enroll|sync`` with and without ``serve``, against a live server."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from collector.store import ResponseStore
from server.cli import main
from tests.collector.test_cli import Serve

from .conftest import (
    TEST_SURVEY,
    collector_hashes,
    enrollment_code,
    fill,
    make_response,
    revoke,
    server_rows,
)


def doorstep(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def seed(data: Path, n: int) -> list[str]:
    """Create a collector store in ``data`` knowing the test survey, with ``n`` responses."""
    with ResponseStore(data) as store:
        store.set_pulled(surveys=[TEST_SURVEY])
        return fill(store, n)


def status_of(data: Path) -> dict:
    return json.loads(doorstep("collector", "status", "--data", str(data), "--json").output)


def enroll(data: Path, url: str, code: str, *extra: str) -> Result:
    return doorstep("collector", "enroll", url, code, "--data", str(data), *extra)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "collector"
    seed(path, 0)
    return path


def test_enroll_then_sync_pushes_everything(data, app, live_server) -> None:
    ids = seed(data, 30)
    result = enroll(data, live_server, enrollment_code(app), "--label", "Abbey Pi")
    assert result.exit_code == 0, result.output
    assert "enrolled as device" in result.output
    result = doorstep("collector", "sync", "--data", str(data), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["sent"], summary["accepted"], summary["unsynced"]) == (30, 30, 0)
    assert set(server_rows(app)[1]) == set(ids)
    with ResponseStore(data) as store:
        assert server_rows(app)[1] == collector_hashes(store)
        assert store.device().server_url == live_server


def test_sync_prints_a_summary_line(data, app, live_server) -> None:
    seed(data, 2)
    enroll(data, live_server, enrollment_code(app))
    result = doorstep("collector", "sync", "--data", str(data))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("sent 2, accepted 2, duplicate 0, conflict 0, rejected 0")
    assert result.output.rstrip().endswith("0 unsynced")


def test_enroll_creates_a_new_data_directory(tmp_path, app, live_server) -> None:
    data = tmp_path / "fresh"
    result = enroll(data, live_server, enrollment_code(app), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["server_url"] == live_server
    with ResponseStore(data) as store:
        assert store.device() is not None


def test_reused_code_is_refused_clearly(tmp_path, app, live_server) -> None:
    code = enrollment_code(app)
    assert enroll(tmp_path / "one", live_server, code).exit_code == 0
    result = enroll(tmp_path / "two", live_server, code)
    assert result.exit_code == 1
    assert "used" in result.output and "Traceback" not in result.output
    with ResponseStore(tmp_path / "two") as store:
        assert store.device() is None


def test_expired_code_is_refused_clearly(data, app, live_server, clock) -> None:
    code = enrollment_code(app, ttl_seconds=600)
    clock.now += timedelta(minutes=11)
    result = enroll(data, live_server, code)
    assert result.exit_code == 1 and "expired" in result.output
    with ResponseStore(data) as store:
        assert store.device() is None


def test_wrong_code_and_bad_url_are_refused(data, live_server) -> None:
    result = enroll(data, live_server, "NOT-A-CODE")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert enroll(data, "ftp://example.org", "X").exit_code == 2


def test_sync_before_enrolling_says_what_to_do(data) -> None:
    result = doorstep("collector", "sync", "--data", str(data))
    assert result.exit_code == 1 and "doorstep collector enroll" in result.output


def test_unknown_survey_version_ends_rejected_with_reasons_in_status(
    data, app, live_server
) -> None:
    with ResponseStore(data) as store:
        store.set_pulled(surveys=[{**TEST_SURVEY, "version": 7}])
        bad = store.save_response(make_response(survey_version=7))
        fill(store, 1)
    enroll(data, live_server, enrollment_code(app))
    result = doorstep("collector", "sync", "--data", str(data), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["rejected"] == 1
    status = doorstep("collector", "status", "--data", str(data), "--json")
    assert json.loads(status.output)["rejected"] == 1
    assert json.loads(status.output)["unsynced"] == 0
    listing = doorstep("collector", "status", "--data", str(data))
    assert f"rejected {bad}" in listing.output and "version 7" in listing.output
    assert bad not in server_rows(app)[1]


def test_revoked_device_stops_and_keeps_unsynced(data, app, live_server) -> None:
    seed(data, 1)
    enroll(data, live_server, enrollment_code(app))
    with ResponseStore(data) as store:
        device_id = store.device().device_id
    assert doorstep("collector", "sync", "--data", str(data)).exit_code == 0
    seed(data, 4)
    revoke(app, device_id)
    result = doorstep("collector", "sync", "--data", str(data))
    assert result.exit_code == 1
    assert "revoked" in result.output and "4 unsynced responses are kept" in result.output
    with ResponseStore(data) as store:
        assert store.status()["unsynced"] == 4 and store.status()["stored"] == 5


@pytest.fixture
def serving(data: Path, free_port: int) -> Iterator[Serve]:
    """Run ``doorstep collector serve`` on the data directory, background sync every second."""
    collector = Serve(data, free_port, "--sync-interval", "1")
    yield collector
    collector.stop(signal.SIGKILL)


def wait_for(predicate, what: str, seconds: float = 60) -> None:
    """Wait until ``predicate()`` holds (an event, not a speed check), or fail."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.1)


def test_enroll_and_sync_while_serve_runs(serving, data, app, live_server) -> None:
    result = enroll(data, live_server, enrollment_code(app))
    assert result.exit_code == 0, result.output
    ids = [serving.post(make_response())[1]["id"] for _ in range(12)]
    result = doorstep("collector", "sync", "--data", str(data), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["unsynced"] == 0
    # The background job may have pushed some first; together they sent each once.
    assert server_rows(app)[0] == 12 and set(server_rows(app)[1]) == set(ids)


def test_background_sync_pushes_while_capture_goes_on(serving, data, app, live_server) -> None:
    assert enroll(data, live_server, enrollment_code(app)).exit_code == 0
    ids = []
    for _ in range(20):
        status, body = serving.post(make_response())
        assert status == 201
        ids.append(body["id"])
    wait_for(lambda: server_rows(app)[0] == 20, "the background sync")
    assert set(server_rows(app)[1]) == set(ids)
    # The outbox empties after the push; last_sync is set once the pull is stored too.
    wait_for(lambda: status_of(data)["last_sync"] is not None, "a sync to finish")
    wait_for(lambda: status_of(data)["unsynced"] == 0, "the outbox to empty")
    assert status_of(data)["stored"] == 20
