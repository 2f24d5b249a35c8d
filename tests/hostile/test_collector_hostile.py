"""The hostile corpus through every write endpoint of a live collector (API and web forms)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask

from tests.hostile.collector_targets import counts, serve_collector, targets, write_rules
from tests.hostile.corpus import SMALL, gzip_bomb
from tests.hostile.run import run, table


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    """Yield a collector app (real store on disk) and its URL, served on loopback."""
    with serve_collector(tmp_path) as served:
        yield served


def test_every_collector_write_endpoint_has_corpus_coverage(
    collector: tuple[Flask, str],
) -> None:
    app, url = collector
    covered, _ = targets(url)
    missing = write_rules(app) - {(t.method, t.rule) for t in covered}
    assert not missing, f"write endpoints with no hostile-input target: {sorted(missing)}"


def test_hostile_inputs_never_break_the_collector(collector: tuple[Flask, str]) -> None:
    app, url = collector
    covered, web = targets(url)
    api = requests.Session()
    corpus = (*SMALL, gzip_bomb(app.config["MAX_CONTENT_LENGTH"]))
    rows = run(
        covered,
        corpus,
        url,
        lambda t: api if t.path.startswith("/api/") else web,
        lambda: counts(app),
        lambda: requests.get(f"{url}/api/v1/health", timeout=10).ok,
    )
    problems = [p for r in rows for p in r.problems]
    assert not problems, "\n".join(problems) + "\n" + table("collector", rows)
    assert sum(r.stored for r in rows) > 0 and sum(r.rejected for r in rows) > 0
