"""Crash loop of the server: SIGKILL ``doorstep server serve`` mid-push while a client retries.

Shared by the test suite (a few kills) and ``bench/reliability.py`` (the issue's 100 kills).
A real server process (SQLite file or PostgreSQL) is killed at random moments and started
again on the same port while ``sync_store`` pushes a collector's outbox through a patient
:class:`SyncClient`; afterwards the database must hold each of the collector's responses
exactly once, with the content the collector holds, and the collector must call all synced.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

from collector.store import ResponseStore
from sync.client import RetryPolicy, SyncClient
from sync.engine import SyncSummary, sync_store
from sync.errors import SyncError
from sync.wire import content_hash

from .collector_loops import DOORSTEP, ROOT, TEST_SURVEY, new_collector, response_for

PUSH_PATH = "/api/v1/sync/push"
# Real sleeps: the client must outlast a restart (connection refused for a second or so).
PATIENT = RetryPolicy(attempts=80, base=0.05, cap=0.5)
# A kill lands up to this long after the progress mark that triggers it, so it hits any
# point of a push: reading the body, checking, committing, or sending the reply.
MAX_JITTER = 0.05


class ServerProcess:
    """``doorstep server serve`` as a child process that may be killed and started again."""

    def __init__(self, env: dict[str, str], port: int) -> None:
        self.env = env
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def run(self, *args: str) -> str:
        """Run a ``doorstep server`` command to completion; return its output."""
        done = subprocess.run(
            [*DOORSTEP, "server", *args], env=self.env, capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            raise RuntimeError(f"doorstep server {args[0]} failed: {done.stderr}")
        return done.stdout

    def start(self) -> None:
        """Start serving on the fixed port."""
        self.proc = subprocess.Popen(
            [*DOORSTEP, "server", "serve", "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        """Wait until the health check answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(self.url + "/api/v1/health", timeout=1).ok:
                    return
            time.sleep(0.05)
        raise RuntimeError("the server did not start")

    def kill(self) -> None:
        """SIGKILL the server and reap it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)
            self.kills += 1


def free_port() -> int:
    """Return a TCP port free on loopback right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def database(kind: str, workdir: Path) -> Iterator[str]:
    """Yield an empty database URL: a SQLite file, or a private schema on the test PostgreSQL."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'server.db'}"
        return
    base = os.environ.get(
        "DOORSTEP_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    schema = f"rel_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        sep = "&" if "?" in base else "?"
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


class CountingSession(requests.Session):
    """A requests session that counts push attempts, their replies, and pushes in flight."""

    def __init__(self) -> None:
        super().__init__()
        self.attempted = 0
        self.answered = 0
        self.in_flight = 0
        self._lock = threading.Lock()

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kw: Any) -> Any:
        """Send as usual, counting it when it is a push."""
        if not str(url).endswith(PUSH_PATH):
            return super().request(method, url, *args, **kw)
        with self._lock:
            self.attempted += 1
            self.in_flight += 1
        try:
            reply = super().request(method, url, *args, **kw)
        finally:
            with self._lock:
                self.in_flight -= 1
        if reply.ok:
            with self._lock:
                self.answered += 1
        return reply


@dataclass
class ServerKillReport:
    """What the server crash loop did and what the database held afterwards."""

    kills: int = 0
    kills_mid_push: int = 0  # a push request was in flight when the kill landed
    pushes_attempted: int = 0
    pushes_acked: int = 0  # push requests that got a 200 reply
    accepted: int = 0
    duplicates: int = 0  # responses the server reported as already held (a retry)
    gave_up: int = 0  # sync runs that ran out of retries and were started again
    collector: int = 0
    server_rows: int = 0
    distinct_ids: int = 0
    lost: int = 0  # held by the collector, not by the server
    extra: int = 0  # held by the server, not by the collector
    changed: int = 0  # held by both with different content
    conflicts: int = 0  # rows the server flagged as conflicting copies
    unsynced_left: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    def add(self, summary: SyncSummary | None) -> None:
        """Add the outcomes of one sync run."""
        if summary is not None:
            self.accepted += summary.accepted
            self.duplicates += summary.duplicate


def _killer(
    server: ServerProcess,
    store: ResponseStore,
    session: CountingSession,
    marks: list[int],
    done: threading.Event,
    rng: random.Random,
    report: ServerKillReport,
) -> None:
    """Kill the server once the collector's synced count passes each mark, then restart it."""
    try:
        for mark in marks:
            since = _synced(store)
            # Past the mark, and at least one batch synced since the last restart.
            while not done.is_set() and (_synced(store) < mark or _synced(store) == since):
                time.sleep(0.005)
            if done.is_set():
                return
            time.sleep(rng.uniform(0.0, MAX_JITTER))
            report.kills_mid_push += session.in_flight > 0
            server.kill()
            report.kills = server.kills
            server.start()
            server.wait_ready()
    except Exception as exc:  # reported, never silently lost with the thread
        report.failures.append(f"killer: {exc!r}")


def _synced(store: ResponseStore) -> int:
    status = store.status()
    return int(status["stored"] - status["unsynced"])


def _check_database(url: str, store: ResponseStore, report: ServerKillReport) -> None:
    """Compare the server's rows with the collector's responses."""
    ours = {r["id"]: content_hash(r) for r in store.iter_responses()}
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT id, content_hash FROM responses")).all()
            report.conflicts = int(
                conn.execute(sa.text("SELECT count(*) FROM response_conflicts")).scalar_one()
            )
    finally:
        engine.dispose()
    theirs = {str(r[0]): r[1] for r in rows}
    report.collector = len(ours)
    report.server_rows = len(rows)
    report.distinct_ids = len(theirs)
    report.lost = len(ours.keys() - theirs.keys())
    report.extra = len(theirs.keys() - ours.keys())
    report.changed = sum(1 for k in ours.keys() & theirs.keys() if ours[k] != theirs[k])
    report.unsynced_left = int(store.status()["unsynced"])


def prepare_server(url: str, instance: str) -> str:
    """Do what ``doorstep server init --demo``, ``add-survey`` and ``enroll-code`` do, in-process.

    Three CLI processes would cost seconds of imports; return the enrollment code.
    """
    from flask_migrate import upgrade

    from server import create_app
    from server.accounts.devices import create_code
    from server.catalogue.deployment import init_deployment
    from server.catalogue.surveys import add_survey
    from server.db import db

    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": instance, "SECRET_KEY": "reliability"})
    with app.app_context():
        try:
            upgrade()
            init_deployment(db.session, areas_csv=None, demo=True)
            add_survey(db.session, dict(TEST_SURVEY))
            code, _ = create_code(db.session, now=datetime.now(UTC), ttl_seconds=3600)
            db.session.commit()
        finally:
            db.session.remove()
            db.engine.dispose()
    return code


def server_kill_loop(
    workdir: Path, db: str, kills: int, responses: int, batch: int = 10, seed: int = 13
) -> ServerKillReport:
    """Push ``responses`` through a server killed ``kills`` times; check exactly-once after."""
    rng = random.Random(seed)
    report = ServerKillReport()
    started = time.perf_counter()
    with database(db, workdir) as url:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DOORSTEP_DATABASE_URL": url,
            "DOORSTEP_INSTANCE": str(workdir / "instance"),
            "DOORSTEP_SECRET_KEY": "reliability",
        }
        server = ServerProcess(env, free_port())
        code = prepare_server(url, env["DOORSTEP_INSTANCE"])
        new_collector(workdir / "collector")
        with ResponseStore(workdir / "collector") as store:
            for _ in range(responses):
                store.save_response(response_for(str(uuid.uuid4())))
            server.start()
            try:
                server.wait_ready()
                _sync_through_kills(server, store, code, kills, batch, rng, report)
            finally:
                server.kill()
            _check_database(url, store, report)
    report.seconds = time.perf_counter() - started
    return report


def _sync_through_kills(
    server: ServerProcess,
    store: ResponseStore,
    code: str,
    kills: int,
    batch: int,
    rng: random.Random,
    report: ServerKillReport,
) -> None:
    """Sync until the outbox is empty while a killer thread kills and restarts the server."""
    total = int(store.status()["unsynced"])
    # One kill mark at random in each of ``kills`` equal slices of the first 90% of the outbox,
    # so the kills spread over the whole sync and each has batches to cut into.
    step = total * 0.9 / max(kills, 1)
    marks = [int((n + rng.random()) * step) for n in range(kills)]
    done = threading.Event()
    session = CountingSession()
    with SyncClient(server.url, retry=PATIENT, timeouts=(2.0, 10.0), session=session) as client:
        client.enroll(code, "crash loop")
        killer = threading.Thread(
            target=_killer, args=(server, store, session, marks, done, rng, report)
        )
        killer.start()
        try:
            while True:
                try:
                    report.add(sync_store(store, client, max_count=batch))
                except SyncError as exc:  # out of retries: the collector syncs again later
                    report.add(getattr(exc, "summary", None))
                    report.gave_up += 1
                    if report.gave_up > kills + 10:  # the server is gone for good: stop
                        report.failures.append(f"sync gave up {report.gave_up} times: {exc}")
                        break
                    continue
                if store.status()["unsynced"] == 0:
                    break
        finally:
            done.set()
            killer.join(timeout=120)
    report.pushes_attempted = session.attempted
    report.pushes_acked = session.answered
