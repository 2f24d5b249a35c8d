"""A force-sized PostgreSQL: load N responses, rebuild the aggregates, time what coordinators read.

Loads ``--responses`` (default 10,000,000; 50 areas in 5 groups, a year of days, 1–3 concerns
each, bench/merge.py's generator) into a fresh PostgreSQL database (``doorstep_scale`` on the
server of ``--pg-url``, created and dropped) through the project's own bulk path
(``server.db.bulk.write_rows``: one ``json_to_recordset`` insert per chunk), then runs the full
aggregate rebuild (``server.issues.aggregates.rebuild``, timed), ``VACUUM ANALYZE`` and a
``CHECKPOINT``, and times, each beside a plain SQL baseline of the same figures in the same run:

- **priorities** for one area over 90 days (``server.issues.priorities.ranked``, what the
  dashboard and API show) against a ``GROUP BY`` over the raw responses for the same counts;
- **agenda** for one group (``server.meetings.agenda.build_agenda``, every area of the group)
  against the same ``GROUP BY`` for each of its areas;
- **export** pages (``GET /api/v1/responses``, an admin's token, 500 a page, the first page and
  the 20th) against a plain ``SELECT … ORDER BY received_at, id LIMIT 500`` keyset page.

Prints a table with medians and the load average before and after (the machine is shared).

    .venv/bin/python bench/scale.py [--responses 10000000] [--chunk 20000]
        [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import sqlalchemy as sa  # noqa: E402
from ingest import load_average  # noqa: E402  (bench/ingest.py)
from load import fresh_postgres  # noqa: E402  (bench/load.py)
from merge import AREAS, SURVEY, TODAY, fake, timed  # noqa: E402  (bench/merge.py)

from server import create_app  # noqa: E402
from server.accounts.users import create_user  # noqa: E402
from server.catalogue.deployment import upsert_areas  # noqa: E402
from server.catalogue.surveys import add_survey  # noqa: E402
from server.db import db  # noqa: E402
from server.db.bulk import write_rows  # noqa: E402
from server.issues.aggregates import rebuild  # noqa: E402
from server.issues.priorities import ranked  # noqa: E402
from server.issues.ranking import Period  # noqa: E402
from server.meetings.agenda import build_agenda  # noqa: E402
from server.models import Group, Response  # noqa: E402

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DAYS = 365  # bench/merge.py's responses fall in one year
PAGE = 500


def rows(rng: random.Random, n: int, received: datetime) -> list[dict[str, Any]]:
    """Return ``n`` response rows as ingest stores them (bench/merge.py's answers and areas)."""
    out = fake(rng, n)
    for row in out:
        row.update(received_at=received, source="bench", conflict=False,
                   content_hash=hashlib.sha256(row["id"].encode()).hexdigest())  # fmt: skip
    return out


BASELINE = sa.text(
    """
    SELECT r.collected_at >= :since AS cur, c.value, r.method, count(*),
           sum((r.answers->>'severity')::int), count(r.answers->>'severity')
    FROM responses r, json_array_elements_text(r.answers->'concerns') AS c(value)
    WHERE r.area = :area AND r.collected_at >= :prev AND r.collected_at < :end
    GROUP BY 1, 2, 3
    """
)
BASELINE_RESPONDENTS = sa.text(
    """
    SELECT collected_at >= :since AS cur, method, count(*) FROM responses
    WHERE area = :area AND collected_at >= :prev AND collected_at < :end GROUP BY 1, 2
    """
)
BASELINE_PAGE = sa.text(
    """
    SELECT * FROM responses WHERE area = :area AND (received_at, id) > (:at, :id)
    ORDER BY received_at, id LIMIT :limit
    """
)


def baseline(area: str, period: Period) -> int:
    """Compute the priorities' counts straight from the raw responses; return the rows."""
    day = datetime.min.time()
    params = {
        "area": area,
        "since": datetime.combine(period.since, day, UTC),
        "prev": datetime.combine(period.previous().since, day, UTC),
        "end": datetime.combine(period.until + timedelta(days=1), day, UTC),
    }
    got = db.session.execute(BASELINE, params).all()
    return len(got) + len(db.session.execute(BASELINE_RESPONDENTS, params).all())


def export_page(client: Any, token: str, area: str, cursor: str | None) -> Any:
    """Return one export page's JSON body."""
    params: dict[str, Any] = {"limit": PAGE, "area": area}
    if cursor:
        params["cursor"] = cursor
    headers = {"Authorization": f"Bearer {token}"}
    response = client.get("/api/v1/responses", query_string=params, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def main() -> None:
    """Load, rebuild, time and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--responses", type=int, default=10_000_000)
    parser.add_argument("--chunk", type=int, default=20_000, help="rows per bulk insert")
    parser.add_argument("--pg-url", default=os.environ.get("DOORSTEP_BENCH_PG_URL", PG_URL))
    args = parser.parse_args()
    n = args.responses
    load_before = load_average()
    table: list[tuple[str, str, str]] = []
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp, fresh_postgres(args.pg_url, "doorstep_scale") as url:
        app = create_app({"INSTANCE_PATH": tmp, "DATABASE_URL": url, "SECRET_KEY": "bench"})
        with app.app_context():
            db.create_all()
            add_survey(db.session, SURVEY)
            upsert_areas(db.session, AREAS)
            _, token = create_user(db.session, "bench-admin", "admin")
            db.session.commit()
            t0 = time.perf_counter()
            received = datetime(2025, 1, 1, tzinfo=UTC)
            for start in range(0, n, args.chunk):
                part = rows(rng, min(args.chunk, n - start), received + timedelta(seconds=start))
                write_rows(db.session, Response.__table__, part)
                db.session.commit()
            t_load = time.perf_counter() - t0
            t0 = time.perf_counter()
            counted = rebuild(db.session)
            db.session.commit()
            t_rebuild = time.perf_counter() - t0
            # what autovacuum would reach in time, now: planner statistics, no dead rows, and
            # the load's dirty pages written, so the reads below are not timed in their shadow
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE"))
                conn.execute(sa.text("CHECKPOINT"))  # needs a superuser or pg_checkpoint
            size = db.session.scalar(sa.text("SELECT pg_database_size(current_database())"))
            table.append(("bulk load (write_rows, json_to_recordset)", f"{t_load:.1f} s",
                          f"{n / t_load:,.0f} responses/s"))  # fmt: skip
            table.append(("full aggregate rebuild", f"{t_rebuild:.1f} s",
                          f"{counted:,} responses counted"))  # fmt: skip
            period = Period(TODAY - timedelta(days=89), TODAY)
            area = "area-07"
            t_pri = timed(lambda: ranked(db.session, area, period), 21)
            t_pri_base = timed(lambda: baseline(area, period), 5)
            table.append(("priorities, one area, 90 days", f"{t_pri * 1000:.1f} ms",
                          "median of 21 (target < 50 ms at 10M)"))  # fmt: skip
            ratio = t_pri_base / t_pri
            table.append(("  baseline: GROUP BY over raw responses", f"{t_pri_base * 1000:.1f} ms",
                          f"median of 5; {ratio:.0f}x the aggregates' time"))  # fmt: skip
            group = db.session.scalar(sa.select(Group).where(Group.code == "g2"))
            members = [a["code"] for a in AREAS if a["group"] == "g2"]
            t_agenda = timed(lambda: build_agenda(db.session, group, TODAY), 5)
            t_agenda_base = timed(lambda: [baseline(a, period) for a in members], 3)
            table.append((f"agenda, one group ({len(members)} areas)", f"{t_agenda * 1000:.1f} ms",
                          "median of 5"))  # fmt: skip
            table.append(("  baseline: GROUP BY for each of its areas",
                          f"{t_agenda_base * 1000:.1f} ms",
                          f"median of 3; {t_agenda_base / t_agenda:.1f}x"))  # fmt: skip
            client = app.test_client()
            first = timed(lambda: export_page(client, token, area, None), 11)
            table.append(("export, first page of 500 (API)", f"{first * 1000:.1f} ms",
                          "median of 11"))  # fmt: skip
            in_area = db.session.scalar(sa.select(sa.func.count()).where(Response.area == area))
            k = min(19, in_area // PAGE - 1)  # the 20th page, or the last full one
            if k >= 1:
                cursor = None
                for _ in range(k):
                    cursor = export_page(client, token, area, cursor)["next"]
                deep = timed(lambda: export_page(client, token, area, cursor), 11)
                last = db.session.execute(
                    sa.select(Response.received_at, Response.id).where(Response.area == area)
                    .order_by(Response.received_at, Response.id).offset(k * PAGE - 1).limit(1)
                ).one()  # fmt: skip
                keyset = {"area": area, "at": last[0], "id": last[1], "limit": PAGE}
                plain = timed(lambda: db.session.execute(BASELINE_PAGE, keyset).all(), 11)
                table.append((f"export, page {k + 1} of 500 (API)", f"{deep * 1000:.1f} ms",
                              f"median of 11; {deep / plain:.1f}x the baseline"))  # fmt: skip
                note = "median of 11; no JSON, no HTTP"
                table.append(("  baseline: plain keyset SELECT, same rows",
                              f"{plain * 1000:.1f} ms", note))  # fmt: skip
            db.session.remove()
            db.engine.dispose()
    print(
        f"scale benchmark: {n:,} responses over {len(AREAS)} areas in 5 groups, {DAYS} days, "
        f"PostgreSQL ({size / 2**30:.2f} GiB after load and rebuild); {os.cpu_count()} CPUs; "
        f"load average {load_before} before, {load_average()} after"
    )
    print()
    print("| what | time | note |")
    print("| --- | ---: | --- |")
    for what, took, note in table:
        print(f"| {what} | {took} | {note} |")


if __name__ == "__main__":
    main()
