"""The spreadsheet export: columns across versions, choices, formulas, scope, every format."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from server.accounts.users import create_user
from server.catalogue.surveys import add_survey
from server.cli import main
from server.db import db
from tests.server.conftest import TEST_SURVEY, bearer, device_token, make_response
from tests.server.test_web_data import PASSWORD, sign_in

V2: dict[str, Any] = {
    **TEST_SURVEY,
    "version": 2,
    "questions": [
        *TEST_SURVEY["questions"],
        {
            "id": "age_band",
            "type": "single_choice",
            "label": {"en": "Age?"},
            "choices": [
                {"value": "16-24", "label": {"en": "16 to 24"}},
                {"value": "25-plus", "label": {"en": "25 or over"}},
            ],
        },
        {"id": "comment", "type": "text", "label": {"en": "Anything else?"}},
    ],
}


@pytest.fixture
def seeded(app: Flask, client: FlaskClient) -> FlaskClient:
    with app.app_context():
        add_survey(db.session, dict(V2))
        create_user(db.session, "cora", "coordinator", groups=["northfield"], password=PASSWORD)
        db.session.commit()
    _, token = device_token(app)
    items = [
        make_response(collected_at="2025-02-01T10:00:00+00:00"),  # v1: speeding
        make_response(
            survey_version=2,
            collected_at="2025-02-02T10:00:00+00:00",
            answers={
                "concerns": ["litter", "other"],
                "severity": 2,
                "age_band": "16-24",
                "comment": '=HYPERLINK("http://x") call 07700 900461',
            },
        ),
        make_response(area="elm-park", collected_at="2025-02-03T10:00:00+00:00"),  # riverside
    ]
    r = client.post("/api/v1/sync/push", json={"responses": items}, headers=bearer(token))
    assert {x["status"] for x in r.get_json()["results"]} == {"accepted"}
    sign_in(client, "cora")
    return client


def _sheet(data: bytes) -> list[tuple[Any, ...]]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    try:
        return list(book.active.iter_rows(values_only=True))
    finally:
        book.close()


def _csv(client: FlaskClient, **query: str) -> list[dict[str, str]]:
    r = client.get("/dashboard/export/responses", query_string={"format": "csv", **query})
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))


def test_one_column_per_question_across_versions(seeded: FlaskClient):
    rows = _csv(seeded)
    assert [r["survey_version"] for r in rows] == ["1", "2"]  # elm-park is another group's
    v1, v2 = rows
    assert list(v1) == list(v2)  # the same columns, never shifted
    assert v1["age_band"] == "" and v1["comment"] == ""  # v1 lacked those questions
    assert (v1["concerns.speeding"], v1["concerns.litter"]) == ("1", "0")
    assert (v2["concerns.speeding"], v2["concerns.litter"], v2["concerns.other"]) == ("0", "1", "1")
    assert v2["concerns.labels"] == "Litter; Other"
    assert (v2["age_band"], v2["age_band.label"]) == ("16-24", "16 to 24")


def test_formulas_neutralised_and_contact_details_scrubbed(seeded: FlaskClient):
    comment = _csv(seeded)[1]["comment"]
    assert comment.startswith("'=HYPERLINK") and "07700" not in comment


def test_days_are_inclusive(seeded: FlaskClient):
    assert len(_csv(seeded, since="2025-02-02", until="2025-02-02")) == 1
    assert len(_csv(seeded, until="2025-02-01")) == 1


def test_another_groups_area_is_not_found(seeded: FlaskClient):
    r = seeded.get("/dashboard/export/responses", query_string={"area": "elm-park"})
    assert r.status_code == 404
    bad = seeded.get(
        "/dashboard/export/responses", query_string={"since": "2025-02-03", "until": "2025-02-01"}
    )
    assert bad.status_code == 400 and "since" in bad.get_data(as_text=True)


def test_xlsx_and_json_hold_the_same_rows(seeded: FlaskClient):
    rows = _csv(seeded, group="northfield")
    x = seeded.get("/dashboard/export/responses", query_string={"format": "xlsx"})
    assert x.status_code == 200
    data = x.data
    x.close()
    got = _sheet(data)
    assert list(got[0]) == list(rows[0]) and len(got) == 3
    assert got[2][list(rows[0]).index("comment")].startswith("'=")  # text, not a formula
    j = seeded.get("/dashboard/export/responses", query_string={"format": "json"}).get_json()
    assert j["columns"] == list(rows[0]) and len(j["responses"]) == 2
    assert j["responses"][1]["concerns.labels"] == "Litter; Other"


def test_cli_exports_a_group_to_a_file(seeded: FlaskClient, runner, tmp_path):
    out = tmp_path / "r.xlsx"
    r = runner.invoke(
        main,
        [
            "server",
            "export",
            "--group",
            "riverside",
            "--format",
            "xlsx",
            "--out",
            str(out),
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["responses"] == 1
    assert len(_sheet(out.read_bytes())) == 2
    text = runner.invoke(main, ["server", "export", "--area", "abbey", "--since", "2025-02-02"])
    assert text.exit_code == 0 and len(text.output.splitlines()) == 2
    both = runner.invoke(main, ["server", "export", "--area", "abbey", "--group", "northfield"])
    assert both.exit_code == 2 and "either --group or --area" in both.output
    unknown = runner.invoke(main, ["server", "export", "--group", "nope"])
    assert unknown.exit_code == 1 and unknown.output.strip() == "Error: no group 'nope'"
