"""Benchmark paging a full export through GET /api/v1/responses, with and without its indexes.

Loads N responses (default 100,000) over 20 areas into a SQLite file through the DB-API, then
pages through the real endpoint (Flask test client, an admin's token, ``limit=500``) following
``next`` to the end: one area's responses, then every area's. The baseline is the same database
in the same run with revision 0003's indexes swapped back for the plain area index it replaced
(after ANALYZE). The indexed runs go once without planner statistics and once after ANALYZE.
Run: ``.venv/bin/python bench/responses_export.py [--responses N]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import text  # noqa: E402

from server import create_app  # noqa: E402
from server.accounts.users import create_user  # noqa: E402
from server.catalogue.deployment import upsert_areas  # noqa: E402
from server.db import db  # noqa: E402

AREAS = [{"code": f"area-{i:02d}", "name": f"Area {i}", "group": "bench"} for i in range(20)]
START = datetime(2025, 1, 1, tzinfo=UTC)
LIMIT = 500
NEW = ("ix_responses_area_received_at_id", "ix_responses_received_at_id")


def load(n: int) -> float:
    """Bulk insert ``n`` responses, received a second apart, round-robin over the areas."""
    sql = (
        "INSERT INTO responses (id, survey_id, survey_version, area, method, collected_at, "
        "received_at, source, content_hash, answers, conflict) "
        "VALUES (?, 'bench', 1, ?, 'doorstep', ?, ?, 'bench', ?, ?, 0)"
    )
    answers = json.dumps({"concerns": ["speeding"], "severity": 3})
    t0 = time.perf_counter()
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        for start in range(0, n, 50_000):
            rows = []
            for i in range(start, min(n, start + 50_000)):
                # received_at as UTCDateTime stores it on SQLite: naive UTC text
                at = (
                    (START + timedelta(seconds=i))
                    .replace(tzinfo=None)
                    .isoformat(" ", "microseconds")
                )
                rows.append(
                    (
                        f"{i:08d}-0000-4000-8000-000000000000",
                        AREAS[i % 20]["code"],
                        at,
                        at,
                        "x" * 64,
                        answers,
                    )
                )
            cur.executemany(sql, rows)
            raw.commit()
        cur.close()
    finally:
        raw.close()
    return time.perf_counter() - t0


def export(client: FlaskClient, token: str, area: str | None) -> tuple[int, float]:
    """Page through every response (of one area, or all); return the count and seconds."""
    headers = {"Authorization": f"Bearer {token}"}
    params: dict[str, Any] = {"limit": LIMIT, **({"area": area} if area else {})}
    count, t0 = 0, time.perf_counter()
    while True:
        body = client.get("/api/v1/responses", query_string=params, headers=headers).get_json()
        count += len(body["responses"])
        if not body["next"]:
            return count, time.perf_counter() - t0
        params["cursor"] = body["next"]


def swap_to_baseline() -> None:
    """Put the database back to the indexes before revision 0003."""
    with db.engine.begin() as conn:
        for name in NEW:
            conn.execute(text(f"DROP INDEX {name}"))
        conn.execute(text("CREATE INDEX ix_responses_area ON responses (area)"))


def analyze() -> None:
    """Gather SQLite's planner statistics (the server does not do this by itself)."""
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    n = parser.parse_args().responses
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "INSTANCE_PATH": folder,
                "DATABASE_URL": f"sqlite:///{folder}/bench.db",
                "SECRET_KEY": "b",
            }
        )
        with app.app_context():
            db.create_all()
            upsert_areas(db.session, AREAS)
            _, token = create_user(db.session, "bench-admin", "admin")
            db.session.commit()
            seconds = load(n)
            client = app.test_client()
            runs: list[tuple[str, Callable[[], tuple[int, float]]]] = [
                ("one area", lambda: export(client, token, "area-07")),
                ("all 20 areas", lambda: export(client, token, None)),
            ]
            export(client, token, "area-01")  # warm the page cache and the app once
            indexed = [fn() for _, fn in runs]
            analyze()
            analyzed = [fn() for _, fn in runs]
            swap_to_baseline()
            analyze()
            baseline = [fn() for _, fn in runs]
            db.engine.dispose()
    print(f"{n:,} responses over 20 areas, SQLite file, pages of {LIMIT} (load {seconds:.1f} s)\n")
    print(
        "| export | responses | 0003 indexes | 0003 indexes, after ANALYZE | "
        "area index only (baseline) | speed-up (best) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for (label, _), a, b, c in zip(runs, indexed, analyzed, baseline, strict=True):
        best = min(a[1], b[1])
        print(
            f"| {label} | {a[0]:,} | {a[1]:.2f} s | {b[1]:.2f} s | {c[1]:.2f} s | "
            f"{c[1] / best:.1f}× |"
        )


if __name__ == "__main__":
    main()
