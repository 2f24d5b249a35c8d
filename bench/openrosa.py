"""Measure the OpenRosa endpoints against push, in one run, on one server process.

A fresh server (``doorstep server serve``, waitress, its own process, SQLite, ``init --demo``)
holds 20 surveys (the bundled ones and copies of doorstep-safety under other ids). One
Northfield device is enrolled for push and one ODK Collect phone (``enroll-collect``); N
realistic doorstep responses (bench/validate.py's generator, invalid ones left out) are sent:

  openrosa POST submission   one instance per request, multipart, as ODK Collect sends them
  push, batches of 1         the same responses as push JSON, one per request (same shape)
  push, batches of B         the same responses in batches of B (the collector's way)

each a fresh copy of the responses (new ids), so every one is accepted. Then, with the forms
already rendered once (the cache), the time to serve ``formList`` of 20 surveys and one form
(median of R requests on a kept-alive connection), and the first ``formList`` that renders all
20 forms (cold).

Run: .venv/bin/python bench/openrosa.py [--responses 1000] [--batch 200] [--repeat 50]
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import requests  # noqa: E402
from validate import build  # noqa: E402  (bench/validate.py: realistic doorstep responses)

from survey_schemas import bundled_registry, check_response  # noqa: E402
from sync.openrosa import build_instance  # noqa: E402

# bench/sync.py's server helpers (its module name would clash with the sync package).
_spec = importlib.util.spec_from_file_location("bench_sync", ROOT / "bench" / "sync.py")
assert _spec is not None and _spec.loader is not None
bench_sync = sys.modules["bench_sync"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_sync)

AREAS = ["abbey", "bell-green", "canal-side"]  # the demo group Northfield's areas
SURVEYS = 20


def responses(n: int) -> list[dict[str, Any]]:
    """Return ``n`` valid doorstep-safety v1 responses in Northfield's areas."""
    registry = bundled_registry()
    out: list[dict[str, Any]] = []
    seed = 7
    while len(out) < n:
        docs, _ = build(n, seed)
        seed += 1
        for i, text in enumerate(docs):
            doc = json.loads(text)
            doc["area"] = AREAS[i % len(AREAS)]
            doc.pop("volunteer", None)  # not in an XForm instance: keep both wires alike
            doc.pop("language", None)
            _, errors = check_response(doc, registry.find, allowed_areas=set(AREAS))
            if not errors:
                out.append(doc)
    return out[:n]


def fresh(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return a copy of the responses with new ids (so each is new to the server)."""
    out = copy.deepcopy(items)
    for item in out:
        item["id"] = str(uuid.uuid4())
    return out


def add_surveys(instance: Path) -> None:
    """Bring the server to 20 surveys with copies of doorstep-safety under other ids."""
    base = bundled_registry().get("doorstep-safety", 2).definition
    have = {s.id for s in bundled_registry()}
    for n in range(SURVEYS - len(have)):
        path = instance / f"copy-{n}.json"
        path.write_text(json.dumps({**base, "id": f"bench-copy-{n:02d}"}), encoding="utf-8")
        bench_sync.doorstep(instance, "add-survey", str(path), "--group", "northfield")


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f}/s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    survey = bundled_registry().get("doorstep-safety", 1)
    items = responses(args.responses)
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp) / "server"
        instance.mkdir()
        bench_sync.doorstep(instance, "init", "--demo")
        add_surveys(instance)
        code = json.loads(
            bench_sync.doorstep(instance, "enroll-code", "--group", "northfield", "--json")
        )["code"]
        with bench_sync.live_server(instance) as (url, _pid):
            phone = json.loads(
                bench_sync.doorstep(
                    instance,
                    "enroll-collect",
                    "--group",
                    "northfield",
                    "--label",
                    "bench",
                    "--url",
                    url,
                    "--json",
                )  # fmt: skip
            )["server_url"]
            http = requests.Session()
            token = http.post(
                f"{url}/api/v1/devices/enroll", json={"code": code, "label": "push"}, timeout=30
            ).json()["token"]
            push_headers = {"Authorization": f"Bearer {token}"}

            # Cold: the first form list renders every form with pyxform.
            t0 = time.perf_counter()
            listed = http.get(f"{phone}/formList", timeout=60)
            cold = time.perf_counter() - t0
            assert listed.status_code == 200 and listed.text.count("<xform>") == SURVEYS

            rows: list[tuple[str, int, float]] = []
            sent = fresh(items)
            instances = [build_instance(survey, r) for r in sent]
            t0 = time.perf_counter()
            for data in instances:
                reply = http.post(
                    f"{phone}/submission",
                    files={"xml_submission_file": ("submission.xml", data, "text/xml")},
                    headers={"X-OpenRosa-Version": "1.0"},
                    timeout=60,
                )
                if reply.status_code != 201:
                    log = (instance / "serve.log").read_text()[-3000:]
                    raise SystemExit(f"{reply.status_code}: {reply.text}\n{log}")
            rows.append(("openrosa POST submission (1 per request)", len(sent), _since(t0)))

            for size in (1, args.batch):
                sent = fresh(items)
                t0 = time.perf_counter()
                for start in range(0, len(sent), size):
                    reply = http.post(
                        f"{url}/api/v1/sync/push",
                        json={"responses": sent[start : start + size]},
                        headers=push_headers,
                        timeout=120,
                    )
                    results = reply.json()["results"]
                    assert all(r["status"] == "accepted" for r in results), results[:3]
                rows.append((f"push, batches of {size}", len(sent), _since(t0)))

            form_url = f"{phone}/forms/doorstep-safety/2.xml"
            timings = {}
            for name, target in (
                ("formList, 20 surveys", f"{phone}/formList"),
                ("one form", form_url),
            ):
                times = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    assert http.get(target, timeout=30).status_code == 200
                    times.append(time.perf_counter() - t0)
                timings[name] = statistics.median(times)
            size = len(http.get(form_url, timeout=30).content)

    print(f"{args.responses} doorstep-safety v1 responses, server: waitress, 1 process, SQLite\n")
    print("| how | responses | seconds | responses/s |")
    print("| --- | ---: | ---: | ---: |")
    for name, n, seconds in rows:
        print(f"| {name} | {n} | {seconds:.2f} | {rate(n, seconds)} |")
    print("\n| served (cached forms) | median ms |")
    print("| --- | ---: |")
    for name, seconds in timings.items():
        print(f"| {name} | {seconds * 1000:.1f} |")
    print(f"| first formList (renders 20 forms) | {cold * 1000:.0f} |")
    print(f"\none form: {size:,} bytes; {args.repeat} requests each on one kept-alive connection")


def _since(t0: float) -> float:
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
