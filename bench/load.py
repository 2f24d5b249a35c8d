"""Load: many devices pushing (each batch twice) and pulling against a multi-worker server.

For each database (PostgreSQL, then SQLite, by default): a fresh database (PostgreSQL: a
database ``doorstep_load`` created and dropped on the server of ``--pg-url``; SQLite: a temp
file), ``doorstep server init --demo``, one enrollment code per device, then ``doorstep server
serve --workers W`` (gunicorn) as a subprocess. Each simulated device enrolls through the API,
pulls, then pushes its responses (realistic doorstep answers from bench/validate.py; with
``--data field``, the default, each device in its own area, oldest first as a collector sends
them, and enrolled to that area's group; with ``--data spread``, every device across all areas
in random order, enrolled without a group) in batches:
each batch is sent, then sent again as a retry would be (every item must come back
``duplicate``), then the device pulls from its cursor. Devices run as threads spread over a few
processes, with every push body encoded and gzip-compressed before the clock starts, so the load
generator takes as little of the machine as it can (its CPU time is printed).

Each database is run twice, each time fresh: first one device alone (the baseline: the same
server and work with no other device competing), then all of them. Prints one table, a row per
run, with the PostgreSQL/SQLite and all/one-device ratios: throughput (responses/s of first
sends), batch latency p50/p95/p99 (first sends and repeats apart), pull latency p50/p95,
errors; then the machine's CPU use while the devices pushed (anything else running counts
too). Checks each database holds exactly devices x per-device responses, each sent id once,
and exits 1 if not (or on any error).

    .venv/bin/python bench/load.py [--devices 50] [--per-device 1000] [--batch 200]
        [--workers cores+1] [--threads 1] [--db both|postgresql|sqlite] [--procs cores]
        [--data field|spread]
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from validate import build  # noqa: E402  (bench/validate.py: realistic doorstep responses)

from collector.demo import demo_areas  # noqa: E402
from survey_schemas import bundled_registry, check_response  # noqa: E402
from sync.client import RetryPolicy, SyncClient, prepare_push  # noqa: E402

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_DATABASE = "doorstep_load"
DOORSTEP = [sys.executable, "-c", "from server.cli import main; main()"]
# One try per request: a retry inside the client would hide the very errors we count.
ONE_TRY = RetryPolicy(attempts=1)


def device_responses(index: int, count: int, data: str = "field") -> list[dict[str, Any]]:
    """Return ``count`` valid, varied doorstep responses for device ``index`` (its own ids).

    ``field``: as a device gathers them, in one area (each device its own, in turn), pushed in
    the order they were collected (the collector's order). ``spread``: every device in every
    area, days in random order, so each batch touches many more aggregate rows.
    """
    registry = bundled_registry()
    codes = [a["code"] for a in demo_areas()]
    out: list[dict[str, Any]] = []
    size = count + count // 4 + 20  # bench/validate.py breaks about 1 in 10 on purpose
    for doc in build(size, seed=10_000 + index)[0]:
        item = json.loads(doc)
        item["area"] = codes[(index if data == "field" else len(out)) % len(codes)]
        if not check_response(item, registry.find, allowed_areas=codes)[1]:
            out.append(item)
        if len(out) == count:
            if data == "field":
                out.sort(key=lambda r: r["collected_at"])
            return out
    raise RuntimeError(f"only {len(out)} of {size} generated responses were valid")


@dataclass
class DeviceLog:
    """What one device saw: latencies in seconds, errors, and the ids it sent."""

    first: list[float] = field(default_factory=list)
    repeat: list[float] = field(default_factory=list)
    pulls: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0


def run_device(
    base: str, code: str, index: int, batches: Sequence[Sequence[dict[str, Any]]], barrier: Any
) -> DeviceLog:
    """Enroll, pull, wait for the others, then push every batch twice and pull after each."""
    log = DeviceLog()
    # Bodies as the client sends them (compact JSON, gzip), made before the clock starts: the
    # 50 devices are 50 machines in life, and their encoding is not the server's work.
    bodies = [
        prepare_push(b, [json.dumps(r, separators=(",", ":")).encode() for r in b]) for b in batches
    ]
    client = SyncClient(base, retry=ONE_TRY, timeouts=(10.0, 300.0))
    cursor = None
    try:
        client.enroll(code, f"load-{index}")
        cursor = client.pull()["cursor"]
    except Exception as error:  # counted, and this device sits the run out
        log.errors.append(f"device {index} enroll/pull: {error}")
    barrier.wait()
    log.started = time.monotonic()
    for batch, body in zip(batches if cursor is not None else [], bodies, strict=False):
        for want, times in (("accepted", log.first), ("duplicate", log.repeat)):
            t0 = time.perf_counter()
            try:
                results = client.push(batch, prepared=body)
            except Exception as error:
                log.errors.append(f"device {index} push ({want}): {error}")
                continue
            times.append(time.perf_counter() - t0)
            odd = [r for r in results if r["status"] != want]
            if odd:
                log.errors.append(f"device {index}: {len(odd)} not {want}, e.g. {odd[0]}")
            if want == "accepted":
                log.ids.extend(str(r["id"]) for r in results)
        t0 = time.perf_counter()
        try:
            cursor = client.pull(cursor)["cursor"]
            log.pulls.append(time.perf_counter() - t0)
        except Exception as error:
            log.errors.append(f"device {index} pull: {error}")
    log.ended = time.monotonic()
    client.close()
    return log


def run_group(
    base: str,
    jobs: Sequence[tuple[int, str]],
    per_device: int,
    batch: int,
    data: str,
    barrier: Any,
) -> tuple[list[DeviceLog], float]:
    """Run some devices as threads of this process; return their logs and this CPU time."""
    plans = []
    for index, code in jobs:
        items = device_responses(index, per_device, data)
        plans.append((index, code, [items[i : i + batch] for i in range(0, len(items), batch)]))
    logs: list[DeviceLog] = [DeviceLog() for _ in jobs]

    def one(slot: int, index: int, code: str, batches: list[list[dict[str, Any]]]) -> None:
        logs[slot] = run_device(base, code, index, batches, barrier)

    cpu = time.process_time()
    threads = [threading.Thread(target=one, args=(s, *plan)) for s, plan in enumerate(plans)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return logs, time.process_time() - cpu


def _group_process(base: str, jobs: list[tuple[int, str]], args: tuple[int, int, str],
                   barrier: Any, queue: Any) -> None:  # fmt: skip
    logs, cpu = run_group(base, jobs, *args, barrier)
    queue.put(([log.__dict__ for log in logs], cpu))


def cpu_ticks() -> tuple[int, int]:
    """Return this machine's busy and total CPU ticks so far (Linux /proc/stat)."""
    with open("/proc/stat", encoding="ascii") as fh:
        ticks = [int(v) for v in fh.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return sum(ticks) - idle, sum(ticks)


def drive(
    base: str, codes: Sequence[str], per_device: int, batch: int, data: str, procs: int
) -> tuple[list[DeviceLog], float, float]:
    """Run one device per code over ``procs`` processes (1: threads here).

    Return the device logs, the load generator's CPU seconds, and the share of the machine's
    CPU that was busy (with anything) while the devices pushed.
    """
    jobs = list(enumerate(codes))
    args = (per_device, batch, data)
    logs: list[DeviceLog] = []
    cpu = 0.0
    if procs <= 1:
        barrier: Any = threading.Barrier(len(jobs) + 1, timeout=600)
        out: list[tuple[list[DeviceLog], float]] = []
        group = threading.Thread(target=lambda: out.append(run_group(base, jobs, *args, barrier)))
        group.start()
        barrier.wait()
        busy0, total0 = cpu_ticks()
        group.join()
        (logs, cpu), *_ = out
    else:
        ctx = mp.get_context("spawn")
        barrier, queue = ctx.Barrier(len(jobs) + 1, timeout=600), ctx.Queue()
        workers = [
            ctx.Process(target=_group_process, args=(base, jobs[p::procs], args, barrier, queue))
            for p in range(procs)
        ]
        for worker in workers:
            worker.start()
        barrier.wait()
        busy0, total0 = cpu_ticks()
        for _ in workers:
            got, seconds = queue.get()
            logs.extend(DeviceLog(**g) for g in got)
            cpu += seconds
        for worker in workers:
            worker.join()
    busy1, total1 = cpu_ticks()
    return logs, cpu, (busy1 - busy0) / max(total1 - total0, 1)


@contextmanager
def fresh_postgres(url: str, name: str = PG_DATABASE) -> Iterator[str]:
    """Create database ``name`` on ``url``'s server; drop it after (the test DB is untouched)."""
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    target = sa.engine.make_url(url).set(database=name)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield target.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def prepare(
    url: str, instance: Path, devices: int, *, migrate: bool = True, data: str = "field"
) -> list[str]:
    """Run ``server init --demo``; return one fresh enrollment code per device.

    ``field``: device *i* is enrolled to the group of the area it works, as a coordinator
    enrolls a group's collectors, so its pulls are that group's; ``spread``: without a group
    (it works every area). ``migrate=False`` makes the tables from the models instead of
    running every migration (what the test fixtures do; quicker), then loads the same surveys
    and demo areas.
    """
    from server import create_app
    from server.accounts.devices import create_code
    from server.catalogue.deployment import init_deployment
    from server.cli import main as doorstep
    from server.db import db

    if migrate:
        # The command itself, in this process: a subprocess only adds an interpreter start.
        init = ["server", "--database-url", url, "--instance", str(instance), "init", "--demo"]
        # quiet: its summary line and alembic's log would land in the middle of the table
        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
            doorstep(init, standalone_mode=False)
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(instance)})
    with app.app_context():
        if not migrate:
            db.create_all()
            init_deployment(db.session, demo=True)
        now = datetime.now(UTC)
        areas = demo_areas()
        groups = [
            areas[i % len(areas)]["group"] if data == "field" else None for i in range(devices)
        ]
        codes = [create_code(db.session, now=now, ttl_seconds=3600, group=g)[0] for g in groups]
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return codes


@contextmanager
def running_server(url: str, instance: Path, workers: int, threads: int) -> Iterator[str]:
    """Run ``doorstep server serve`` on a free port; yield its URL; SIGTERM it and expect 0."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "DOORSTEP_DATABASE_URL": url, "DOORSTEP_INSTANCE": str(instance)}
    argv = [*DOORSTEP, "server", "serve", "--port", str(port)]
    argv += ["--workers", str(workers), "--threads", str(threads)]
    log = open(instance / "serve.log", "w+b")  # noqa: SIM115 (read back on failure)
    proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, proc)
        yield base
    finally:
        proc.terminate()
        status = proc.wait(timeout=60)
        log.seek(0)
        output = log.read().decode(errors="replace")
        log.close()
        if status != 0:
            raise RuntimeError(f"the server exited {status} after SIGTERM:\n{output}")


def wait_until_up(base: str, proc: subprocess.Popen[bytes]) -> None:
    """Poll the health endpoint until it answers; fail if the server dies first."""
    for _ in range(600):
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited {proc.returncode} before answering")
        try:
            requests.get(f"{base}/api/v1/health", timeout=2).raise_for_status()
            return
        except requests.RequestException:
            time.sleep(0.05)
    raise RuntimeError("the server never answered")


def stored_ids(url: str) -> tuple[int, int, set[str]]:
    """Return the stored response count, distinct ids, and the ids themselves."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        count, distinct = conn.execute(
            sa.text("SELECT count(*), count(DISTINCT id) FROM responses")
        ).one()
        ids = {str(r) for r in conn.scalars(sa.text("SELECT id FROM responses"))}
    engine.dispose()
    return count, distinct, ids


@dataclass
class Run:
    """One load run's figures and checks."""

    devices: int
    responses: int
    batches: int
    seconds: float
    client_cpu: float
    machine_busy: float
    first: list[float]
    repeat: list[float]
    pulls: list[float]
    errors: list[str]
    stored: int
    distinct: int
    missing: int
    extra: int

    @property
    def exactly_once(self) -> bool:
        """Say whether the server holds every sent response once and nothing else."""
        return self.stored == self.distinct == self.responses and not self.missing + self.extra


def run_one(
    url: str,
    instance: Path,
    *,
    devices: int,
    per_device: int,
    batch: int,
    workers: int,
    threads: int,
    procs: int,
    data: str = "field",
    migrate: bool = True,
) -> Run:
    """Set up ``url`` (empty), serve it, run the devices, and count what the server holds."""
    instance.mkdir(parents=True, exist_ok=True)
    codes = prepare(url, instance, devices, migrate=migrate, data=data)
    with running_server(url, instance, workers, threads) as base:
        logs, cpu, busy = drive(base, codes, per_device, batch, data, procs)
    count, distinct, ids = stored_ids(url)
    sent = {i for log in logs for i in log.ids}
    started = [log.started for log in logs if log.started]
    return Run(
        devices=devices,
        responses=devices * per_device,
        batches=sum(len(log.first) for log in logs),
        seconds=max(log.ended for log in logs) - min(started) if started else 0.0,
        client_cpu=cpu,
        machine_busy=busy,
        first=[t for log in logs for t in log.first],
        repeat=[t for log in logs for t in log.repeat],
        pulls=[t for log in logs for t in log.pulls],
        errors=[e for log in logs for e in log.errors],
        stored=count,
        distinct=distinct,
        missing=len(sent - ids) + (devices * per_device - len(sent)),
        extra=len(ids - sent),
    )


def pct(values: list[float], p: int) -> float:
    """Return the p-th percentile of ``values`` in milliseconds (nan if empty)."""
    if len(values) < 2:
        return values[0] * 1000 if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] * 1000


COLUMNS = (
    "responses/s", "first p50", "first p95", "first p99", "repeat p50", "repeat p95",
    "repeat p99", "pull p50", "pull p95",
)  # fmt: skip


def figures(run: Run) -> list[float]:
    """Return the run's figures in COLUMNS order (latencies in ms)."""
    return [
        run.responses / run.seconds if run.seconds else float("nan"),
        *(pct(run.first, p) for p in (50, 95, 99)),
        *(pct(run.repeat, p) for p in (50, 95, 99)),
        *(pct(run.pulls, p) for p in (50, 95)),
    ]


def print_table(runs: dict[str, Run], workers: int, threads: int) -> None:
    """Print a row per run, then the PostgreSQL/SQLite ratio of the full runs when both ran."""
    head = ["database", "devices", "responses", "batches", *COLUMNS, "errors", "stored"]
    print("| " + " | ".join(head) + " |")
    print("| --- | " + " | ".join("---:" for _ in head[1:]) + " |")
    for name, run in runs.items():
        cells = [name, f"{run.devices}", f"{run.responses:,}", f"{run.batches}"]
        cells += [f"{v:,.0f}" for v in figures(run)]
        cells += [f"{len(run.errors)}", f"{run.stored:,}"]
        print("| " + " | ".join(cells) + " |")
    pairs = [("PostgreSQL / SQLite", "PostgreSQL", "SQLite")]
    pairs += [(f"{n}: all / 1 device", n, f"{n}, 1 device") for n in ("PostgreSQL", "SQLite")]
    for label, top, bottom in pairs:
        if {top, bottom} <= runs.keys():
            ratios = [
                f"{a / b:.2f}x" if b else "-"
                for a, b in zip(figures(runs[top]), figures(runs[bottom]), strict=True)
            ]
            print(f"| {label} | | | | " + " | ".join(ratios) + " | | |")
    print()
    server = f"gunicorn, {workers} workers x" if workers > 1 else "waitress, one process,"
    print(f"latencies in ms; server: {server} {threads} threads")
    for name, run in runs.items():
        print(
            f"{name}: {run.seconds:.1f} s of pushing; machine CPU {run.machine_busy:.0%} busy; "
            f"load generator CPU {run.client_cpu:.1f} s; "
            f"stored {run.stored:,}, distinct {run.distinct:,}, missing {run.missing}, "
            f"extra {run.extra}: exactly once {'HOLDS' if run.exactly_once else 'BROKEN'}"
        )
        for error in run.errors[:5]:
            print(f"  error: {error}")


def main() -> None:
    """Run the load on each database asked for and print the table."""
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--per-device", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=200)
    # cores + 1 one-thread workers: a push is CPU work, and more at once only queue on row locks
    # (docs/performance.md#load has the comparison).
    parser.add_argument("--workers", type=int, default=cores + 1, help="server processes")
    parser.add_argument("--threads", type=int, default=1, help="threads per server process")
    parser.add_argument("--db", choices=["both", "postgresql", "sqlite"], default="both")
    parser.add_argument(
        "--data",
        choices=["field", "spread"],
        default="field",
        help="field: each device in one area, oldest first; spread: every area, any order",
    )
    parser.add_argument("--procs", type=int, default=cores, help="load generator processes")
    parser.add_argument("--pg-url", default=os.environ.get("DOORSTEP_LOAD_PG_URL", PG_URL))
    args = parser.parse_args()
    shape = {k: getattr(args, k) for k in ("per_device", "batch", "workers", "threads", "data")}
    runs: dict[str, Run] = {}
    with tempfile.TemporaryDirectory(prefix="doorstep-bench-load-") as tmp:
        for name in [n for n in ("PostgreSQL", "SQLite") if args.db in ("both", n.lower())]:
            # the baseline: one device alone on a fresh database of its own, same server
            for devices, label in ((1, f"{name}, 1 device"), (args.devices, name)):
                folder = Path(tmp, f"{name}-{devices}")
                if name == "PostgreSQL":
                    with fresh_postgres(args.pg_url) as url:
                        runs[label] = run_one(url, folder, devices=devices, procs=args.procs,
                                              **shape)  # fmt: skip
                else:
                    url = f"sqlite:///{folder / 'doorstep.db'}"
                    runs[label] = run_one(url, folder, devices=devices, procs=args.procs, **shape)
    print(
        f"load: {args.devices} devices x {args.per_device} responses, batches of {args.batch} "
        f"(each sent twice), pull after each; {cores} cores, Python {sys.version.split()[0]}"
    )
    print()
    print_table(runs, args.workers, args.threads)
    if "PostgreSQL" in runs:
        p95 = pct(runs["PostgreSQL"].first, 95)
        print(f"target p95 batch latency < 1 s on PostgreSQL: {'met' if p95 < 1000 else 'MISSED'}")
    if any(run.errors or not run.exactly_once for run in runs.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
