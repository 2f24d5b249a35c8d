"""Measure sync: end-to-end push rate, the server's ingest rate, and a raw insert baseline.

Prints one table, all from the same run:

1. end to end: ``sync_store`` pushing a collector store of N realistic doorstep responses
   (TinyDB on disk) to the server under real waitress on loopback (SQLite), then pulling —
   at the sync engine's default batch (``--batch``) and at the protocol's most per push
   (``--max-batch``), each from its own copy of the same filled store;
2. ingest: ``server.ingest.ingest_batch`` called directly with batches of 500 (validation,
   content hashes, insert-on-conflict, merge hooks, commit per batch) on a fresh SQLite file;
3. baseline: a raw SQLAlchemy Core ``INSERT`` of the very rows ingest stores, batches of 500,
   commit per batch, on another fresh SQLite file;

then the ingest/raw ratio and whether each target is met (≥ 5,000 responses/s end to end;
ingest within 10x of the raw insert).

    .venv/bin/python bench/sync.py [--responses 10000] [--batch 200] [--max-batch 1000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from sqlalchemy import insert  # noqa: E402
from validate import build  # noqa: E402  (bench/validate.py: realistic doorstep responses)
from waitress.server import create_server  # noqa: E402

from collector.demo import demo_areas  # noqa: E402
from collector.store import InvalidResponse, ResponseStore  # noqa: E402
from server import create_app  # noqa: E402
from server.db import db  # noqa: E402
from server.deployment import init_deployment  # noqa: E402
from server.enrollment import create_code  # noqa: E402
from server.ingest import ingest_batch  # noqa: E402
from server.models import Response  # noqa: E402
from sync.client import SyncClient  # noqa: E402
from sync.engine import sync_store  # noqa: E402

INGEST_BATCH = 500
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


def end_to_end(folder: Path, filled: Path, n: int, batch: int) -> float:
    """Sync a copy of the filled collector store to a fresh live server; return the seconds."""
    app = server_app(folder / "server")
    with app.app_context():
        code, _ = create_code(db.session, now=datetime.now(UTC), ttl_seconds=600)
        db.session.commit()
    server = create_server(app, host="127.0.0.1", port=0, threads=8)
    port = server.socket.getsockname()[1]  # type: ignore[union-attr]
    threading.Thread(target=server.run, daemon=True).start()
    shutil.copytree(filled, folder / "collector")
    with ResponseStore(folder / "collector") as store:
        with SyncClient(f"http://127.0.0.1:{port}") as client:
            client.enroll(code, "bench")
            started = time.perf_counter()
            summary = sync_store(store, client, max_count=batch)
            seconds = time.perf_counter() - started
    server.close()
    assert summary.accepted == n, summary
    return seconds


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
    args = parser.parse_args()
    n = args.responses
    docs = responses(n, args.seed)
    with tempfile.TemporaryDirectory(prefix="doorstep-bench-sync-") as tmp:
        folder = Path(tmp)
        valid, fill_s = fill(folder / "filled", docs, n)
        e2e = {
            b: end_to_end(folder / f"e2e-{b}", folder / "filled", n, b)
            for b in {args.batch, args.max_batch}
        }
        ingest_s, rows = ingest(folder, valid)
        raw_s = raw_insert(folder, rows)
    ratio = ingest_s / raw_s
    best = n / min(e2e.values())
    table = [
        (f"end to end: sync_store, push {b}/batch + pull", seconds)
        for b, seconds in sorted(e2e.items())
    ]
    table += [
        (f"server ingest_batch, batches of {INGEST_BATCH}", ingest_s),
        (f"baseline: raw Core INSERT, batches of {INGEST_BATCH}", raw_s),
    ]
    print(f"sync benchmark: {n} responses, SQLite, waitress on loopback, Python {sys.version[:4]}")
    print(f"(collector store filled once in {fill_s:.1f} s, not counted)")
    print()
    print(f"| {'measure':<48} | {'seconds':>8} | {'responses/s':>11} |")
    print(f"| {'-' * 48} | {'-' * 7}: | {'-' * 10}: |")
    for name, seconds in table:
        print(f"| {name:<48} | {seconds:>8.2f} | {n / seconds:>11,.0f} |")
    print()
    print(f"ingest / raw insert time: {ratio:.1f}x")
    print(f"target end to end >= 5,000 responses/s: {'met' if best >= 5000 else 'MISSED'}")
    print(f"target ingest within 10x of raw insert: {'met' if ratio <= 10 else 'MISSED'}")


if __name__ == "__main__":
    main()
