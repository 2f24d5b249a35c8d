"""A real ``doorstep server serve`` killed with SIGKILL and restarted in the middle of a sync."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from sync.client import RetryPolicy, SyncClient
from sync.engine import sync_store
from tests.reliability.server_loops import ServerProcess

from .conftest import TEST_SURVEY, collector_hashes, fill

N = 500
KILL_AT = (100, 250, 400)


@pytest.fixture
def server(database_url: str, tmp_path: Path, free_port: int) -> Iterator[ServerProcess]:
    env = {
        **os.environ,
        "DOORSTEP_DATABASE_URL": database_url,
        "DOORSTEP_INSTANCE": str(tmp_path / "instance"),
        "DOORSTEP_SECRET_KEY": "test",
    }
    proc = ServerProcess(env, free_port)
    proc.run("init", "--demo")
    survey = tmp_path / "test-survey.json"
    survey.write_text(json.dumps(TEST_SURVEY))
    proc.run("add-survey", str(survey))
    proc.start()
    proc.wait_ready()
    yield proc
    if proc.proc is not None and proc.proc.poll() is None:
        proc.kill()


def count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM responses")).scalar_one())


def stored(engine: sa.Engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, content_hash FROM responses")).all()
    return {str(r[0]): r[1] for r in rows}


def test_server_killed_and_restarted_mid_sync_stores_each_once(
    server: ServerProcess, database_url: str, store
) -> None:
    code = json.loads(server.run("enroll-code", "--json"))["code"]
    fill(store, N)
    engine = sa.create_engine(database_url)

    def killer() -> None:
        for threshold in KILL_AT:
            while count(engine) < threshold:
                time.sleep(0.02)
            server.kill()
            server.start()

    thread = threading.Thread(target=killer, daemon=True)
    # Real sleeps here: the client must outlast a restart (connection refused for a while).
    patient = RetryPolicy(attempts=80, base=0.05, cap=0.5)
    with SyncClient(server.url, retry=patient, timeouts=(2.0, 10.0)) as client:
        client.enroll(code, "restart test")
        thread.start()
        summary = sync_store(store, client, max_count=25)
    thread.join(timeout=60)
    rows = stored(engine)
    engine.dispose()
    assert server.kills == len(KILL_AT)
    assert len(rows) == N and rows == collector_hashes(store)
    assert summary.accepted + summary.duplicate == N and summary.rejected == 0
    assert store.status()["unsynced"] == 0
