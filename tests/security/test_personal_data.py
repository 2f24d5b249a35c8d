"""Consented contact details stay out of logs, exports, agendas, priorities and public pages.

One full flow on real parts: a response with a name, phone and email saved through the
collector's API, synced to the server on loopback by the sync client, merged, then read back
every way a coordinator or the public can — while every log record of both apps is captured.
The details are sealed on the device (docs/contact-details.md): no file of the collector's data
folder, no bundle and no byte of the server's database (SQLite files, or a pg_dump) holds them
in the clear at any point.
"""

from __future__ import annotations

import gzip
import json
import logging
import subprocess
import traceback
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from collector.app import close_app
from collector.app import create_app as create_collector
from server.accounts.users import create_user
from server.catalogue.surveys import add_survey
from server.cli import main
from server.db import db
from server.models import PersonalDetail
from survey_schemas import bundled_registry
from sync.client import SyncClient
from sync.engine import sync_store
from tests.collector.test_api import KEY
from tests.sealing_keys import add_server_key, opened, wire_keys
from tests.server.conftest import bearer, user_token
from tests.server.test_web_data import PASSWORD, sign_in

NAME, PHONE, EMAIL = "Mavis Quenby-Trott", "07700 900461", "mavis.qt@example.org"
PERSONAL = (NAME, PHONE, EMAIL, "Quenby", "900461", "mavis.qt")


def survey() -> dict[str, Any]:
    """Return the doorstep survey collectors offer now (its latest bundled version)."""
    return dict(bundled_registry().latest("doorstep-safety").definition)


def with_contact() -> dict[str, Any]:
    """Return a doorstep response whose resident agreed to be contacted back."""
    return {
        "survey_id": "doorstep-safety",
        "survey_version": survey()["version"],
        "area": "abbey",
        "method": "doorstep",
        "consent": True,
        "answers": {
            "consent": True,
            "concerns": ["speeding", "other"],
            "severity": 4,
            "other_concern": "Cars race past the school at night",
            "recontact": True,
        },
        "personal": {"contact_name": NAME, "contact_phone": PHONE, "contact_email": EMAIL},
    }


def leaks(text: str) -> list[str]:
    """Return the pieces of contact detail found in ``text``."""
    return [piece for piece in PERSONAL if piece.lower() in text.lower()]


def log_everything(caplog: pytest.LogCaptureFixture) -> None:
    """Capture every logger at DEBUG, as an operator chasing a fault would, SQL echo included."""
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # SQLAlchemy's own default: WARN
    caplog.set_level(logging.DEBUG)  # last: it also sets the capturing handler's level


def record_text(record: logging.LogRecord) -> str:
    """Return everything a log handler could write for ``record``."""
    parts = [record.getMessage(), repr(record.args), repr(record.__dict__)]
    if record.exc_info:
        parts.append("".join(traceback.format_exception(*record.exc_info)))
    return "\n".join(parts)


@pytest.fixture
def flow(
    app: Flask,
    client: FlaskClient,
    live_server: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> dict[str, Any]:
    """Run the flow up to the merge; return what later reads need."""
    log_everything(caplog)
    with app.app_context():
        add_survey(db.session, survey())
        db.session.commit()
    add_server_key(app)
    data = tmp_path / "pi"
    collector = collector_with_contact(data)
    store = collector.extensions["doorstep_store"]
    # Sealed before they were saved: the device never holds them in the clear.
    assert not [piece for piece in PERSONAL if on_disk(data, piece)]
    (queued,) = store.unsynced()
    assert opened(queued["personal"], queued["id"])["contact_phone"] == PHONE
    code = runner_json(app, ["server", "enroll-code", "--json"])["code"]
    with SyncClient(live_server) as sync:
        enrolled = sync.enroll(code, "pi")
        store.set_device(live_server, enrolled.device_id, enrolled.token)
        assert sync_store(store, sync).accepted == 1
    # Acknowledged: the device forgets them, journal included (the server has them now).
    assert not [piece for piece in PERSONAL if on_disk(data, piece)]
    assert store.status()["stored"] == 1  # the answers stay
    close_app(collector)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PersonalDetail)) == 1
    assert not leaks(database_text(app)), "the server's database holds them only sealed"
    return {"token": user_token(app, "cora-api", group="northfield")}


def database_text(app: Flask) -> str:
    """Return every byte the server's database keeps: the SQLite files, or a pg_dump."""
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        main_file = Path(url.removeprefix("sqlite:///"))
        files = [p for p in main_file.parent.glob(main_file.name + "*") if p.is_file()]
        return b"".join(p.read_bytes() for p in files).decode("latin-1")
    base, _, options = url.partition("?")
    schema = options.rsplit("search_path%3D", 1)[1]
    dump = subprocess.run(
        ["pg_dump", "--data-only", f"--schema={schema}", base.replace("+psycopg", "")],
        capture_output=True,
        check=True,
    )
    return dump.stdout.decode("utf-8")


def collector_with_contact(data: Path) -> Flask:
    """Return a collector app that has saved one response with contact details, by its API."""
    collector = create_collector({"data": data, "local_key": KEY, "TESTING": True})
    collector.extensions["doorstep_store"].set_pulled(surveys=[survey()], contact_keys=wire_keys())
    saved = collector.test_client().post("/api/v1/responses", json=with_contact())
    assert saved.status_code == 201, saved.get_json()
    return collector


def on_disk(folder: Path, text: str) -> bool:
    """Return whether any file under ``folder`` holds ``text`` (as UTF-8 or JSON-escaped)."""
    needles = {text.encode(), json.dumps(text).encode()}
    files = [p for p in folder.rglob("*") if p.is_file()]
    return any(needle in p.read_bytes() for p in files for needle in needles)


def cli_env(app: Flask) -> dict[str, str]:
    """Return the environment that points ``doorstep server`` commands at the app's database."""
    return {
        "DOORSTEP_DATABASE_URL": app.config["DATABASE_URL"],
        "DOORSTEP_INSTANCE": app.instance_path,
        "DOORSTEP_SECRET_KEY": "test",
    }


def _xlsx_text(data: bytes) -> str:
    """Return every cell of a workbook as text, one row a line."""
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    try:
        return "\n".join(
            " ".join("" if c is None else str(c) for c in row)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    finally:
        book.close()


def runner_json(app: Flask, args: list[str]) -> dict[str, Any]:
    """Run a ``doorstep`` command on the app's database; return its JSON output."""
    result = CliRunner(env=cli_env(app)).invoke(main, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_contact_details_reach_no_log_export_agenda_or_public_page(
    app: Flask, client: FlaskClient, flow: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    cora = bearer(flow["token"])
    reads = {
        "responses JSON": ("/api/v1/responses", {}),
        "responses CSV": ("/api/v1/responses", {"Accept": "text/csv"}),
        "priorities": ("/api/v1/areas/abbey/priorities", {}),
        "issues": ("/api/v1/areas/abbey/issues", {}),
        "triage": ("/api/v1/triage", {}),
        "reach": ("/api/v1/areas/abbey/reach", {}),
        "public page": ("/areas/abbey/public", {}),
        **{
            f"agenda {fmt}": (f"/api/v1/groups/northfield/agenda?format={fmt}", {})
            for fmt in ("json", "md", "html", "csv")
        },
    }
    for what, (url, headers) in reads.items():
        reply = client.get(url, headers={**cora, **headers})
        assert reply.status_code == 200, what
        assert not leaks(reply.get_data(as_text=True)), what
    browser = app.test_client()
    with app.app_context():
        create_user(db.session, "cora", "coordinator", groups=["northfield"], password=PASSWORD)
        db.session.commit()
    assert sign_in(browser, "cora").status_code == 302
    for page in ("/dashboard/", "/dashboard/areas/abbey", "/dashboard/triage/",
                 "/dashboard/areas/abbey/issues/speeding", "/dashboard/reach/",
                 "/dashboard/groups/northfield/agenda",
                 "/dashboard/export/responses?format=csv",
                 "/dashboard/export/responses?format=json"):  # fmt: skip
        html = browser.get(page).get_data(as_text=True)
        assert not leaks(html), page
    xlsx = browser.get("/dashboard/export/responses?format=xlsx&group=northfield")
    assert xlsx.status_code == 200 and not leaks(_xlsx_text(xlsx.data))
    xlsx.close()
    for report in (["priorities", "--area", "abbey", "--format", "csv"],
                   ["agenda", "--group", "northfield", "--format", "md"],
                   ["export", "--group", "northfield", "--format", "csv"],
                   ["export", "--area", "abbey", "--format", "json"]):  # fmt: skip
        result = CliRunner(env=cli_env(app)).invoke(main, ["server", *report])
        assert result.exit_code == 0 and not leaks(result.output), report
    records = caplog.get_records("setup") + caplog.records  # the flow ran in the fixture
    assert records, "the flow logged nothing: the capture is not working"
    for record in records:
        assert not leaks(record_text(record)), (record.name, record.getMessage())


def test_the_offline_bundle_carries_contact_details_only_in_their_own_block(
    app: Flask, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # By design (DESIGN.md "Offline bundles"), a bundle is a push on a USB stick: it carries the
    # consented details to the server, kept apart from the answers as on the wire.
    log_everything(caplog)
    with app.app_context():
        add_survey(db.session, survey())
        db.session.commit()
    add_server_key(app)
    collector = collector_with_contact(tmp_path / "pi")
    bundle = collector.test_client().get("/api/v1/export", headers={"X-Doorstep-Key": KEY})
    close_app(collector)
    text = gzip.decompress(bundle.data).decode("utf-8")
    assert not leaks(text) and not leaks(bundle.data.decode("latin-1"))  # sealed on the stick
    lines = [json.loads(line) for line in text.splitlines()]
    (item,) = [line for line in lines if "answers" in line]
    assert opened(item["personal"], item["id"])["contact_phone"] == PHONE
    assert not leaks(json.dumps({k: v for k, v in item.items() if k != "personal"}))
    path = tmp_path / "bundle.jsonl.gz"
    path.write_bytes(bundle.data)
    imported = runner_json(app, ["server", "import", str(path), "--json"])
    assert not leaks(json.dumps(imported))
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PersonalDetail)) == 1
    assert not leaks(database_text(app))
    assert caplog.records
    for record in caplog.records:
        assert not leaks(record_text(record)), (record.name, record.getMessage())
