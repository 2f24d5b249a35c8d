"""Measure the collector store: save latency as it grows, open time and memory at 50k.

Prints one table: median / p95 / max save latency at 1k, 10k and 50k stored ~1 KB responses
for our durable store, a raw append + fsync of the same JSON line (the physical limit), and
stock TinyDB JSONStorage (1k and 10k only); then the domain store's `save_response` (with
contact details: response, outbox row and personal row) at 50k, each save followed by a raw
append + fsync of the very bytes it added to the journal, interleaved with the rest; then open
time and peak RSS at 50k (the durable tables alone, and the whole `ResponseStore`), and the
CPU of the first save after opening, each in a fresh process; then the targets and whether
each is met.

    .venv/bin/python bench/collector_store.py [--dir DIR] [--samples N]
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import click
from tinydb import TinyDB

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey  # noqa: E402

from collector.demo import demo_areas  # noqa: E402
from collector.sealing import ALG, ContactKey, public_text, seal_personal  # noqa: E402
from collector.storage.durable import open_database  # noqa: E402
from collector.store import ResponseStore  # noqa: E402

LEVELS = [1_000, 10_000, 50_000]
JSON_LEVELS = [1_000, 10_000]
STREETS = ["Acacia Avenue", "Mill Lane", "Station Road", "Church Street", "Park View"]
CONCERNS = ["speeding", "dangerous-parking", "fly-tipping", "litter", "dog-fouling", "noise"]
WORDS = (
    "the lights out near park since march kids on bikes at night cars racing bins left "
    "corner shop people feel unsafe walking home after dark police rarely seen"
).split()

OPEN_PROBE = """
import json, sys, time
sys.path.insert(0, sys.argv[2])
from collector.storage.durable import open_database
def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
before = peak_mb()
start, cpu = time.perf_counter(), time.process_time()
db = open_database(sys.argv[1])
docs = len(db.table("responses"))
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
print(json.dumps({"seconds": seconds, "cpu": cpu, "docs": docs, "rss_mb": peak_mb(),
                  "base_mb": before, "journal": db.storage.journal_size}))
"""


STORE_PROBE = """
import json, sys, time
sys.path.insert(0, sys.argv[2])
from collector.store import ResponseStore
def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
before = peak_mb()
start, cpu = time.perf_counter(), time.process_time()
store = ResponseStore(sys.argv[1])
seconds, open_cpu = time.perf_counter() - start, time.process_time() - cpu
opened_mb = peak_mb()
cpu = time.process_time()
store.save_response(json.loads(sys.argv[3]))
first = time.process_time() - cpu
cpu = time.process_time()
store.save_response(json.loads(sys.argv[4]))
second = time.process_time() - cpu
print(json.dumps({"seconds": seconds, "cpu": open_cpu, "docs": store.status()["stored"],
                  "rss_mb": opened_mb,
                  "base_mb": before, "first_cpu_ms": first * 1e3, "second_cpu_ms": second * 1e3}))
store.close()
"""
# A survey of the bundled survey's shape, with a consented phone number (a personal answer).
SURVEY: dict[str, Any] = {
    "id": "bench-safety",
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
            "choices": [{"value": c, "label": {"en": c}} for c in CONCERNS],
        },
        {"id": "severity", "type": "number", "min": 1, "max": 5, "label": {"en": "How bad?"}},
        {"id": "anything_else", "type": "text", "max_length": 1000, "label": {"en": "More?"}},
        {"id": "contact_ok", "type": "consent", "label": {"en": "May we contact you?"}},
        {
            "id": "phone",
            "type": "text",
            "personal": True,
            "relevant": {"question": "contact_ok", "equals": True},
            "label": {"en": "Phone"},
        },
    ],
}
STORE_AREA = "abbey"  # a demo area: the store takes it before any pull


def submitted(rng: random.Random) -> dict[str, Any]:
    """Return a ~1 KB response as a volunteer's phone submits it, with a phone number."""
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128))),
        "survey_id": SURVEY["id"],
        "survey_version": 1,
        "area": STORE_AREA,
        "method": "doorstep",
        "collected_at": _when(rng),
        "answers": {
            "concerns": rng.sample(CONCERNS, 3),
            "severity": rng.randint(1, 5),
            "anything_else": " ".join(rng.choice(WORDS) for _ in range(160))[:900],
            "contact_ok": True,
        },
        "personal": {"phone": f"07700 9{rng.randint(0, 99999):05d}"},
    }


def contact_keys() -> list[dict[str, str]]:
    """Return a pull's contact keys for every demo group (one fresh key pair): a device seals
    contact details with its group's key, and keeps none without one."""
    public = public_text(X25519PrivateKey.generate().public_key())
    groups = sorted({a["group"] for a in demo_areas()})
    return [{"kid": f"bench-{g}", "group": g, "public_key": public, "alg": ALG} for g in groups]


def fill_domain_store(data: Path, rng: random.Random, total: int) -> None:
    """Write `total` responses in ResponseStore's row format (one in five with details,
    sealed as a save seals them).

    Saving each through save_response would take minutes of fsyncs; the rows are the same.
    """
    keys = contact_keys()
    key = ContactKey.from_wire(keys[0])
    with ResponseStore(data) as store:
        store.set_pulled(surveys=[SURVEY], contact_keys=keys)
    with open_database(data / "store") as db:
        responses, outbox, personal = (db.table(n) for n in ("responses", "outbox", "personal"))
        for start in range(0, total, 1000):
            batch = [submitted(rng) for _ in range(min(1000, total - start))]
            rows = responses.insert_multiple(
                {"id": b["id"], "stored_at": b["collected_at"], "response": b} for b in batch
            )
            outbox.insert_multiple(
                {
                    "id": b["id"],
                    "row": r,
                    "hash": f"{rng.getrandbits(256):064x}",
                    "state": "unsynced",
                    "errors": None,
                }
                for b, r in zip(batch, rows, strict=True)
            )
            personal.insert_multiple(
                {"id": b["id"], "personal": seal_personal(b["personal"], key, b["id"])}
                for b in batch[::5]
            )
        db.compact()


def _when(rng: random.Random) -> str:
    """Return a timestamp in June 2025."""
    day, hour, minute = rng.randint(1, 28), rng.randint(9, 20), rng.randint(0, 59)
    return f"2025-06-{day:02d}T{hour:02d}:{minute:02d}:{rng.randint(0, 59):02d}+01:00"


def make_response(rng: random.Random) -> dict[str, Any]:
    """Return a ~1 KB response document shaped as collector/store.py saves one."""
    response_id = str(uuid.UUID(int=rng.getrandbits(128)))
    return {
        "id": response_id,
        "state": "unsynced",
        "hash": f"{rng.getrandbits(256):064x}",
        "stored_at": _when(rng),
        "errors": None,
        "response": {
            "id": response_id,
            "survey_id": "doorstep-safety",
            "survey_version": 1,
            "area": f"E0501{rng.randint(1000, 1099)}",
            "method": "doorstep",
            "collected_at": _when(rng),
            "answers": {
                "consent": True,
                "concerns": rng.sample(CONCERNS, 3),
                "severity": rng.randint(1, 5),
                "where": rng.choice(STREETS),
                "safe_after_dark": rng.choice(["very-safe", "fairly-safe", "a-bit-unsafe"]),
                "other_concern": " ".join(rng.choice(WORDS) for _ in range(8)),
                "anything_else": " ".join(rng.choice(WORDS) for _ in range(60))[:330],
                "recontact": False,
                "age_band": rng.choice(["16-24", "25-34", "35-49", "50-64"]),
                "gender": rng.choice(["woman", "man"]),
            },
            "volunteer": f"vol-{rng.randint(1, 12):02d}",
            "consent": True,
            "language": "en",
            "street": rng.choice(STREETS),
        },
    }


def summarise(samples: list[float]) -> tuple[float, float, float]:
    """Return median, p95 and max in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return statistics.median(ordered) * 1e3, p95 * 1e3, ordered[-1] * 1e3


def timed(action: Callable[[], object]) -> float:
    """Return how long one call takes, in seconds."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


class RawLog:
    """The physical limit: append one JSON line to a plain file and fsync it."""

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def fill(self, docs: list[dict[str, Any]]) -> None:
        os.write(self.fd, b"".join(json.dumps(d).encode() + b"\n" for d in docs))
        os.fsync(self.fd)

    def save(self, doc: dict[str, Any]) -> None:
        self.append(json.dumps(doc).encode() + b"\n")

    def append(self, data: bytes) -> None:
        os.write(self.fd, data)
        os.fsync(self.fd)


class DomainSaves:
    """`ResponseStore.save_response` at 50k, next to a raw append + fsync of its frame."""

    def __init__(self, work: Path, rng: random.Random, total: int) -> None:
        self.rng = rng
        data = work / "domain"
        fill_domain_store(data, rng, total)
        self.store = ResponseStore(data)
        self.raw = RawLog(work / "domain-raw.log")
        self.frame_bytes: list[int] = []

    def journal(self) -> Path:
        """Return the journal taking appends (the newest generation)."""
        return max(
            (self.store.data_dir / "store").glob("journal.*.log"),
            key=lambda p: int(p.name.split(".")[1]),
        )

    def time_one(self) -> tuple[float, float]:
        """Save one response, then append the bytes it added; return both times."""
        body = submitted(self.rng)
        journal = self.journal()
        before = journal.stat().st_size
        store_took = timed(partial(self.store.save_response, body))
        with open(journal, "rb") as handle:
            handle.seek(before)
            added = handle.read()
        self.frame_bytes.append(len(added))
        return store_took, timed(partial(self.raw.append, added))

    def close(self) -> None:
        os.close(self.raw.fd)
        self.store.close()


def bench_growth(work: Path, rng: random.Random, samples: int) -> dict[str, dict[int, Any]]:
    """Fill one store and one raw log per level, then time saves round-robin across them.

    Interleaving means disk and machine noise hits every level and the baseline alike.
    """
    click.echo(f"  filling a domain store to {LEVELS[-1]}", err=True)
    domain = DomainSaves(work, rng, LEVELS[-1])
    stores, logs = {}, {}
    for level in LEVELS:
        click.echo(f"  filling a store to {level}", err=True)
        stores[level] = open_database(work / f"store-{level}")
        logs[level] = RawLog(work / f"raw-{level}.jsonl")
        table = stores[level].table("responses")
        for start in range(0, level, 1000):
            batch = [make_response(rng) for _ in range(min(1000, level - start))]
            table.insert_multiple(batch)
            logs[level].fill(batch)
    timings: dict[str, dict[int, list[float]]] = {"store": {}, "raw": {}}
    for kind in timings:
        timings[kind] = {level: [] for level in LEVELS}
    timings["domain"], timings["domain_raw"] = {LEVELS[-1]: []}, {LEVELS[-1]: []}
    click.echo(f"  timing {samples} saves per level, interleaved", err=True)
    for round_ in range(samples + 50):
        for level in LEVELS:
            doc = make_response(rng)
            raw_took = timed(partial(logs[level].save, doc))
            store_took = timed(partial(stores[level].table("responses").insert, doc))
            if round_ >= 50:  # the first rounds warm up: fresh files allocate blocks
                timings["raw"][level].append(raw_took)
                timings["store"][level].append(store_took)
        domain_took, domain_raw_took = domain.time_one()
        if round_ >= 50:
            timings["domain"][LEVELS[-1]].append(domain_took)
            timings["domain_raw"][LEVELS[-1]].append(domain_raw_took)
    frame_bytes = statistics.median(domain.frame_bytes)
    domain.close()
    # The one save in ~24k at 50k that starts a compaction: it rotates the journal and copies
    # the table index under the lock; the snapshot itself is written in the background.
    storage = stores[LEVELS[-1]].storage
    limits = storage.compact_min_bytes, storage.compact_ratio
    storage.compact_min_bytes, storage.compact_ratio = 0, 0.0
    start = time.perf_counter()
    trigger = timed(partial(stores[LEVELS[-1]].table("responses").insert, make_response(rng)))
    storage.compact_min_bytes, storage.compact_ratio = limits
    storage.wait_for_compaction()
    compaction = (trigger, time.perf_counter() - start)
    for level in LEVELS:
        os.close(logs[level].fd)
        stores[level].close()
    results = {kind: {lv: summarise(t) for lv, t in per.items()} for kind, per in timings.items()}
    results["compaction"] = {LEVELS[-1]: compaction}
    results["frame_bytes"] = {LEVELS[-1]: frame_bytes}
    return results


def bench_cpu(work: Path, rng: random.Random, samples: int) -> dict[int, float]:
    """Time our saves with fsync made a no-op: the CPU cost alone, median in microseconds."""
    real_fsync = os.fsync
    os.fsync = lambda fd: None  # only for this phase: separates our cost from the disk's
    try:
        tables = {}
        for level in (LEVELS[0], LEVELS[-1]):
            db = open_database(work / f"cpu-{level}")
            tables[level] = db.table("responses")
            for _ in range(level // 1000):
                tables[level].insert_multiple([make_response(rng) for _ in range(1000)])
        took: dict[int, list[float]] = {level: [] for level in tables}
        for _ in range(samples):
            for level, table in tables.items():
                took[level].append(timed(partial(table.insert, make_response(rng))))
        for table in tables.values():
            table.storage.close()
    finally:
        os.fsync = real_fsync
    return {level: statistics.median(t) * 1e6 for level, t in took.items()}


def bench_jsonstorage(work: Path, rng: random.Random) -> dict[int, Any]:
    """Sample stock TinyDB (JSONStorage rewrites the whole file on every insert)."""
    results = {}
    for level in JSON_LEVELS:
        click.echo(f"  stock JSONStorage at {level}", err=True)
        with TinyDB(work / f"stock-{level}.json") as db:
            table = db.table("responses")
            table.insert_multiple(make_response(rng) for _ in range(level))
            count = 60 if level <= 1_000 else 15
            docs = [make_response(rng) for _ in range(count)]
            results[level] = summarise([timed(partial(table.insert, d)) for d in docs])
    return results


def probe_open(store: Path) -> dict[str, Any]:
    """Open the store in a fresh process; return its open time and peak RSS."""
    done = subprocess.run(
        [sys.executable, "-c", OPEN_PROBE, str(store), str(ROOT)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def probe_domain_open(data: Path, rng: random.Random) -> dict[str, Any]:
    """Open a ResponseStore in a fresh process: open time, peak RSS, first and second save CPU."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            STORE_PROBE,
            str(data),
            str(ROOT),
            json.dumps(submitted(rng)),
            json.dumps(submitted(rng)),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def worst_case_store(work: Path, rng: random.Random, total: int) -> Path:
    """Build `total` docs with the journal just under its compaction threshold (ratio 0.5)."""
    path = work / "worst"
    in_snapshot = total * 2 // 3
    with open_database(path, compact_min_bytes=1 << 40) as db:
        table = db.table("responses")
        for start in range(0, total, 1000):
            table.insert_multiple(make_response(rng) for _ in range(min(1000, total - start)))
            if start + 1000 == in_snapshot // 1000 * 1000:
                db.compact()
    return path


@click.command()
@click.option("--dir", "directory", type=click.Path(path_type=Path), help="Where to write.")
@click.option("--samples", default=1000, show_default=True, help="Saves timed at each level.")
def main(directory: Path | None, samples: int) -> None:
    """Run the collector store benchmark and print the table."""
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        work = Path(tmp)
        doc_bytes = len(json.dumps(make_response(rng)))
        click.echo(f"responses of {doc_bytes} bytes of JSON; {samples} saves per level", err=True)
        growth = bench_growth(work, rng, samples)
        stock = bench_jsonstorage(work, rng)
        cpu = bench_cpu(work, rng, samples)
        opened = probe_open(work / f"store-{LEVELS[-1]}")
        worst = probe_open(worst_case_store(work, rng, LEVELS[-1]))
        domain_open = probe_domain_open(work / "domain", rng)

    click.echo(f"\nsave latency, ms (median / p95 / max), ~{doc_bytes} B responses\n")
    click.echo("| stored | our store | raw append+fsync | stock JSONStorage |")
    click.echo("| ---: | ---: | ---: | ---: |")
    for level in LEVELS:
        cells = [growth["store"][level], growth["raw"][level], stock.get(level)]
        text = ["/".join(f"{v:.2f}" for v in c) if c else "—" for c in cells]
        click.echo(f"| {level:,} | " + " | ".join(text) + " |")
    low, top = LEVELS[0], LEVELS[-1]
    click.echo(
        f"\nour CPU per save (fsync a no-op), median: {cpu[low]:.0f} µs at {low:,}, "
        f"{cpu[top]:.0f} µs at {top:,} ({cpu[top] / cpu[low]:.2f}x)"
    )
    click.echo(
        f"compaction at {top:,}: the save that starts it took "
        f"{growth['compaction'][top][0] * 1e3:.1f} ms; the snapshot was done "
        f"{growth['compaction'][top][1]:.2f} s later, in the background"
    )
    click.echo(
        "\n| open at 50k | seconds | CPU seconds | peak RSS (MB) | RSS before open (MB) | journal |"
    )
    click.echo("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, o in (("as left by the run", opened), ("journal at threshold", worst)):
        click.echo(
            f"| {name} ({o['docs']:,} docs) | {o['seconds']:.2f} | {o['cpu']:.2f} | "
            f"{o['rss_mb']:.0f} | {o['base_mb']:.0f} | {o['journal'] / 1e6:.1f} MB |"
        )

    click.echo(
        f"\nsave_response at {top:,} with contact details, ms (median / p95 / max); "
        f"baseline: raw append+fsync of the same {growth['frame_bytes'][top]:.0f} bytes\n"
    )
    click.echo("| stored | save_response | raw append+fsync, same bytes | ratio (medians) |")
    click.echo("| ---: | ---: | ---: | ---: |")
    domain_ratio = growth["domain"][top][0] / growth["domain_raw"][top][0]
    cells = ["/".join(f"{v:.2f}" for v in growth[k][top]) for k in ("domain", "domain_raw")]
    click.echo(f"| {top:,} | {cells[0]} | {cells[1]} | {domain_ratio:.2f}x |")
    d = domain_open
    click.echo(
        f"\nResponseStore open at {top:,} ({d['docs']:,} responses, one in five with details): "
        f"{d['seconds']:.2f} s ({d['cpu']:.2f} s CPU), peak RSS {d['rss_mb']:.0f} MB "
        f"({d['base_mb']:.0f} MB before); "
        f"CPU of the first save {d['first_cpu_ms']:.1f} ms, "
        f"of the second {d['second_cpu_ms']:.1f} ms"
    )

    vs_raw = growth["store"][top][0] / growth["raw"][top][0]
    vs_small = growth["store"][top][0] / growth["store"][low][0]
    slowest = max(opened["seconds"], worst["seconds"])
    fattest = max(opened["rss_mb"], worst["rss_mb"])
    checks = [
        (
            f"save_response at 50k <= 1.2x raw append+fsync of its bytes: {domain_ratio:.2f}x",
            domain_ratio <= 1.2,
        ),
        (
            f"ResponseStore open at 50k < 0.5 s: {d['seconds']:.2f} s ({d['cpu']:.2f} s CPU)",
            d["seconds"] < 0.5,
        ),
        (f"ResponseStore peak RSS at 50k < 80 MB: {d['rss_mb']:.0f} MB", d["rss_mb"] < 80),
        (
            f"first save after open <= 2x the second (CPU): {d['first_cpu_ms']:.1f} ms vs "
            f"{d['second_cpu_ms']:.1f} ms",
            d["first_cpu_ms"] <= 2 * max(d["second_cpu_ms"], 1),
        ),
        (f"save at 50k <= 1.5x raw append+fsync (median): {vs_raw:.2f}x", vs_raw <= 1.5),
        (f"save at 50k <= 1.3x save at 1k (median): {vs_small:.2f}x", vs_small <= 1.3),
        (f"open at 50k < 1 s (worst case): {slowest:.2f} s", slowest < 1.0),
        (f"peak RSS at 50k < 100 MB (worst case): {fattest:.0f} MB", fattest < 100),
    ]
    click.echo("\n| target | met |\n| --- | --- |")
    for label, met in checks:
        click.echo(f"| {label} | {'yes' if met else 'NO'} |")


if __name__ == "__main__":
    main()
