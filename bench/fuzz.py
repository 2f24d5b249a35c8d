"""Fuzz both APIs with schemathesis at full size: the server on SQLite and PostgreSQL, a collector.

Each API's own OpenAPI document drives the run: ``--examples`` positive and as many negative
cases per operation, over real HTTP to waitress on loopback, with an admin token (a provider's
for provider-only routes) and a device token for the device routes. Prints a table per API:
operations, cases, server errors (5xx), schema violations (undocumented status, content type
or body), time; then every finding. Exit status 1 if anything was found.

Run: ``.venv/bin/python bench/fuzz.py [--examples 200] [--pg URL]`` (``--pg`` defaults to
``DOORSTEP_TEST_DATABASE_URL``; without one, PostgreSQL is left out and the table says so).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server import create_app  # noqa: E402
from server.catalogue.deployment import upsert_areas  # noqa: E402
from server.catalogue.surveys import add_survey  # noqa: E402
from server.db import db  # noqa: E402
from tests.fuzz.runner import Report, fuzz  # noqa: E402
from tests.fuzz.test_server_fuzz import known, token_headers  # noqa: E402
from tests.hostile.collector_targets import serve_collector  # noqa: E402
from tests.server.conftest import AREAS, TEST_SURVEY, Clock, serve_in_thread  # noqa: E402


@contextlib.contextmanager
def server_app(database: str, pg_url: str | None) -> Iterator[object]:
    """Yield a server app on a fresh SQLite file or a private PostgreSQL schema."""
    with tempfile.TemporaryDirectory() as tmp:
        schema = None
        if database == "sqlite":
            url = f"sqlite:///{tmp}/doorstep.db"
        else:
            assert pg_url
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            admin = sa.create_engine(pg_url)
            with admin.begin() as conn:
                conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
            sep = "&" if "?" in pg_url else "?"
            url = f"{pg_url}{sep}options=-csearch_path%3D{schema}"
        app = create_app(
            {
                "TESTING": True,
                "INSTANCE_PATH": f"{tmp}/instance",
                "DATABASE_URL": url,
                "SECRET_KEY": "bench",
                "CLOCK": Clock(),
            }
        )
        with app.app_context():
            db.create_all()
            add_survey(db.session, dict(TEST_SURVEY))
            upsert_areas(db.session, AREAS)
            db.session.commit()
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            if schema:
                with admin.begin() as conn:
                    conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()


@contextlib.contextmanager
def collector_app() -> Iterator[tuple[object, str]]:
    """Yield a collector app on a fresh data folder (test survey pulled) and its URL."""
    with tempfile.TemporaryDirectory() as tmp, serve_collector(Path(tmp)) as served:
        yield served


def databases(pg_url: str | None) -> list[str]:
    """Return the server databases this run covers."""
    return ["sqlite", "postgresql"] if pg_url else ["sqlite"]


def machine() -> str:
    """Return a line naming the machine the figures came from."""
    python = platform.python_version()
    return f"{platform.node()}: {platform.platform()}, Python {python}, {os.cpu_count()} CPUs"


def main() -> int:
    """Fuzz each API, print the tables and the findings."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=200, help="cases per operation and mode")
    parser.add_argument("--pg", default=os.environ.get("DOORSTEP_TEST_DATABASE_URL"))
    parser.add_argument("--seed-random", action="store_true", help="new cases each run")
    args = parser.parse_args()
    reports: list[tuple[str, Report]] = []
    for database in databases(args.pg):
        with server_app(database, args.pg) as app, serve_in_thread(app) as url:  # type: ignore[arg-type]
            report = fuzz(
                "server",
                url,
                token_headers(app),
                args.examples,  # type: ignore[arg-type]
                known=known(app, url),  # type: ignore[arg-type]
                derandomize=not args.seed_random,
            )
            reports.append((f"server on {database}", report))
    with collector_app() as (app, url):
        report = fuzz(
            "collector", url, lambda _: {}, args.examples, derandomize=not args.seed_random
        )
        reports.append(("collector (TinyDB)", report))
    print(
        f"schemathesis fuzz, {args.examples} positive + {args.examples} negative cases per "
        f"operation at most; {machine()}"
    )
    if not args.pg:
        print("PostgreSQL: not run (no --pg and no DOORSTEP_TEST_DATABASE_URL)")
    print()
    print("| API | operations | cases | server errors | schema violations | seconds |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, r in reports:
        print(
            f"| {name} | {r.operations} | {r.cases} | {r.server_errors} | {r.violations} | "
            f"{r.seconds:.1f} |"
        )
    found = [(name, r) for name, r in reports if r.findings]
    for name, r in found:
        print(f"\n{name}:\n{r.summary()}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
