"""Measure importing a force's year of police.uk street-level crime (issue 18: ≥ 100,000 rows/s).

Writes a street-level CSV of N rows (default 300,000: a large force's year) over 2,000 LSOAs, a
tenth of them mapped to 40 areas, with the real header and the real crime types, then times in
one run (best of R):

  csv.reader pass        the baseline: read every row of the file with the csv module, nothing else
  count_file             ours: read, check and count every row by force, month, area, category
  import_crime (SQLite)  end to end: count, then replace the (force, month) counts in a database

and reports the peak RSS of a fresh process that imports the file (``VmHWM``) against one that
only reads it with csv.reader: memory must not grow with the file.

Run: .venv/bin/python bench/crime_import.py [--rows 300000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.crime.police_csv import CRIME_TYPES, HEADER, CrimeCounts, count_file  # noqa: E402

LSOAS = [f"E01{n:06d}" for n in range(2000)]
MAPPED = {lsoa: f"area-{i % 40:02d}" for i, lsoa in enumerate(LSOAS[:200])}
TYPES = list(CRIME_TYPES)


def write(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for i in range(rows):
            crime_type = rng.choice(TYPES)
            asb = crime_type == "Anti-social behaviour"
            out.writerow(
                [
                    "" if asb else f"{rng.getrandbits(128):032x}",
                    f"2025-{i * 12 // rows + 1:02d}",
                    "Leicestershire Police",
                    "Leicestershire Police",
                    f"-1.{rng.randint(0, 999999):06d}",
                    f"52.{rng.randint(0, 999999):06d}",
                    "On or near Abbey Road",
                    rng.choice(LSOAS),
                    "Leicester 001A",
                    crime_type,
                    "" if asb else "Investigation complete; no suspect identified",
                    "",
                ]
            )


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def read_only(path: Path) -> int:
    with open(path, newline="", encoding="utf-8") as fh:
        return sum(1 for _ in csv.reader(fh))


def counted(path: Path) -> CrimeCounts:
    counts = CrimeCounts()
    with open(path, newline="", encoding="utf-8") as fh:
        count_file(fh, path.name, MAPPED, counts)
    return counts


def import_sqlite(path: Path, workdir: Path) -> None:
    from server import create_app
    from server.catalogue.deployment import upsert_areas
    from server.crime.records import import_crime, set_lsoas
    from server.db import db, utcnow
    from server.models import Area

    url = f"sqlite:///{workdir / 'bench.db'}"
    if (workdir / "bench.db").exists():
        (workdir / "bench.db").unlink()
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(workdir / "instance")})
    with app.app_context():
        db.create_all()
        upsert_areas(
            db.session,
            [{"code": f"area-{i:02d}", "name": f"Area {i}", "group": "g"} for i in range(40)],
        )
        for area in db.session.query(Area):
            set_lsoas(db.session, area, [k for k, v in MAPPED.items() if v == area.code])
        db.session.commit()
        t0 = time.perf_counter()
        with open(path, newline="", encoding="utf-8") as fh:
            import_crime(db.session, [(path.name, fh)], now=utcnow())
        db.session.commit()
        elapsed = time.perf_counter() - t0
        db.engine.dispose()
    return elapsed


PEAK = """
import csv, sys
sys.path.insert(0, {root!r})
mode, path = sys.argv[1], sys.argv[2]
if mode == "read":
    with open(path, newline="", encoding="utf-8") as fh:
        for _ in csv.reader(fh):
            pass
else:
    from bench.crime_import import counted
    from pathlib import Path
    counted(Path(path))
print([l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1])
"""


def peak_kb(mode: str, path: Path) -> int:
    root = str(Path(__file__).resolve().parent.parent)
    code = PEAK.format(root=root)
    out = subprocess.run(
        [sys.executable, "-c", code, mode, str(path)], capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        small, big = work / "small.csv", work / "street.csv"
        write(small, args.rows // 10)
        write(big, args.rows)
        size = big.stat().st_size / 1e6
        t_read = best(lambda: read_only(big), args.repeat)
        t_count = best(lambda: counted(big), args.repeat)
        t_import = min(import_sqlite(big, work) for _ in range(args.repeat))
        rss = {
            (mode, name): peak_kb(mode, path) / 1024
            for mode in ("read", "count")
            for name, path in (("small", small), ("big", big))
        }
    rows = args.rows
    load = os.getloadavg()[0]
    print(f"crime import bench: {rows:,} rows, {size:.0f} MB; load average {load:.1f}")
    print("| what | seconds | rows/s | × baseline |")
    print("| --- | ---: | ---: | ---: |")
    for name, t in (
        ("csv.reader pass (baseline)", t_read),
        ("count_file", t_count),
        ("import_crime, SQLite", t_import),
    ):
        print(f"| {name} | {t:.2f} | {rows / t:,.0f} | {t / t_read:.2f} |")
    print()
    print(f"| peak RSS MB | {rows // 10:,} rows | {rows:,} rows |")
    print("| --- | ---: | ---: |")
    for mode, name in (("read", "csv.reader pass (baseline)"), ("count", "count_file")):
        print(f"| {name} | {rss[(mode, 'small')]:.0f} | {rss[(mode, 'big')]:.0f} |")


if __name__ == "__main__":
    main()
