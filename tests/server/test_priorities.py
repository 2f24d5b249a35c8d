"""Priorities over HTTP and the CLI: hand-computed figures, method split, trend, errors."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from server.cli import main
from server.issues.facts import day_of, response_facts
from server.issues.ranking import Row, rank_rows
from server.period import Period
from survey_schemas import load_survey
from tests.factories import push_accepted
from tests.server.conftest import TEST_SURVEY, bearer, make_response, user_token

URL = "/api/v1/areas/abbey/priorities"


def resp(day: str, concerns: list[str], severity: int | None = None, **kw: Any) -> dict:
    answers: dict[str, Any] = {"concerns": concerns}
    if severity is not None:
        answers["severity"] = severity
    return make_response(collected_at=f"{day}T10:00:00+00:00", answers=answers, **kw)


FIXTURE = [
    # previous period (2025-02-01 .. 2025-02-14): 2 respondents, speeding once
    resp("2025-02-03", ["speeding"], 5),
    resp("2025-02-10", ["other"]),
    # current period (2025-02-15 .. 2025-02-28): 4 respondents
    resp("2025-02-15", ["speeding", "litter"], 5),
    resp("2025-02-20", ["speeding"], 3),
    resp("2025-02-21", ["speeding"], method="meeting"),
    resp("2025-02-28", ["litter"], 1, method="event"),
    # another area never counts for abbey
    resp("2025-02-20", ["litter"], area="bell-green"),
]


def test_priorities_match_hand_computed_figures(app: Flask, client: FlaskClient, device: str):
    push_accepted(client, device, FIXTURE)
    token = user_token(app, "cora", group="northfield")
    got = client.get(
        URL, query_string={"since": "2025-02-15", "until": "2025-02-28"}, headers=bearer(token)
    ).get_json()
    assert got["respondents"] == 4
    assert got["respondents_by_method"] == {"doorstep": 2, "event": 1, "kiosk": 0, "meeting": 1}
    sp, li = got["priorities"]
    assert (sp["category"], sp["label"], sp["mentions"], sp["share"]) == (
        "speeding",
        "Speeding",
        3,
        0.75,
    )
    assert sp["mean_severity"] == 4.0  # (100 + 50) / 2 on 0–100 → 1 + 4 × 0.75
    assert sp["by_method"] == {"doorstep": 2, "event": 0, "kiosk": 0, "meeting": 1}
    assert sp["previous"] == {"mentions": 1, "share": 0.5} and sp["trend"] == "up"
    # 100 × 3/6 × (0.6 × 0.75 + 0.3 × 0.75 + 0.1 × 0.25) = 35.0
    assert sp["score"] == 35.0
    assert sp["status"] == "open"
    assert (li["mentions"], li["share"], li["mean_severity"], li["trend"]) == (2, 0.5, 3.0, "new")
    assert li["by_method"]["event"] == 1


def test_method_filter_shows_one_method_side(app: Flask, client: FlaskClient, device: str):
    push_accepted(client, device, FIXTURE)
    token = user_token(app, "cora", group="northfield")
    q = {"since": "2025-02-15", "until": "2025-02-28", "method": "meeting"}
    got = client.get(URL, query_string=q, headers=bearer(token)).get_json()
    assert got["respondents"] == 1
    assert [(p["category"], p["mentions"], p["share"]) for p in got["priorities"]] == [
        ("speeding", 1, 1.0)
    ]


def test_bad_query_gets_the_error_body(app: Flask, client: FlaskClient):
    token = user_token(app, "cora", group="northfield")
    for q in (
        {"method": "carrier-pigeon"},
        {"since": "yesterday"},
        {"since": "2025-03-01", "until": "2025-02-01"},
    ):
        r = client.get(URL, query_string=q, headers=bearer(token))
        assert r.status_code == 400
        assert r.get_json()["error"]["code"] == "invalid_input"


def test_cli_prints_the_same_figures(app: Flask, client: FlaskClient, device: str, runner):
    push_accepted(client, device, FIXTURE)
    args = [
        "server",
        "priorities",
        "--area",
        "abbey",
        "--since",
        "2025-02-15",
        "--until",
        "2025-02-28",
    ]
    out = runner.invoke(main, [*args, "--format", "json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    assert [(p["category"], p["mentions"], p["score"]) for p in doc["priorities"]] == [
        ("speeding", 3, 35.0),
        ("litter", 2, 20.0),  # 100 × 2/5 × (0.3 + 0.15 + 0.05)
    ]
    csv_out = runner.invoke(main, [*args, "--format", "csv"]).output.splitlines()
    assert csv_out[0].startswith("rank,category,label,mentions")
    assert csv_out[1].startswith("1,speeding,Speeding,3,0.75")
    table = runner.invoke(main, [*args, "--format", "table"]).output
    assert "Abbey (abbey)" in table and "speeding" in table
    md = runner.invoke(main, [*args, "--format", "md"]).output
    assert "| 1 | speeding | Speeding | 3 |" in md
    assert runner.invoke(main, ["server", "priorities", "--area", "nowhere"]).exit_code == 1


def test_month_rollups_give_the_same_figures_as_the_rows(app, client, device) -> None:
    push_accepted(client, device, FIXTURE)
    token = user_token(app, "cora", group="northfield")
    survey = load_survey(TEST_SURVEY)
    rows = [
        Row(
            r["area"],
            r["method"],
            day_of(datetime.fromisoformat(r["collected_at"])),
            response_facts(survey, r["answers"]),
        )
        for r in FIXTURE
    ]
    for since, until in (("2025-01-01", "2025-02-28"), ("2025-01-20", "2025-03-31")):
        got = client.get(
            URL, query_string={"since": since, "until": until}, headers=bearer(token)
        ).get_json()
        want = rank_rows(
            rows, "abbey", Period(date.fromisoformat(since), date.fromisoformat(until))
        )
        assert [
            (p["category"], p["mentions"], p["score"], p["trend"]) for p in got["priorities"]
        ] == [(p.category, p.mentions, p.score, p.trend) for p in want]
        assert got["respondents"] == want[0].respondents
