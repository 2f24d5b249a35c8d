"""Benchmark the maintained merge aggregates against a GROUP BY over raw responses.

Loads N responses (default 1,000,000) over 50 areas into a SQLite file with bulk inserts, builds
the aggregates with a full rebuild, then prints one table: the priorities query for one area from
the aggregates, the same figures from a plain SQL GROUP BY over the raw responses (the baseline),
the incremental cost per ingested response (ingest with and without counting the aggregates), and
the rebuild. Run: ``.venv/bin/python bench/merge.py [--responses N]``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from server import create_app  # noqa: E402
from server.catalogue.deployment import upsert_areas  # noqa: E402
from server.catalogue.surveys import add_survey  # noqa: E402
from server.db import db  # noqa: E402
from server.intake import ingest as ingest_mod  # noqa: E402
from server.issues.aggregates import rebuild  # noqa: E402
from server.issues.priorities import ranked  # noqa: E402
from server.issues.ranking import Period  # noqa: E402

CATEGORIES = [
    "speeding",
    "dangerous-parking",
    "fly-tipping",
    "litter",
    "dog-fouling",
    "noise",
    "drugs",
    "burglary",
    "vehicle-crime",
    "street-drinking",
    "graffiti",
    "youths-gathering",
]
METHODS = ["doorstep", "doorstep", "doorstep", "event", "kiosk", "meeting"]
SURVEY: dict[str, Any] = {
    "id": "bench",
    "version": 1,
    "title": {"en": "Bench"},
    "purpose": {"en": "Bench"},
    "languages": ["en"],
    "methods": ["doorstep", "event", "kiosk", "meeting"],
    "questions": [
        {
            "id": "concerns",
            "type": "multiple_choice",
            "label": {"en": "?"},
            "choices": [{"value": c, "label": {"en": c}, "category": c} for c in CATEGORIES],
        },
        {
            "id": "severity",
            "type": "scale",
            "min": 1,
            "max": 5,
            "severity_for": "concerns",
            "label": {"en": "?"},
        },
    ],
}
AREAS = [{"code": f"area-{i:02d}", "name": f"Area {i}", "group": f"g{i % 5}"} for i in range(50)]
START = datetime(2024, 1, 1, tzinfo=UTC)
DAYS = 365
TODAY = date(2024, 12, 30)


def fake(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """Return ``n`` plausible responses (1–3 concerns, skewed towards the first categories)."""
    out = []
    for _ in range(n):
        concerns = sorted(
            {CATEGORIES[min(int(rng.expovariate(0.35)), 11)] for _ in range(rng.randint(1, 3))}
        )
        answers: dict[str, Any] = {"concerns": concerns}
        if rng.random() < 0.8:
            answers["severity"] = rng.randint(1, 5)
        out.append(
            {
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "survey_id": "bench",
                "survey_version": 1,
                "area": AREAS[rng.randrange(50)]["code"],
                "method": rng.choice(METHODS),
                "collected_at": START + timedelta(seconds=rng.randrange(DAYS * 86400)),
                "answers": answers,
            }
        )
    return out


def load(n: int, rng: random.Random) -> float:
    """Bulk insert ``n`` raw responses through the DB-API (no aggregates); return seconds."""
    sql = (
        "INSERT INTO responses (id, survey_id, survey_version, area, method, collected_at, "
        "received_at, source, content_hash, answers, conflict) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 'bench', ?, ?, 0)"
    )
    t0 = time.perf_counter()
    raw = db.engine.raw_connection()
    try:
        for start in range(0, n, 50_000):
            rows = []
            for r in fake(rng, min(50_000, n - start)):
                # stored as UTCDateTime stores it on SQLite: naive UTC text
                at = r["collected_at"].replace(tzinfo=None).isoformat(" ", "microseconds")
                rows.append(
                    (
                        r["id"],
                        "bench",
                        1,
                        r["area"],
                        r["method"],
                        at,
                        at,
                        "x" * 64,
                        json.dumps(r["answers"]),
                    )
                )
            cur = raw.cursor()
            cur.executemany(sql, rows)
            cur.close()
            raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - t0


def timed(fn: Any, repeat: int) -> float:
    """Return the median seconds of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


BASELINE_SQL = text(
    """
    SELECT CASE WHEN r.collected_at >= :since THEN 1 ELSE 0 END AS cur, je.value, r.method,
           COUNT(*), SUM(json_extract(r.answers, '$.severity')),
           COUNT(json_extract(r.answers, '$.severity'))
    FROM responses r, json_each(r.answers, '$.concerns') je
    WHERE r.area = :area AND r.collected_at >= :prev AND r.collected_at < :end
    GROUP BY cur, je.value, r.method
    """
)
BASELINE_RESPONDENTS = text(
    """
    SELECT CASE WHEN collected_at >= :since THEN 1 ELSE 0 END AS cur, method, COUNT(*)
    FROM responses WHERE area = :area AND collected_at >= :prev AND collected_at < :end
    GROUP BY cur, method
    """
)


def baseline(area: str, period: Period) -> list[Any]:
    """Compute the same counts straight from the raw responses with SQL GROUP BY."""
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    params = {
        "area": area,
        "since": datetime.combine(period.since, datetime.min.time()).strftime(fmt),
        "prev": datetime.combine(period.previous().since, datetime.min.time()).strftime(fmt),
        "end": datetime.combine(period.until + timedelta(days=1), datetime.min.time()).strftime(
            fmt
        ),
    }
    rows = list(db.session.execute(BASELINE_SQL, params))
    return rows + list(db.session.execute(BASELINE_RESPONDENTS, params))


def main() -> None:
    """Run the benchmark and print its table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--responses", type=int, default=1_000_000)
    ap.add_argument("--ingest", type=int, default=10_000, help="responses for the ingest cost")
    args = ap.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "INSTANCE_PATH": tmp,
                "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
                "SECRET_KEY": "bench",
            }
        )
        with app.app_context():
            db.create_all()
            add_survey(db.session, SURVEY)
            upsert_areas(db.session, AREAS)
            db.session.commit()
            t_load = load(args.responses, rng)
            t0 = time.perf_counter()
            counted = rebuild(db.session)
            db.session.commit()
            t_rebuild = time.perf_counter() - t0
            period = Period(TODAY - timedelta(days=89), TODAY)
            area = "area-07"
            items, resp = ranked(db.session, area, period)
            t_agg = timed(lambda: ranked(db.session, area, period), 21)
            t_base = timed(lambda: baseline(area, period), 5)
            # incremental cost: ingest batches of 500 with and without counting the aggregates
            counting = ingest_mod.apply_responses
            costs = {}
            for label, active in (("without", lambda session, rows: None), ("with", counting)):
                ingest_mod.apply_responses = active
                batch = fake(rng, args.ingest)
                for b in batch:
                    b["collected_at"] = b["collected_at"].isoformat()
                t0 = time.perf_counter()
                for i in range(0, len(batch), 500):
                    ingest_mod.ingest_batch(db.session, batch[i : i + 500], now=START)
                costs[label] = (time.perf_counter() - t0) / len(batch)
            ingest_mod.apply_responses = counting
    per = costs["with"] - costs["without"]
    print(
        f"merge bench: {args.responses:,} responses over 50 areas (SQLite file); "
        f"area {area}: {resp.mentions:,} respondents in 90 days, {len(items)} issues"
    )
    print()
    print("| operation | time | note |")
    print("| --- | ---: | --- |")
    rate = args.responses / t_load
    print(f"| bulk load of raw responses (setup) | {t_load:.1f} s | {rate:,.0f}/s |")
    print(
        f"| priorities for one area, maintained aggregates | {t_agg * 1000:.1f} ms | "
        f"median of 21; {t_base / t_agg:.0f}× faster than the baseline |"
    )
    print(
        f"| same figures by SQL GROUP BY over raw responses (baseline) | {t_base * 1000:.1f} ms "
        f"| median of 5 |"
    )
    print(
        f"| ingest, per response, with aggregates | {costs['with'] * 1e6:.0f} µs | batches of 500 |"
    )
    print(
        f"| ingest, per response, without aggregates | {costs['without'] * 1e6:.0f} µs | "
        f"aggregates not counted |"
    )
    print(
        f"| incremental aggregate cost per ingested response | {per * 1e6:.0f} µs | "
        f"difference of the two rows above |"
    )
    print(
        f"| full rebuild | {t_rebuild:.1f} s | {counted:,} responses, "
        f"{counted / t_rebuild:,.0f}/s |"
    )


if __name__ == "__main__":
    main()
