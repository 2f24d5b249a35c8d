"""The hostile corpus through every write endpoint of a live server, on SQLite and PostgreSQL."""

from __future__ import annotations

import requests
from flask import Flask

from tests.conftest import ON_ONE_DATABASE
from tests.hostile.corpus import SMALL, gzip_bomb
from tests.hostile.run import run, table
from tests.hostile.server_targets import row_counts, targets, write_rules


@ON_ONE_DATABASE
def test_every_write_endpoint_rejects_hostile_input_or_stores_it_shown_escaped(
    app: Flask, live_server: str
) -> None:
    # A 2 MB body limit (the default is 16 MB) keeps the gzip bomb cheap; 1 MB strings fit.
    app.config.update(MAX_BODY_BYTES=2_000_000, MAX_CONTENT_LENGTH=2_000_000)
    covered, dashboard = targets(app, live_server)
    # Enumerated from the URL map, so a new write endpoint cannot be forgotten.
    missing = write_rules(app) - {(t.method, t.rule) for t in covered}
    assert not missing, f"write endpoints with no hostile-input target: {sorted(missing)}"
    api = requests.Session()
    corpus = (*SMALL, gzip_bomb(app.config["MAX_BODY_BYTES"]))
    rows = run(
        covered,
        corpus,
        live_server,
        lambda t: t.session or (api if t.path.startswith("/api/") else dashboard),
        lambda: row_counts(app),
        lambda: requests.get(f"{live_server}/api/v1/health", timeout=10).ok,
        viewer=dashboard,
    )
    problems = [p for r in rows for p in r.problems]
    assert not problems, "\n".join(problems) + "\n" + table("server", rows)
    assert sum(r.stored for r in rows) > 0 and sum(r.rejected for r in rows) > 0
