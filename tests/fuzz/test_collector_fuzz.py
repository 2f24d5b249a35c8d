"""schemathesis against a live collector on loopback: no 5xx, every answer as documented."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from collector.app import close_app, create_app
from tests.collector.test_store import SURVEY
from tests.fuzz.runner import documented_operations, fuzz
from tests.server.conftest import serve_in_thread

EXAMPLES = 10


@pytest.fixture
def live_collector(tmp_path: Path) -> Iterator[str]:
    """Yield the base URL of a collector (real store on disk) served by waitress on loopback."""
    app = create_app({"data": tmp_path, "TESTING": True})
    app.extensions["doorstep_store"].set_pulled(surveys=[SURVEY])
    try:
        with serve_in_thread(app) as url:
            yield url
    finally:
        close_app(app)


def test_collector_api_has_no_server_errors_and_keeps_to_its_document(
    live_collector: str,
) -> None:
    report = fuzz("collector", live_collector, lambda _: {}, EXAMPLES)
    assert report.operations == documented_operations(live_collector)
    assert report.cases >= report.operations * 2
    assert report.server_errors == 0 and report.violations == 0, report.summary()
