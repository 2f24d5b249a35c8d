"""Imports hold memory and time to a bound (issue 13): gzip bombs, deep nesting, huge XLSForms.

Each hostile file is refused with a clear message (the CLI's one error line, the dashboard's
problem list, the API's one error body) and nothing is stored.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tracemalloc
import zlib
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from collector.bundle import FORMAT, MAX_LINE_BYTES, VERSION, BundleError, read_bundle
from server.cli import main
from server.db import db
from server.models import Response, SurveyVersion
from survey_schemas.xlsform import MAX_SHEET_ROWS, XLSFormError, convert_xlsform
from tests.server.conftest import bearer, device_token
from tests.server.test_web_data import csrf_of, seed, sign_in


def bundle_of(lines: list[bytes], path: Path, *, level: int = 9) -> Path:
    """Write a gzip bundle whose manifest is honest about ``lines`` (count and checksum)."""
    body = b"".join(line + b"\n" for line in lines)
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "count": len(lines),
        "sha256": hashlib.sha256(body).hexdigest(),
        "created_at": "2025-03-01T10:00:00+00:00",
        "device": None,
    }
    with gzip.open(path, "wb", compresslevel=level) as gz:
        gz.write(json.dumps(manifest).encode() + b"\n")
        gz.write(body)
    return path


def bomb(path: Path, unzipped: int) -> Path:
    """Write a bundle whose one line unzips to ``unzipped`` bytes of spaces (a few KB on disk)."""
    chunk = b" " * (1024 * 1024)
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(json.dumps({"format": FORMAT, "version": VERSION}).encode() + b"\n")
        for _ in range(unzipped // len(chunk)):
            gz.write(chunk)
    return path


def stored(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Response))


def test_a_gzip_bomb_is_refused_without_inflating_it(tmp_path: Path):
    path = bomb(tmp_path / "bomb.bundle", 64 * 1024 * 1024)
    assert path.stat().st_size < 200 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(BundleError, match="longer than"):
            read_bundle(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # the old reader held all 64 MB at once; now at most about one line's worth
    assert peak < 4 * MAX_LINE_BYTES, peak


def test_a_bundle_past_its_total_is_refused(tmp_path: Path):
    lines = [json.dumps({"n": i, "pad": "x" * 1000}).encode() for i in range(50)]
    path = bundle_of(lines, tmp_path / "many.bundle")
    with pytest.raises(BundleError, match="more than 20000 bytes"):
        read_bundle(path, max_bytes=20000)
    assert len(read_bundle(path)[1]) == 50


def test_deeply_nested_json_is_a_clear_refusal(tmp_path: Path):
    deep = b"[" * 100_000 + b"]" * 100_000
    path = bundle_of([deep], tmp_path / "deep.bundle")
    with pytest.raises(BundleError, match="nested too deeply"):
        read_bundle(path)


@pytest.mark.parametrize("kind", ["bomb", "deep"])
def test_server_import_refuses_with_one_line_and_stores_nothing(
    app: Flask, runner: CliRunner, tmp_path: Path, kind: str
):
    if kind == "bomb":
        path = bomb(tmp_path / "bomb.bundle", 8 * 1024 * 1024)
    else:
        path = bundle_of([b'{"a": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"], tmp_path / "d.b")
    result = runner.invoke(main, ["server", "import", str(path)])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: refused") and result.output.count("\n") == 1
    assert "Traceback" not in result.output and "RecursionError" not in result.output
    assert stored(app) == 0


def test_a_deep_push_body_and_a_gzip_bomb_push_get_the_one_error_body(
    app: Flask, client: FlaskClient
):
    _, token = device_token(app)
    deep = b'{"responses": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    r = client.post(
        "/api/v1/sync/push",
        data=deep,
        headers={**bearer(token), "Content-Type": "application/json"},
    )
    assert r.status_code == 400 and r.get_json()["error"]["code"]
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    blob = packer.compress(b" " * (64 * 1024 * 1024)) + packer.flush()
    r = client.post(
        "/api/v1/sync/push",
        data=blob,
        headers={**bearer(token), "Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert r.status_code == 413 and set(r.get_json()) == {"error"}


def workbook(rows: int, cell: str = "Question") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "survey"
    sheet.append(["type", "name", "label"])
    for i in range(rows):
        sheet.append(["integer", f"q{i}", f"{cell} {i}"])
    settings = book.create_sheet("settings")
    settings.append(["form_id", "version"])
    settings.append(["big", "1"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsform_with_thousands_of_rows_is_refused_before_pyxform_reads_it(tmp_path: Path):
    path = tmp_path / "big.xlsx"
    path.write_bytes(workbook(MAX_SHEET_ROWS + 5))
    with pytest.raises(XLSFormError, match=f"more than {MAX_SHEET_ROWS} rows"):
        convert_xlsform(path)
    path.write_bytes(workbook(3, cell="x" * 5000))
    with pytest.raises(XLSFormError, match="longer than"):
        convert_xlsform(path)
    path.write_bytes(workbook(3))
    assert len(convert_xlsform(path)["questions"]) == 3


def test_an_xlsx_zip_bomb_is_refused(tmp_path: Path):
    import zipfile

    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/sharedStrings.xml", b" " * (32 * 1024 * 1024))
    assert path.stat().st_size < 200 * 1024
    with pytest.raises(XLSFormError, match="unzips to more than"):
        convert_xlsform(path)


def test_the_dashboard_refuses_a_huge_xlsform_and_adds_nothing(app: Flask, client: FlaskClient):
    seed(app, client)
    sign_in(client, "cora")
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(SurveyVersion))
    page = client.get("/dashboard/surveys/").get_data(as_text=True)
    r = client.post(
        "/dashboard/surveys/",
        data={
            "csrf_token": csrf_of(page),
            "purpose": "To find out what worries people.",
            "survey": (io.BytesIO(workbook(MAX_SHEET_ROWS + 5)), "big.xlsx"),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 400 and f"more than {MAX_SHEET_ROWS} rows" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SurveyVersion)) == before
