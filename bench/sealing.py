"""Measure sealing contact details: a save sealed vs in the clear, and a 10,000-resident list.

Prints two tables, each with its same-run baseline:

1. Collector saves (``ResponseStore.save_response`` on a real store on disk, fsync included),
   interleaved round-robin so the disk's mood hits all three alike: a response without contact
   details; with three contact details kept in the clear (the store before sealing, by making
   ``PersonalDetails.seal`` hand the details back as they are, in this process only); and with
   them sealed (HPKE to the group's key). Median and p95 per save, and the sealed/clear ratio.
2. The follow-up list of 10,000 consented residents (three sealed details each, every area with
   news) on a SQLite server database: ``follow_up_list`` (the passphrase's scrypt, 30,000 HPKE
   opens, the issue log), against the same query with the details left sealed (the baseline:
   everything but the opening).

    .venv/bin/python bench/sealing.py [--saves 300] [--residents 10000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from collector.sealing import ContactKey, seal_field  # noqa: E402
from collector.store import ResponseStore  # noqa: E402
from collector.store.personal import PersonalDetails  # noqa: E402
from survey_schemas import bundled_registry  # noqa: E402
from tests.sealing_keys import PASSPHRASE, wire_keys  # noqa: E402

SURVEY = bundled_registry().latest("doorstep-safety")
DETAILS = {
    "contact_name": "Mavis Quenby-Trott",
    "contact_phone": "07700 900461",
    "contact_email": "mavis.qt@example.org",
}


def _response(contact: bool) -> dict[str, Any]:
    answers: dict[str, Any] = {"consent": True, "concerns": ["speeding"], "severity": 4}
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "survey_id": SURVEY.id,
        "survey_version": SURVEY.version,
        "area": "abbey",
        "method": "doorstep",
        "answers": answers,
    }
    if contact:
        answers["recontact"] = True
        body["personal"] = dict(DETAILS)
    return body


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_saves(count: int) -> None:
    sealing = PersonalDetails.__dict__["seal"]  # the staticmethod itself
    times: dict[str, list[float]] = {"no contact details": [], "details in the clear": [],
                                     "details sealed": []}  # fmt: skip
    with tempfile.TemporaryDirectory(dir=ROOT) as tmp, ResponseStore(Path(tmp)) as store:
        store.set_pulled(contact_keys=wire_keys())
        for _ in range(count):
            for name in times:
                contact = name != "no contact details"
                clear = name == "details in the clear"
                PersonalDetails.seal = (  # type: ignore[method-assign]
                    staticmethod(lambda rid, key, details: dict(details)) if clear else sealing
                )
                body = _response(contact)
                start = time.perf_counter()
                store.save_response(body)
                times[name].append(time.perf_counter() - start)
        PersonalDetails.seal = sealing  # type: ignore[method-assign]
    print(f"\n1. collector saves, {count} each, interleaved (ms per save)\n")
    print("| save | median | p95 | × in the clear |")
    print("| --- | ---: | ---: | ---: |")
    base = statistics.median(times["details in the clear"])
    for name, values in times.items():
        med = statistics.median(values)
        print(f"| {name} | {med * 1e3:.2f} | {_pct(values, 0.95) * 1e3:.2f} | {med / base:.2f} |")


def bench_follow_up(residents: int) -> None:
    from sqlalchemy import insert, select

    from server import create_app
    from server.accounts.users import get_group
    from server.catalogue.deployment import upsert_areas
    from server.catalogue.surveys import add_survey
    from server.contacts.follow_up import follow_up_list
    from server.db import db
    from server.meetings.accountability import add_action, agree
    from server.models import Area, PersonalDetail, Response
    from tests.sealing_keys import add_server_key

    with tempfile.TemporaryDirectory(dir=ROOT) as tmp:
        now = datetime(2025, 6, 1, tzinfo=UTC)
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
                "INSTANCE_PATH": tmp,
                "SECRET_KEY": "bench",
                "CLOCK": lambda: now,
            }
        )
        areas = [{"code": f"a{i}", "name": f"Area {i}", "group": "north"} for i in range(20)]
        with app.app_context():
            db.create_all()
            add_survey(db.session, dict(SURVEY.definition))
            upsert_areas(db.session, areas)
            db.session.commit()
        add_server_key(app, "north")
        key = ContactKey.from_wire(wire_keys(("north",))[0])
        with app.app_context():
            responses, details = [], []
            for n in range(residents):
                rid = str(uuid.uuid4())
                responses.append(
                    {
                        "id": rid,
                        "survey_id": SURVEY.id,
                        "survey_version": SURVEY.version,
                        "area": f"a{n % 20}",
                        "method": "doorstep",
                        "collected_at": datetime(2025, 3, 1, tzinfo=UTC),
                        "received_at": now,
                        "content_hash": rid.replace("-", "")[:64],
                        "answers": {"consent": True, "concerns": ["speeding"], "recontact": True},
                    }
                )
                sealed = {f: seal_field(v, key, rid, f) for f, v in DETAILS.items()}
                details.append({"response_id": rid, "data": sealed, "consent": True})
            db.session.execute(insert(Response), responses)
            db.session.execute(insert(PersonalDetail), details)
            for area in db.session.scalars(select(Area)):
                issue = agree(
                    db.session, area, "speeding", owner="Council", report_back=date(2025, 5, 1),
                    on=date(2025, 3, 8),
                )  # fmt: skip
                add_action(db.session, issue, on=date(2025, 4, 2), text="Speed survey done")
            db.session.commit()
            group = get_group(db.session, "north")
            start = time.perf_counter()
            rows = db.session.execute(
                select(Response, PersonalDetail.data).join(
                    PersonalDetail, PersonalDetail.response_id == Response.id
                )
            ).all()
            baseline = time.perf_counter() - start
            db.session.expire_all()
            start = time.perf_counter()
            listed = follow_up_list(db.session, group, PASSPHRASE, now=now)
            took = time.perf_counter() - start
        assert len(listed) == len(rows) == residents and listed[0].details == DETAILS
    print(f"\n2. follow-up list of {residents:,} residents (3 sealed details each), SQLite\n")
    print("| what | seconds | × baseline |")
    print("| --- | ---: | ---: |")
    print(f"| baseline: load the residents and their sealed details | {baseline:.2f} | 1.00 |")
    print(f"| follow_up_list (unwrap, open, news, marks) | {took:.2f} | {took / baseline:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=300)
    parser.add_argument("--residents", type=int, default=10_000)
    args = parser.parse_args()
    print(f"sealing bench; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    bench_saves(args.saves)
    bench_follow_up(args.residents)


if __name__ == "__main__":
    main()
