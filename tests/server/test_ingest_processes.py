"""Two processes ingesting the same batch at once store each response once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from server.db import db
from server.models import Response

from .conftest import make_response

WORKER = """
import json, sys
from server import create_app
from server.db import db, utcnow
from server.intake.ingest import ingest_batch
app = create_app({"DATABASE_URL": sys.argv[1], "INSTANCE_PATH": sys.argv[2], "SECRET_KEY": "t"})
items = json.load(open(sys.argv[3]))
print("ready", flush=True)
sys.stdin.readline()  # start together
with app.app_context():
    outcomes = ingest_batch(db.session, items, now=utcnow())
    db.engine.dispose()
print(json.dumps([o.status for o in outcomes]))
"""


def test_two_processes_ingesting_one_batch_store_it_once(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps([make_response() for _ in range(300)]))
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, database_url, str(tmp_path / "inst"), str(batch)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready"
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = []
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0
        results.append(json.loads(out.strip().splitlines()[-1]))
    for position in range(300):
        assert sorted(r[position] for r in results) == ["accepted", "duplicate"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 300
