"""Measure the streamed spreadsheet export on PostgreSQL against COPY … TO STDOUT CSV (issue 17).

Loads N responses (default 100,000 and 1,000,000) of the bundled doorstep survey (two versions)
into a fresh PostgreSQL database with COPY, then, each in a fresh process so peak memory is its
own, times in the same run:

  COPY (SELECT … same rows, same order) TO STDOUT CSV   the baseline: the database alone
  export csv                                            ours: server.exports.responses.write_csv
  export xlsx                                           ours: openpyxl write-only (--xlsx-sizes)

and reports rows per second and the process's peak RSS (VmHWM). Output goes to /dev/null.

Run: DOORSTEP_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test_x \\
     .venv/bin/python bench/export.py [--sizes 100000,1000000] [--xlsx-sizes 20000]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

URL = os.environ.get(
    "DOORSTEP_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test_agenda"
)
START = datetime(2025, 1, 1, tzinfo=UTC)
CONCERNS = ["speeding", "dangerous-parking", "fly-tipping", "litter", "dog-fouling", "noise"]


def _app():
    from server import create_app

    return create_app({"DATABASE_URL": URL, "SECRET_KEY": "bench", "INSTANCE_PATH": "/tmp/bx"})


def peak_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def load(sizes: list[int]) -> None:
    """Reset the schema, add the bundled surveys and one group per size, COPY its responses."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from server.catalogue.deployment import upsert_areas
    from server.catalogue.surveys import add_bundled_surveys
    from server.db import db

    app = _app()
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        add_bundled_surveys(db.session)
        upsert_areas(
            db.session,
            [
                {"code": f"s{n}-{i}", "name": f"Area {i}", "group": f"g{n}"}
                for n in sizes
                for i in range(10)
            ],
        )
        db.session.commit()
        rng = random.Random(7)
        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            for n in sizes:
                t0 = time.perf_counter()
                cols = (
                    "id, survey_id, survey_version, area, method, collected_at, received_at, "
                    "source, content_hash, answers, conflict"
                )
                with cur.copy(f"COPY responses ({cols}) FROM STDIN") as copy:
                    for i in range(n):
                        v = 1 + i % 2
                        answers = {
                            "consent": True,
                            "concerns": rng.sample(CONCERNS, 1 + i % 3),
                            "severity": 1 + i % 5,
                            "age_band": "35-49",
                            "gender": "woman",
                        }
                        if i % 7 == 0:
                            answers["concerns"].append("other")
                            answers["other_concern"] = "=cars race at night near the school"
                        at = START + timedelta(seconds=i * 7)
                        copy.write_row(
                            (
                                str(uuid.UUID(int=rng.getrandbits(128))),
                                "doorstep-safety",
                                v,
                                f"s{n}-{i % 10}",
                                "doorstep",
                                at,
                                at,
                                "bench",
                                "x" * 64,
                                json.dumps(answers),
                                False,
                            )
                        )
                raw.commit()
                print(f"loaded {n:,} responses in {time.perf_counter() - t0:.1f} s", flush=True)
            cur.execute("ANALYZE responses")
            raw.commit()
        finally:
            raw.close()


def child(kind: str, n: int) -> None:
    """Run one export to /dev/null; print rows, seconds and peak RSS as JSON."""
    from sqlalchemy import select

    from server.db import db
    from server.exports.responses import plan_export, write_csv, write_xlsx
    from server.models import Area, Group

    app = _app()
    with app.app_context():
        group = db.session.scalar(select(Group).where(Group.code == f"g{n}"))
        codes = sorted(db.session.scalars(select(Area.code).where(Area.group_id == group.id)))
        t0 = time.perf_counter()
        if kind == "copy":
            raw = db.engine.raw_connection()
            try:
                cur = raw.cursor()
                q = (
                    "COPY (SELECT id, survey_id, survey_version, area, method, collected_at, "
                    "received_at, language, street, replaces, conflict, answers FROM responses "
                    "WHERE area = ANY(%s) ORDER BY collected_at, id) TO STDOUT WITH CSV HEADER"
                )
                rows = -1
                with open(os.devnull, "wb") as sink, cur.copy(q, (codes,)) as copy:
                    for block in copy:
                        sink.write(block)
                        rows += bytes(block).count(b"\n")
            finally:
                raw.close()
        else:
            export = plan_export(db.session, codes)
            if kind == "csv":
                rows = -1
                with open(os.devnull, "w") as sink:
                    for chunk in write_csv(db.session, export):
                        sink.write(chunk)
                        rows += chunk.count("\n")
            else:
                with open(os.devnull, "wb") as sink:
                    rows = write_xlsx(db.session, export, io.BufferedWriter(sink))
        seconds = time.perf_counter() - t0
        db.session.remove()
        db.engine.dispose()
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_kib": peak_kib()}))


def measure(kind: str, n: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--n", str(n)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="100000,1000000")
    p.add_argument("--child")
    p.add_argument("--n", type=int)
    p.add_argument("--no-load", action="store_true")
    p.add_argument("--xlsx-sizes", default="20000", help="Sizes to time XLSX at too.")
    a = p.parse_args()
    if a.child:
        child(a.child, a.n)
        return
    sizes = [int(s) for s in a.sizes.split(",")]
    xlsx = {int(s) for s in a.xlsx_sizes.split(",") if s}
    if not a.no_load:
        load(sizes)
    print(f"{'responses':>10} {'what':<26} {'rows/s':>10} {'seconds':>8} {'peak RSS MiB':>13}")
    for n in sizes:
        for kind in ("copy", "csv", *(("xlsx",) if n in xlsx else ())):
            r = measure(kind, n)
            assert r["rows"] == n, (kind, r)
            name = {
                "copy": "COPY … TO STDOUT CSV",
                "csv": "export csv (ours)",
                "xlsx": "export xlsx (ours)",
            }[kind]
            print(
                f"{n:>10,} {name:<26} {n / r['seconds']:>10,.0f} {r['seconds']:>8.2f} "
                f"{r['peak_kib'] / 1024:>13.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
