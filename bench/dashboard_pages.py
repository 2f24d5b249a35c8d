"""Benchmark dashboard pages against the JSON API call that carries the same figures.

Ingests N responses (default 20,000) over 6 areas in 2 groups and 90 days through the real ingest
path into a SQLite file, signs a coordinator in, then times each page with the Flask test client
(in process, so the network is left out): the baseline is ``GET /api/v1/areas/<code>/priorities``
in the same run. Run: ``.venv/bin/python bench/dashboard_pages.py [--responses N] [--runs R]``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server import create_app  # noqa: E402
from server.accounts.users import create_user  # noqa: E402
from server.catalogue.deployment import upsert_areas  # noqa: E402
from server.catalogue.surveys import add_survey  # noqa: E402
from server.db import db  # noqa: E402
from server.intake.ingest import ingest_batch  # noqa: E402
from tests.server.test_web_data import WEB_SURVEY, csrf_of  # noqa: E402

AREAS = [{"code": f"area-{i}", "name": f"Area {i}", "group": f"g{i % 2}"} for i in range(6)]
NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
CONCERNS = ["speeding", "litter", "other"]


def _response(rng: random.Random) -> dict[str, Any]:
    chosen = rng.sample(CONCERNS, rng.randint(1, 2))
    answers: dict[str, Any] = {"concerns": chosen, "severity": rng.randint(1, 5)}
    if "other" in chosen:
        answers["other_concern"] = rng.choice(["Broken glass", "Loud parties", "Dark alley"])
    return {
        "id": str(uuid.uuid4()),
        "survey_id": "web-safety",
        "survey_version": 1,
        "area": rng.choice(AREAS)["code"],
        "method": rng.choice(["doorstep", "doorstep", "event", "meeting"]),
        "collected_at": (NOW - timedelta(days=rng.randint(0, 89))).isoformat(),
        "answers": answers,
    }


def main() -> None:
    """Seed, time each page, print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--responses", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "INSTANCE_PATH": tmp,
                "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
                "SECRET_KEY": "bench",
                "CLOCK": lambda: NOW,
            }
        )
        with app.app_context():
            db.create_all()
            add_survey(db.session, dict(WEB_SURVEY))
            upsert_areas(db.session, AREAS)
            _, token = create_user(db.session, "cora", "coordinator", groups=["g0"], password="pw")
            db.session.commit()
            items = [_response(rng) for _ in range(args.responses)]
            for i in range(0, len(items), 500):
                ingest_batch(db.session, items[i : i + 500], now=NOW)
        client = app.test_client()
        page = client.get("/dashboard/sign-in").get_data(as_text=True)
        client.post(
            "/dashboard/sign-in",
            data={"username": "cora", "password": "pw", "csrf_token": csrf_of(page)},
        )
        rows = [
            ("API priorities (baseline)", "/api/v1/areas/area-0/priorities", token),
            ("area page", "/dashboard/areas/area-0", None),
            ("home (3 areas)", "/dashboard/", None),
            ("triage queue", "/dashboard/triage/", None),
            ("agenda", "/dashboard/groups/g0/agenda", None),
            ("reach", "/dashboard/reach/", None),
        ]
        results = []
        for name, url, bearer in rows:
            headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                resp = client.get(url, headers=headers)
                times.append((time.perf_counter() - start) * 1000)
                assert resp.status_code == 200, (url, resp.status_code)
            results.append((name, statistics.median(times), max(times)))
        with app.app_context():
            db.engine.dispose()
    base = results[0][1]
    print(f"{args.responses} responses, 6 areas, median of {args.runs} runs (ms)\n")
    print("| request | median ms | max ms | × baseline |")
    print("| --- | ---: | ---: | ---: |")
    for name, median, worst in results:
        print(f"| {name} | {median:.1f} | {worst:.1f} | {median / base:.1f} |")


if __name__ == "__main__":
    main()
