"""`doorstep server serve --workers N` as a real process: pushes, 413s, SIGTERM exits 0."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from sync.client import SyncClient

from .test_load_small import bench

BODY_LIMIT = 200_000


def _children(pid: int, want: int) -> int:
    """Return how many children a process has once it has ``want`` (or after 10 s)."""
    for _ in range(100):
        found = len(Path(f"/proc/{pid}/task/{pid}/children").read_text().split())
        if found >= want:
            return found
        time.sleep(0.1)
    return found


def _push_twice_and_pull(base: str, code: str, index: int) -> dict[str, Any]:
    """Enroll a device, push its responses, push them again, pull; return what it saw."""
    items = bench.device_responses(index, 40)
    with SyncClient(base, retry=bench.ONE_TRY) as client:
        client.enroll(code, f"device-{index}")
        first = [r["status"] for r in client.push(items)]
        again = [r["status"] for r in client.push(items)]
        page = client.pull()
        return {"first": first, "again": again, "page": page, "token": client.token}


def _start(env: dict[str, str], port: int, *options: str) -> subprocess.Popen[bytes]:
    """Start ``doorstep server serve`` on ``port``; its output goes to one pipe."""
    argv = [*bench.DOORSTEP, "server", "serve", "--port", str(port), *options]
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _stop(proc: subprocess.Popen[bytes]) -> tuple[float, str]:
    """SIGTERM the server; return how long it took to exit and what it printed."""
    proc.send_signal(signal.SIGTERM)
    started = time.monotonic()
    output = proc.communicate(timeout=30)[0].decode()
    return time.monotonic() - started, output


@pytest.mark.parametrize("threads", ["1", "2"], ids=["sync", "gthread"])
def test_gunicorn_workers_store_pushes_once_refuse_big_bodies_and_stop_on_sigterm(
    database_url: str, tmp_path: Path, free_port: int, threads: str
) -> None:
    # one thread: gunicorn's sync workers (one request per connection); more: gthread
    workers = 2
    instance = tmp_path / "instance"
    codes = bench.prepare(database_url, instance, 3, migrate=False, data="spread")  # no group
    env = {
        **os.environ,
        "DOORSTEP_DATABASE_URL": database_url,
        "DOORSTEP_INSTANCE": str(instance),
        "DOORSTEP_MAX_BODY_BYTES": str(BODY_LIMIT),
    }
    proc = _start(env, free_port, "--workers", str(workers), "--threads", threads)
    base = f"http://127.0.0.1:{free_port}"
    try:
        bench.wait_until_up(base, proc)
        assert _children(proc.pid, workers) == workers  # one process per worker
        with ThreadPoolExecutor(3) as pool:
            seen = list(pool.map(_push_twice_and_pull, [base] * 3, codes, range(3)))
        token = seen[0]["token"]
        url = f"{base}/api/v1/sync/push"
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        big = b'{"responses": ["' + b"x" * BODY_LIMIT + b'"]}'
        with requests.Session() as session:  # one keep-alive connection where it can be
            sized = session.post(url, data=big, headers=headers, timeout=30)
            chunked = session.post(url, data=iter([big[:1000], big[1000:]]), headers=headers)
            after = session.post(url, json={"responses": []}, headers=headers, timeout=30)
    finally:
        stopped_in, output = _stop(proc)
    for device in seen:
        assert device["first"] == ["accepted"] * 40
        assert device["again"] == ["duplicate"] * 40
        assert {a["code"] for a in device["page"]["areas"]} >= {"abbey", "elm-park"}
    for refused in (sized, chunked):
        assert refused.status_code == 413
        assert refused.json()["error"]["code"] == "payload_too_large"
    assert chunked.request.headers.get("Transfer-Encoding") == "chunked"
    assert after.status_code == 200  # the refused bodies left no connection half-read
    assert proc.returncode == 0, output
    assert stopped_in < 15, output
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(DISTINCT id) FROM responses")) == 120
        assert conn.scalar(sa.text("SELECT count(*) FROM responses")) == 120
    engine.dispose()


def test_waitress_serve_exits_0_on_sigterm(tmp_path: Path, free_port: int) -> None:
    env = {
        **os.environ,
        "DOORSTEP_DATABASE_URL": f"sqlite:///{tmp_path / 'doorstep.db'}",
        "DOORSTEP_INSTANCE": str(tmp_path / "instance"),
    }
    proc = _start(env, free_port, "--workers", "1")
    try:
        bench.wait_until_up(f"http://127.0.0.1:{free_port}", proc)
        assert _children(proc.pid, 0) == 0  # threads only, in the one process
    finally:
        stopped_in, output = _stop(proc)
    assert proc.returncode == 0, output
    assert stopped_in < 15, output
    assert "(waitress;" in output
