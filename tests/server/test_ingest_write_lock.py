"""On SQLite, ingests of several processes take turns to write through a file lock."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from server.db import db, utcnow
from server.intake.ingest import ingest_batch
from server.models import Response

from .conftest import make_response

# Ingests a batch when told; with "hold" a hook says "writing" mid-transaction and waits.
WORKER = """
import json, sys
from server import create_app
from server.db import db, utcnow
from server.intake.ingest import ingest_batch
app = create_app({"DATABASE_URL": sys.argv[1], "INSTANCE_PATH": sys.argv[2], "SECRET_KEY": "t"})
items = json.load(open(sys.argv[3]))

def hold(session, rows):
    print("writing", flush=True)
    sys.stdin.readline()

print("ready", flush=True)
sys.stdin.readline()  # start when told
with app.app_context():
    hooks = [hold] if sys.argv[4] == "hold" else []
    outcomes = ingest_batch(db.session, items, now=utcnow(), hooks=hooks)
    db.engine.dispose()
print(json.dumps([o.status for o in outcomes]), flush=True)
"""


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """Use a SQLite file only: the file lock is SQLite's."""
    yield f"sqlite:///{tmp_path / 'doorstep.db'}"


def _lock_file(tmp_path: Path) -> Path:
    return tmp_path / "doorstep.db.write-lock"


def _worker(tmp_path: Path, database_url: str, count: int, mode: str) -> subprocess.Popen[str]:
    batch = tmp_path / f"batch-{time.monotonic_ns()}.json"
    batch.write_text(json.dumps([make_response() for _ in range(count)]))
    proc = subprocess.Popen(
        [sys.executable, "-c", WORKER, database_url, str(tmp_path / "inst"), str(batch), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


def _start(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.write("go\n")
    proc.stdin.flush()


def _statuses(proc: subprocess.Popen[str]) -> list[str]:
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    return json.loads(out.strip().splitlines()[-1])


def _stored(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Response)) or 0


def _waits_for_flock(pid: int) -> bool:
    # /proc/locks lists a blocked request as "N: -> FLOCK  ADVISORY  WRITE <pid> ..."
    return any(
        "-> FLOCK" in line and line.split()[5] == str(pid)
        for line in Path("/proc/locks").read_text().splitlines()
    )


def test_a_writer_waits_for_the_lock_before_its_first_write(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    holder = os.open(_lock_file(tmp_path), os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        proc = _worker(tmp_path, database_url, 50, "plain")
        _start(proc)
        for _ in range(600):
            if _waits_for_flock(proc.pid) or proc.poll() is not None:
                break
            time.sleep(0.05)
        assert _waits_for_flock(proc.pid), "the worker did not wait for the write lock"
        assert _stored(app) == 0  # it checked its batch, but wrote nothing
    finally:
        os.close(holder)
    assert _statuses(proc) == ["accepted"] * 50
    assert _stored(app) == 50


def test_a_killed_writer_hands_the_lock_on(app: Flask, database_url: str, tmp_path: Path) -> None:
    stuck = _worker(tmp_path, database_url, 20, "hold")
    _start(stuck)
    assert stuck.stdout.readline().strip() == "writing"  # type: ignore[union-attr]
    follower = _worker(tmp_path, database_url, 30, "plain")
    _start(follower)
    for _ in range(600):
        if _waits_for_flock(follower.pid):
            break
        time.sleep(0.05)
    assert _waits_for_flock(follower.pid)
    os.kill(stuck.pid, signal.SIGKILL)
    stuck.communicate(timeout=30)
    assert _statuses(follower) == ["accepted"] * 30
    assert _stored(app) == 30  # the killed one's uncommitted rows are gone


def test_a_failing_ingest_rolls_back_and_frees_the_lock(app: Flask, tmp_path: Path) -> None:
    def fail(session: object, rows: object) -> None:
        raise RuntimeError("hook failed")

    with app.app_context():
        with pytest.raises(RuntimeError):
            ingest_batch(db.session, [make_response()], now=utcnow(), hooks=[fail])
        probe = os.open(_lock_file(tmp_path), os.O_RDWR)
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if still held
        finally:
            os.close(probe)
        assert not db.session().in_transaction()
        outcomes = ingest_batch(db.session, [make_response()], now=utcnow())
    assert [o.status for o in outcomes] == ["accepted"]
    assert _stored(app) == 1
