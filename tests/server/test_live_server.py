"""The live_server fixture stops waitress without tripping over its own worker threads."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import requests
from flask import Flask

from tests.server.conftest import serve_in_thread

IN_FLIGHT = 6


def get_status(url: str) -> int:
    """GET ``url``; return its status, or 0 when the server closed before answering."""
    try:
        with requests.get(url, timeout=30) as reply:
            return reply.status_code
    except OSError:  # requests' ConnectionError, or the socket torn down under the read
        return 0


def test_stopping_with_requests_in_flight_leaves_no_waitress_threads(app: Flask) -> None:
    arrived = threading.Barrier(IN_FLIGHT + 1)
    release = threading.Event()

    def slow() -> str:
        arrived.wait(timeout=30)
        release.wait(timeout=30)
        return "done"

    app.add_url_rule("/slow", "slow", slow)
    before = set(threading.enumerate())
    with ThreadPoolExecutor(IN_FLIGHT) as pool:
        with serve_in_thread(app) as url:
            calls = [pool.submit(get_status, f"{url}/slow") for _ in range(IN_FLIGHT)]
            arrived.wait(timeout=30)
            release.set()  # the workers answer while the server is being stopped
        statuses = {call.result() for call in calls}
    assert statuses <= {200, 0}
    assert [t for t in set(threading.enumerate()) - before if t.is_alive()] == []
