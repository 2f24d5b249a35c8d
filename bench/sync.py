"""Measure sync: end-to-end push rate, the server's ingest rate, and a raw insert baseline.

Prints one table, all from the same run:

1. end to end: ``sync_store`` pushing a collector store of N realistic doorstep responses
   (TinyDB on disk) to a server on loopback, then pulling. The server runs as it does in
   life: ``doorstep server serve --workers N`` in its own process(es) (``--workers``, default
   2: gunicorn's processes; 1: waitress) on a fresh SQLite file made by ``doorstep server
   init --demo``, so collector and server each have their own interpreter. Timed at the sync
   engine's default batch (``--batch``) and at the protocol's most per push
   (``--max-batch``), each from its own copy of the same filled store, each against its own
   fresh server; the default shape also with the other number of server processes (1 if
   ``--workers`` is not 1, else 2), for a same-run comparison;
2. ingest: ``server.intake.ingest.ingest_batch`` called directly with batches of 500 (validation,
   content hashes, insert-on-conflict, merge hooks, commit per batch) on a fresh SQLite file;
3. baseline: a raw SQLAlchemy Core ``INSERT`` of the very rows ingest stores, batches of 500,
   commit per batch, on another fresh SQLite file;

then the ingest/raw ratio and whether each target is met (≥ 5,000 responses/s end to end;
ingest within 10x of the raw insert).

    .venv/bin/python bench/sync.py [--responses 10000] [--batch 200] [--max-batch 1000]
        [--in-flight 2] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from sqlalchemy import insert  # noqa: E402
from validate import build  # noqa: E402  (bench/validate.py: realistic doorstep responses)

from collector.demo import demo_areas  # noqa: E402
from collector.store import InvalidResponse, ResponseStore  # noqa: E402
from server import create_app  # noqa: E402
from server.catalogue.deployment import init_deployment  # noqa: E402
from server.db import db  # noqa: E402
from server.intake.ingest import ingest_batch  # noqa: E402
from server.models import Response  # noqa: E402
from sync.client import SyncClient  # noqa: E402
from sync.engine import IN_FLIGHT, sync_store  # noqa: E402

INGEST_BATCH = 500
# Two server processes (gunicorn; SQLite writes in turn through the file lock in
# server/ingest.py): the faster of the two in the closing same-run pairs on this 2-core
# machine (5,490 and 5,153/s against 3,642 and 4,758/s), though a toss-up while other work
# kept both cores busy (docs/performance.md). The default shape is also timed with the other
# count, so each run shows the comparison.
WORKERS = 2
DOORSTEP = Path(sys.executable).with_name("doorstep")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def responses(count: int, seed: int) -> list[dict[str, Any]]:
    """Return ``count`` realistic doorstep responses placed in the demo areas."""
    codes = [a["code"] for a in demo_areas()]
    out: list[dict[str, Any]] = []
    for i, doc in enumerate(build(count * 2, seed)[0]):
        item = json.loads(doc)
        item["area"] = codes[i % len(codes)]
        out.append(item)
    return out


def server_app(folder: Path) -> Any:
    """Return a server app on a fresh SQLite file with the bundled surveys and demo areas."""
    app = create_app(
        {
            "INSTANCE_PATH": str(folder),
            "DATABASE_URL": f"sqlite:///{folder / 'doorstep.db'}",
            "SECRET_KEY": "bench",
        }
    )
    with app.app_context():
        db.create_all()
        init_deployment(db.session, demo=True)
        db.session.commit()
    return app


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def fill(folder: Path, docs: list[dict[str, Any]], n: int) -> tuple[list[dict[str, Any]], float]:
    """Save the first ``n`` valid docs in a collector store at ``folder``; return them and time."""
    valid: list[dict[str, Any]] = []
    started = time.perf_counter()
    with ResponseStore(folder) as store:
        for doc in docs:
            if len(valid) == n:
                break
            try:
                store.save_response(doc)
            except InvalidResponse:
                continue
            valid.append(doc)
    return valid, time.perf_counter() - started


def doorstep(instance: Path, *args: str) -> str:
    """Run one ``doorstep server`` command on the instance folder; return what it printed."""
    return subprocess.run(
        [*server_command(instance), *args], check=True, capture_output=True, text=True
    ).stdout


def server_command(instance: Path) -> list[str]:
    """Return ``doorstep server`` on the instance folder and its own SQLite file."""
    database = f"sqlite:///{instance / 'doorstep.db'}"
    return [str(DOORSTEP), "server", "--instance", str(instance), "--database-url", database]


def free_port() -> int:
    """Return a loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """Return the CPU time (user + system) a process and its children used so far (/proc)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a process that just ended
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


@contextmanager
def live_server(instance: Path, workers: int = 1) -> Iterator[tuple[str, int]]:
    """Run ``doorstep server serve`` in its own process; yield its URL and pid, then stop it."""
    port = free_port()
    log = open(instance / "serve.log", "wb")  # noqa: SIM115  (closed below)
    proc = subprocess.Popen(
        [
            *server_command(instance),
            *("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        with SyncClient(url) as probe:
            for _ in range(300):
                if proc.poll() is not None:
                    raise RuntimeError(f"the server exited: {(instance / 'serve.log').read_text()}")
                try:
                    probe.session.get(url + "/api/v1/health", timeout=1).raise_for_status()
                    break
                except OSError:
                    time.sleep(0.05)
        yield url, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


@dataclass(frozen=True)
class Run:
    """One end-to-end sync: wall-clock seconds and the CPU seconds each side used."""

    seconds: float
    collector_cpu: float
    server_cpu: float


def end_to_end(
    folder: Path, filled: Path, n: int, batch: int, in_flight: int, workers: int = 1
) -> Run:
    """Sync a copy of the filled collector store to a fresh server process; time it."""
    instance = folder / "server"
    instance.mkdir(parents=True)
    doorstep(instance, "init", "--demo")
    code = json.loads(doorstep(instance, "enroll-code", "--json"))["code"]
    shutil.copytree(filled, folder / "collector")
    with live_server(instance, workers) as (url, pid), ResponseStore(folder / "collector") as store:
        with SyncClient(url) as client:
            client.enroll(code, "bench")
            server_cpu = cpu_seconds(pid)
            collector_cpu = time.process_time()
            started = time.perf_counter()
            summary = sync_store(store, client, max_count=batch, in_flight=in_flight)
            seconds = time.perf_counter() - started
            run = Run(
                seconds,
                time.process_time() - collector_cpu,
                cpu_seconds(pid) - server_cpu,
            )
    assert summary.accepted == n, summary
    return run


def ingest(folder: Path, docs: list[dict[str, Any]]) -> tuple[float, list[dict[str, Any]]]:
    """Time ``ingest_batch`` over the docs in batches of 500; return seconds and stored rows."""
    app = server_app(folder / "ingest")
    with app.app_context():
        started = time.perf_counter()
        for part in chunks(docs, INGEST_BATCH):
            outcomes = ingest_batch(db.session, part, now=NOW, device_id="bench")
            assert all(o.status == "accepted" for o in outcomes)
        seconds = time.perf_counter() - started
        rows = [
            {c.name: getattr(r, c.name) for c in Response.__table__.columns}
            for r in db.session.scalars(db.select(Response))
        ]
    return seconds, rows


def raw_insert(folder: Path, rows: list[dict[str, Any]]) -> float:
    """Time a plain Core INSERT of the same rows in batches of 500, committing each."""
    app = server_app(folder / "raw")
    with app.app_context():
        started = time.perf_counter()
        with db.engine.connect() as conn:
            for part in chunks(rows, INGEST_BATCH):
                conn.execute(insert(Response.__table__), part)
                conn.commit()
        return time.perf_counter() - started


def main() -> None:
    """Run the measurements and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--responses", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=200, help="responses per push")
    parser.add_argument("--max-batch", type=int, default=1000, help="the protocol's most")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--in-flight", type=int, default=IN_FLIGHT, help="pushes under way")
    parser.add_argument(
        "--workers", type=int, default=WORKERS, help="server processes (serve's) for every row"
    )
    args = parser.parse_args()
    n = args.responses
    docs = responses(n, args.seed)
    # (batch, pushes under way): the default, one push at a time (the same-run reference
    # for the pipelining), and the protocol's most per push
    # and the default shape once more with the other number of server processes
    other = 1 if args.workers != 1 else 2
    shapes = sorted(
        {(args.batch, args.in_flight, w) for w in (args.workers, other)}
        | {(args.batch, 1, args.workers), (args.max_batch, 1, args.workers)},
        key=lambda s: (s[0], s[1], s[2] != args.workers),
    )
    with tempfile.TemporaryDirectory(prefix="doorstep-bench-sync-") as tmp:
        folder = Path(tmp)
        valid, fill_s = fill(folder / "filled", docs, n)
        e2e = {
            (b, k, w): end_to_end(folder / f"e2e-{b}-{k}-{w}", folder / "filled", n, b, k, w)
            for b, k, w in shapes
        }
        ingest_s, rows = ingest(folder, valid)
        raw_s = raw_insert(folder, rows)
    ratio = ingest_s / raw_s
    best = n / min(r.seconds for (b, _, _), r in e2e.items() if b <= args.batch)
    print(
        f"sync benchmark: {n} responses, SQLite, `doorstep server serve --workers N` on loopback"
        f" (N=1: waitress; more: gunicorn processes), Python {sys.version[:4]},"
        f" {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start"
    )
    print(f"(collector store filled once in {fill_s:.1f} s, not counted)")
    print()
    head = ("measure", "seconds", "responses/s", "collector CPU µs/resp", "server CPU µs/resp")
    print(f"| {head[0]:<60} | {head[1]:>7} | {head[2]:>11} | {head[3]} | {head[4]} |")
    print(f"| {'-' * 60} | {'-' * 6}: | {'-' * 10}: | {'-' * 20}: | {'-' * 17}: |")
    for (b, k, w), r in e2e.items():
        name = f"end to end: {w} server proc, push {b}/batch, {k} under way, + pull"
        cpu = f"{r.collector_cpu / n * 1e6:>21,.0f} | {r.server_cpu / n * 1e6:>18,.0f}"
        print(f"| {name:<60} | {r.seconds:>7.2f} | {n / r.seconds:>11,.0f} | {cpu} |")
    for name, seconds in (
        (f"server ingest_batch, batches of {INGEST_BATCH}", ingest_s),
        (f"baseline: raw Core INSERT, batches of {INGEST_BATCH}", raw_s),
    ):
        print(f"| {name:<60} | {seconds:>7.2f} | {n / seconds:>11,.0f} | {'':>21} | {'':>18} |")
    print()
    print(f"ingest / raw insert time: {ratio:.1f}x")
    met = "met" if best >= 5000 else "MISSED"
    print(f"target end to end >= 5,000 responses/s at <= {args.batch} per push: {met}")
    print(f"target ingest within 10x of raw insert: {'met' if ratio <= 10 else 'MISSED'}")


if __name__ == "__main__":
    main()
