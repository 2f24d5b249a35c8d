"""Measure what the collector's web pages cost a phone, against the smallest request there is.

In one run, against a real waitress server on loopback (keep-alive, one signed-in session):
median and p95 latency and body size of
(a) ``GET /ping`` (an empty 204: HTTP, session and headers only — the baseline),
(b) ``GET /doorstep/door`` (the one-tap door page),
(c) ``GET /doorstep/survey`` (the whole doorstep survey in one page: 13 questions),
(d) ``POST /doorstep/survey`` (parse, check, durable save, door recorded, redirect), and
(e) ``POST /api/v1/responses`` with the same answers as JSON (the same save without the page).

Run: ``.venv/bin/python bench/collector_pages.py``
"""

from __future__ import annotations

import re
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import requests
from waitress.server import create_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from collector.app import close_app, create_app  # noqa: E402

SAMPLES = 200
ANSWERS = {"consent": "yes", "concerns": ["speeding", "litter"], "severity": "4"}


def free_port() -> int:
    """Return a free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def timed(call: Callable[[], requests.Response]) -> tuple[list[float], int]:
    """Return the latencies in ms of SAMPLES calls, and the last body's size in bytes."""
    times, size = [], 0
    for _ in range(SAMPLES):
        start = time.perf_counter()
        response = call()
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code < 400, response.status_code
        size = len(response.content)
    return times, size


def main() -> None:
    """Serve a collector, sign in, and print the table."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"data": Path(tmp) / "data"})
        port = free_port()
        server = create_server(app, host="127.0.0.1", port=port, threads=4)
        threading.Thread(target=server.run, daemon=True).start()
        base = f"http://127.0.0.1:{port}"
        web = requests.Session()
        page = web.get(f"{base}/signin").text
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert found is not None
        csrf = found.group(1)
        web.post(f"{base}/signin", data={"csrf_token": csrf, "name": "Bench", "area": "abbey"})
        web.post(f"{base}/doorstep/street", data={"csrf_token": csrf, "street": "Abbey Road"})

        def post_form() -> requests.Response:
            data = {"csrf_token": csrf, "house": "1", "response_id": str(uuid.uuid4()), **ANSWERS}
            return web.post(f"{base}/doorstep/survey", data=data, allow_redirects=False)

        def post_json() -> requests.Response:
            body = {
                "survey_id": "doorstep-safety",
                "survey_version": 1,
                "area": "abbey",
                "method": "doorstep",
                "answers": {"consent": True, "concerns": ["speeding", "litter"], "severity": 4},
            }
            return web.post(f"{base}/api/v1/responses", json=body)

        rows = [
            ("GET /ping (baseline)", lambda: web.get(f"{base}/ping")),
            ("GET /doorstep/door", lambda: web.get(f"{base}/doorstep/door")),
            ("GET /doorstep/survey", lambda: web.get(f"{base}/doorstep/survey?house=1")),
            ("POST /doorstep/survey (save)", post_form),
            ("POST /api/v1/responses (same save)", post_json),
        ]
        results = [(name, *timed(call)) for name, call in rows]
        web.close()
        time.sleep(0.2)  # let waitress finish its last keep-alive channel before closing
        server.close()
        close_app(app)
    base_median = statistics.median(results[0][1])
    print(f"{SAMPLES} requests each, one keep-alive session, waitress on loopback")
    print("| request | median ms | p95 ms | × baseline | body KB |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, times, size in results:
        median = statistics.median(times)
        p95 = statistics.quantiles(times, n=20)[-1]
        ratio = median / base_median
        print(f"| {name} | {median:.2f} | {p95:.2f} | {ratio:.1f} | {size / 1024:.1f} |")


if __name__ == "__main__":
    main()
