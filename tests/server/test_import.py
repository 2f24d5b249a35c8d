"""`doorstep server import`: same idempotency and outcomes as push; bad bundles change nothing."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import func, select

from server.cli import main
from server.db import db, utcnow
from server.exceptions import InvalidInput
from server.intake import ingest
from server.intake.bundles import import_bundle
from server.models import Response
from sync.bundle import write_bundle

from .conftest import make_response


def stored(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Response))


def test_importing_a_bundle_twice_changes_nothing(
    app: Flask, runner: CliRunner, tmp_path: Path
) -> None:
    bundle = tmp_path / "field.bundle"
    items = [make_response() for _ in range(3)] + [make_response(survey_version=7)]
    write_bundle(items, bundle)
    first = runner.invoke(main, ["server", "import", str(bundle), "--json"])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.output)
    assert (summary["accepted"], summary["rejected"]) == (3, 1)
    second = json.loads(runner.invoke(main, ["server", "import", str(bundle), "--json"]).output)
    assert (second["accepted"], second["duplicate"], second["rejected"]) == (0, 3, 1)
    assert stored(app) == 3


def test_bundle_and_push_share_idempotency(app: Flask, client, device: str, tmp_path: Path) -> None:
    item = make_response()
    client.post(
        "/api/v1/sync/push",
        json={"responses": [item]},
        headers={"Authorization": f"Bearer {device}"},
    )
    bundle = tmp_path / "b.bundle"
    write_bundle([item], bundle)
    with app.app_context():
        result = import_bundle(db.session, bundle, now=utcnow())
    assert result["duplicate"] == 1
    assert stored(app) == 1


@pytest.mark.parametrize("damage", ["truncate", "alter"])
def test_damaged_bundle_is_refused_and_nothing_imported(
    app: Flask, runner: CliRunner, tmp_path: Path, damage: str
) -> None:
    bundle = tmp_path / "field.bundle"
    write_bundle([make_response() for _ in range(5)], bundle)
    lines = gzip.decompress(bundle.read_bytes()).split(b"\n")
    if damage == "truncate":
        lines = lines[:3]
    else:
        lines[2] = lines[2].replace(b"abbey", b"elm-park")
    bundle.write_bytes(gzip.compress(b"\n".join(lines)))
    result = runner.invoke(main, ["server", "import", str(bundle)])
    assert result.exit_code == 1
    assert "refused" in result.output and "Traceback" not in result.output
    assert stored(app) == 0


def test_failure_part_way_rolls_back_the_whole_bundle(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "big.bundle"
    write_bundle([make_response() for _ in range(600)], bundle)
    calls = []

    counted = ingest.apply_responses

    def fail_on_second_batch(session, rows) -> None:
        calls.append(len(rows))
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        counted(session, rows)

    monkeypatch.setattr(ingest, "apply_responses", fail_on_second_batch)
    with app.app_context(), pytest.raises(RuntimeError):
        import_bundle(db.session, bundle, now=utcnow())
    assert calls == [500, 100]
    assert stored(app) == 0


def test_not_a_bundle_is_invalid_input(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with app.app_context(), pytest.raises(InvalidInput):
        import_bundle(db.session, path, now=utcnow())
