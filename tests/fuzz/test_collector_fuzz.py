"""schemathesis against a live collector on loopback: no 5xx, every answer as documented."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import schemathesis

from tests.fuzz.runner import documented_operations, fuzz
from tests.hostile.collector_targets import serve_collector

EXAMPLES = 10


@pytest.fixture
def live_collector(tmp_path: Path) -> Iterator[str]:
    """Yield the base URL of a collector (real store on disk) served by waitress on loopback."""
    with serve_collector(tmp_path) as (_, url):
        yield url


def test_collector_api_has_no_server_errors_and_keeps_to_its_document(
    live_collector: str,
) -> None:
    report = fuzz("collector", live_collector, lambda _: {}, EXAMPLES)
    assert report.operations == documented_operations(live_collector)
    assert report.cases >= report.operations * 2
    assert report.server_errors == 0 and report.violations == 0, report.summary()


def test_collector_document_is_valid_openapi_3_1(live_collector: str) -> None:
    doc = requests.get(f"{live_collector}/api/v1/openapi.json", timeout=30).json()
    schemathesis.openapi.from_dict(doc).validate()  # raises on a document that breaks the spec
    assert set(doc["paths"]) >= {"/api/v1/health", "/api/v1/responses", "/api/v1/status"}
