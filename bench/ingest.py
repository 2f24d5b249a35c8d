"""Server ingest in process: ``ingest_batch`` on SQLite (one process) and PostgreSQL (1 and 2).

Realistic doorstep responses (bench/validate.py's generator, in the demo areas, only valid
ones) go through ``server.intake.ingest.ingest_batch`` in batches of ``--batch`` (default 200),
a commit per batch (validation, content hashes, insert-on-conflict, contact details, the
aggregates, device counters), each run on a fresh database:

1. SQLite, one process (a fresh file, WAL, ``synchronous=FULL`` as the server runs it);
2. the same-run baseline: a plain SQLAlchemy Core ``INSERT`` of the rows ingest stored, same
   batches, a commit each, on another fresh SQLite file;
3. PostgreSQL, one process ingesting every response, then two processes each ingesting half
   (as two server processes serving two devices), started together (``--pg-url``; a database
   ``doorstep_bench_ingest`` is created and dropped; skipped with ``--no-postgres``).

Prints responses/s (wall clock) and CPU µs per response of the ingesting process(es), the
ratios (ingest ÷ raw insert time; two processes ÷ one), the load average before and after,
and checks every run stored each response exactly once (exits 1 if not).

    .venv/bin/python bench/ingest.py [--responses 10000] [--batch 200] [--no-postgres]
        [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import sqlalchemy as sa  # noqa: E402
from load import fresh_postgres  # noqa: E402  (bench/load.py)
from validate import build  # noqa: E402  (bench/validate.py: realistic doorstep responses)

from collector.demo import demo_areas  # noqa: E402
from survey_schemas import bundled_registry, check_response  # noqa: E402

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_DATABASE = "doorstep_bench_ingest"


def valid_responses(count: int, seed: int = 4) -> list[dict[str, Any]]:
    """Return ``count`` valid realistic responses spread over the demo areas."""
    codes = [a["code"] for a in demo_areas()]
    registry = bundled_registry()
    out: list[dict[str, Any]] = []
    for i, doc in enumerate(build(count + count // 4 + 20, seed)[0]):
        item = json.loads(doc)
        item["area"] = codes[i % len(codes)]
        if not check_response(item, registry.find, allowed_areas=codes)[1]:
            out.append(item)
        if len(out) == count:
            return out
    raise RuntimeError(f"only {len(out)} valid responses made")


def load_average() -> str:
    """Return the 1, 5 and 15 minute load averages."""
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def make_app(url: str, folder: Path) -> Any:
    """Return a server app on ``url`` with the tables, bundled surveys and demo areas."""
    from server import create_app
    from server.catalogue.deployment import init_deployment
    from server.db import db

    app = create_app({"INSTANCE_PATH": str(folder), "DATABASE_URL": url, "SECRET_KEY": "bench"})
    with app.app_context():
        db.create_all()
        init_deployment(db.session, demo=True)
        db.session.commit()
    return app


def ingest_all(url: str, folder: Path, docs: Sequence[dict[str, Any]], batch: int,
               barrier: Any = None) -> tuple[float, float, int]:  # fmt: skip
    """Ingest ``docs`` in batches on ``url``; return wall seconds, CPU seconds, accepted."""
    from server import create_app
    from server.db import db
    from server.intake.ingest import ingest_batch

    app = create_app({"INSTANCE_PATH": str(folder), "DATABASE_URL": url, "SECRET_KEY": "bench"})
    accepted = 0
    with app.app_context():
        db.session.execute(sa.select(1))  # connect before the clock starts
        db.session.commit()
        if barrier is not None:
            barrier.wait()
        started, cpu = time.perf_counter(), time.process_time()
        for start in range(0, len(docs), batch):
            outcomes = ingest_batch(db.session, docs[start : start + batch], now=NOW,
                                    device_id="bench")  # fmt: skip
            accepted += sum(o.status == "accepted" for o in outcomes)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        db.session.remove()
        db.engine.dispose()
    return seconds, cpu, accepted


def _worker(url: str, folder: str, docs: list[dict[str, Any]], batch: int, barrier: Any,
            queue: Any) -> None:  # fmt: skip
    queue.put(ingest_all(url, Path(folder), docs, batch, barrier))


def in_processes(url: str, folder: Path, parts: Sequence[list[dict[str, Any]]], batch: int):
    """Ingest each part in its own process, all started together; return wall, CPU, accepted."""
    ctx = mp.get_context("spawn")
    barrier, queue = ctx.Barrier(len(parts) + 1), ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(url, str(folder), part, batch, barrier, queue))
        for part in parts
    ]
    for proc in procs:
        proc.start()
    barrier.wait()
    started = time.perf_counter()
    got = [queue.get() for _ in procs]
    seconds = time.perf_counter() - started
    for proc in procs:
        proc.join()
    return seconds, sum(g[1] for g in got), sum(g[2] for g in got)


def stored_rows(url: str) -> list[dict[str, Any]]:
    """Return the stored responses as insertable rows."""
    engine = sa.create_engine(url)
    from server.models import Response

    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.select(Response.__table__))]
    engine.dispose()
    return rows


def count(url: str) -> tuple[int, int]:
    """Return the stored responses and distinct ids."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        got = conn.execute(sa.text("SELECT count(*), count(DISTINCT id) FROM responses")).one()
    engine.dispose()
    return int(got[0]), int(got[1])


def raw_insert(url: str, folder: Path, rows: list[dict[str, Any]], batch: int) -> float:
    """Time a plain Core INSERT of ``rows`` in batches, committing each; return seconds."""
    from server.models import Response

    make_app(url, folder)
    engine = sa.create_engine(url)
    from server.db import configure_engine

    configure_engine(engine)
    with engine.connect() as conn:
        started = time.perf_counter()
        for start in range(0, len(rows), batch):
            conn.execute(sa.insert(Response.__table__), rows[start : start + batch])
            conn.commit()
        seconds = time.perf_counter() - started
    engine.dispose()
    return seconds


def main() -> None:
    """Run each shape and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--responses", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--pg-url", default=os.environ.get("DOORSTEP_BENCH_PG_URL", PG_URL))
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    n, batch = args.responses, args.batch
    docs = valid_responses(n)
    load_before = load_average()
    rows: list[tuple[str, float, float, int, int, int]] = []  # name, s, cpu, accepted, stored
    problems: list[str] = []

    def record(name: str, url: str, seconds: float, cpu: float, accepted: int) -> None:
        stored, distinct = count(url)
        rows.append((name, seconds, cpu, accepted, stored, distinct))
        if not accepted == stored == distinct == n:
            problems.append(f"{name}: accepted {accepted}, stored {stored}, distinct {distinct}")

    with tempfile.TemporaryDirectory(prefix="doorstep-bench-ingest-") as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'ingest.db'}"
        make_app(url, folder)
        record("SQLite, 1 process", url, *ingest_all(url, folder, docs, batch))
        raw_url = f"sqlite:///{folder / 'raw.db'}"
        raw = raw_insert(raw_url, folder, stored_rows(url), batch)
        rows.append(("baseline: raw Core INSERT, SQLite", raw, float("nan"), n, n, n))
        if not args.no_postgres:
            for procs in (1, 2):
                with fresh_postgres(args.pg_url, PG_DATABASE) as pg:
                    make_app(pg, folder)
                    parts = [docs[i::procs] for i in range(procs)]
                    got = in_processes(pg, folder, parts, batch)
                    record(f"PostgreSQL, {procs} process{'es' if procs > 1 else ''}", pg, *got)
    load_after = load_average()
    print(
        f"ingest benchmark: {n:,} valid responses, batches of {batch}, in process "
        f"(ingest_batch, a commit per batch); {os.cpu_count()} CPUs, Python "
        f"{sys.version.split()[0]}; load average {load_before} before, {load_after} after"
    )
    print()
    print("| run | seconds | responses/s | CPU µs/response | stored (distinct) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, seconds, cpu, _, stored, distinct in rows:
        cpu_cell = f"{cpu / n * 1e6:,.0f}" if cpu == cpu else ""
        print(f"| {name} | {seconds:.2f} | {n / seconds:,.0f} | {cpu_cell} | "
              f"{stored:,} ({distinct:,}) |")  # fmt: skip
    by = {r[0]: r[1] for r in rows}
    print()
    print(f"SQLite ingest / raw insert time: {by['SQLite, 1 process'] / by[rows[1][0]]:.1f}x")
    if "PostgreSQL, 2 processes" in by:
        two = by["PostgreSQL, 1 process"] / by["PostgreSQL, 2 processes"]
        print(f"PostgreSQL 2 processes / 1 process throughput: {two:.2f}x (target >= 1.8x)")
    rate = n / by["SQLite, 1 process"]
    print(f"SQLite one process: {rate:,.0f}/s (target >= 10,000/s)")
    for problem in problems:
        print(f"EXACTLY ONCE BROKEN: {problem}")
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
