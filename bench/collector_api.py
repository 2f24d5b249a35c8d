"""Measure what a collector save costs above the durable storage it sits on.

In one run, at 1k and 10k stored responses of ~1 KB: median and p95 latency of
(a) a raw durable table insert of the same document (the storage layer's cost: the baseline),
(b) ``ResponseStore.save_response`` (validation, index, outbox state), and
(c) ``POST /api/v1/responses`` to a real waitress server on loopback (HTTP + JSON on top);
and the time to open a store of 50k responses, against opening its raw durable database.

Run: ``.venv/bin/python bench/collector_api.py``
"""

from __future__ import annotations

import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import waitress

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from collector.app import close_app, create_app  # noqa: E402
from collector.storage.durable import open_database  # noqa: E402

SAMPLES = 200
SIZES = (1_000, 10_000)
SURVEY: dict[str, Any] = {
    "id": "bench",
    "version": 1,
    "title": {"en": "Bench"},
    "purpose": {"en": "Measure saves."},
    "languages": ["en"],
    "methods": ["doorstep"],
    "questions": [
        {
            "id": "concerns",
            "type": "multiple_choice",
            "label": {"en": "Problems?"},
            "choices": [
                {"value": "speeding", "label": {"en": "Speeding"}, "category": "speeding"},
                {"value": "other", "label": {"en": "Other"}},
            ],
        },
        {"id": "note", "type": "text", "max_length": 1000, "label": {"en": "Note"}},
    ],
}


def body(i: int) -> dict[str, Any]:
    """Return a valid response of about 1 KB."""
    return {
        "survey_id": "bench",
        "survey_version": 1,
        "area": "abbey",
        "method": "doorstep",
        "answers": {"concerns": ["speeding", "other"], "note": f"{i:06d} " + "x" * 800},
    }


def stats(times: list[float]) -> tuple[float, float]:
    """Return median and p95 in milliseconds."""
    ordered = sorted(times)
    return statistics.median(ordered) * 1e3, ordered[int(len(ordered) * 0.95)] * 1e3


def timed(fn: Any, n: int = SAMPLES) -> list[float]:
    out = []
    for i in range(n):
        start = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - start)
    return out


OPEN_SIZE = 50_000
OPEN_CODE = """
import re, sys, time
from collector.storage.durable import open_database
from collector.store import ResponseStore
start = time.perf_counter()
opened = ResponseStore(sys.argv[2]) if sys.argv[1] == "store" else open_database(sys.argv[2])
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent across exec.
peak = re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1)
print(time.perf_counter() - start, int(peak) / 1024)
"""


def fill_for_open(data: Path) -> None:
    """Write 50k responses in the store's own row format (saving each would take minutes)."""
    db = open_database(data / "store")
    ids = [str(uuid.uuid4()) for _ in range(OPEN_SIZE)]
    rows = db.table("responses").insert_multiple(
        {"id": i, "stored_at": "2024-05-01T10:00:00+01:00", "response": {**body(n), "id": i}}
        for n, i in enumerate(ids)
    )
    db.table("outbox").insert_multiple(
        {"id": i, "row": r, "hash": "0" * 64, "state": "unsynced", "errors": None}
        for i, r in zip(ids, rows, strict=True)
    )
    db.compact()
    db.close()


def open_cost(what: str, path: Path) -> tuple[float, float]:
    """Open in a fresh process; return seconds and peak RSS in MB."""
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", OPEN_CODE, what, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
    )
    seconds, rss = done.stdout.split()
    return float(seconds), float(rss)


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        raw_db = open_database(Path(tmp) / "raw")
        raw = raw_db.table("responses")
        app = create_app({"data": Path(tmp) / "collector"})
        store = app.extensions["doorstep_store"]
        store.set_pulled(surveys=[SURVEY])
        server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
        threading.Thread(target=server.run, daemon=True).start()
        conn = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=30)

        def post(i: int) -> None:
            conn.request(
                "POST",
                "/api/v1/responses",
                json.dumps(body(i)),
                {"Content-Type": "application/json"},
            )
            reply = conn.getresponse()
            reply.read()
            assert reply.status == 201, reply.status

        for size in SIZES:
            # Fill up to `size` (minus what the measurements below will add).
            raw.insert_multiple({"response": body(i)} for i in range(size - len(raw)))
            while store.status()["stored"] < size - 2 * SAMPLES:
                store.save_response(body(0))
            base = stats(timed(lambda i: raw.insert({"response": body(i)})))
            saves = stats(timed(lambda i: store.save_response(body(i))))
            posts = stats(timed(post))
            rows.append((size, base, saves, posts))
        conn.close()
        server.close()
        close_app(app)
        raw_db.close()
        fill_for_open(Path(tmp) / "big")
        raw_open = open_cost("raw", Path(tmp) / "big" / "store")
        store_open = open_cost("store", Path(tmp) / "big")

    print(f"{'stored':>7} | {'what':<34} | {'median ms':>9} | {'p95 ms':>7} | {'x raw':>6}")
    print("-" * 76)
    for size, base, saves, posts in rows:
        for name, (med, p95) in (
            ("raw durable insert (baseline)", base),
            ("ResponseStore.save_response", saves),
            ("POST /api/v1/responses (waitress)", posts),
        ):
            print(f"{size:>7} | {name:<34} | {med:>9.2f} | {p95:>7.2f} | {med / base[0]:>6.2f}")
    print()
    print(f"open at {OPEN_SIZE:,} (fresh process) | seconds | peak RSS MB")
    print(f"raw durable database (baseline)  | {raw_open[0]:>7.2f} | {raw_open[1]:>11.0f}")
    print(f"ResponseStore                    | {store_open[0]:>7.2f} | {store_open[1]:>11.0f}")


if __name__ == "__main__":
    main()
