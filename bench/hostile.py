"""Send the full hostile-input corpus through every write endpoint of both apps.

The server (SQLite, and PostgreSQL when a URL is given) and a collector each run on waitress on
loopback; every payload of ``tests/hostile/corpus.py`` ``FULL`` (plus a gzip bomb sized to the
app's body limit) goes to every write endpoint enumerated from the URL maps, and each answer is
judged as in the tests: a 4xx that changed no row (the one error body for ``/api/``), or text
stored and shown escaped; never a 5xx or a request that hangs. Prints a table per app and
database with cases, rejected, stored, problems and time per endpoint; exit status 1 on any
problem.

Run: ``.venv/bin/python bench/hostile.py [--pg URL]`` (``--pg`` defaults to
``DOORSTEP_TEST_DATABASE_URL``).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fuzz import collector_app, databases, machine, server_app  # noqa: E402
from tests.hostile import collector_targets, server_targets  # noqa: E402
from tests.hostile.corpus import FULL, gzip_bomb  # noqa: E402
from tests.hostile.run import Row, run, table  # noqa: E402
from tests.server.conftest import serve_in_thread  # noqa: E402


def _alive(url: str) -> bool:
    return requests.get(f"{url}/api/v1/health", timeout=10).ok


def main() -> int:
    """Run the corpus through each app; print the tables and every problem."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg", default=os.environ.get("DOORSTEP_TEST_DATABASE_URL"))
    args = parser.parse_args()
    print(f"hostile-input corpus: {len(FULL) + 1} payloads; {machine()}\n")
    results: list[tuple[str, list[Row]]] = []
    for database in databases(args.pg):
        with server_app(database, args.pg) as app, serve_in_thread(app) as url:  # type: ignore[arg-type]
            covered, dashboard = server_targets.targets(app, url)  # type: ignore[arg-type]
            missing = server_targets.write_rules(app) - {(t.method, t.rule) for t in covered}  # type: ignore[arg-type]
            assert not missing, f"no target for {sorted(missing)}"
            api = requests.Session()
            rows = run(
                covered,
                (*FULL, gzip_bomb(app.config["MAX_BODY_BYTES"])),  # type: ignore[attr-defined]
                url,
                lambda t, api=api, dash=dashboard: api if t.path.startswith("/api/") else dash,
                lambda app=app: server_targets.row_counts(app),  # type: ignore[misc]
                lambda url=url: _alive(url),
                viewer=dashboard,
            )
            results.append((f"server on {database}", rows))
    with collector_app() as (app, url):
        covered, web = collector_targets.targets(url)
        missing = collector_targets.write_rules(app) - {(t.method, t.rule) for t in covered}  # type: ignore[arg-type]
        assert not missing, f"no target for {sorted(missing)}"
        api = requests.Session()
        rows = run(
            covered,
            (*FULL, gzip_bomb(app.config["MAX_CONTENT_LENGTH"])),  # type: ignore[attr-defined]
            url,
            lambda t: api if t.path.startswith("/api/") else web,
            lambda: collector_targets.counts(app),  # type: ignore[arg-type]
            lambda: _alive(url),
        )
        results.append(("collector (TinyDB)", rows))
    if not args.pg:
        print("PostgreSQL: not run (no --pg and no DOORSTEP_TEST_DATABASE_URL)\n")
    for name, rows in results:
        print(table(name, rows) + "\n")
    problems = [p for _, rows in results for r in rows for p in r.problems]
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
