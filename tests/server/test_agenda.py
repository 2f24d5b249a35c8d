"""Agenda: ward-panel order, overdue priorities carried forward by themselves, print-ready HTML."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient

from server.cli import main
from tests.server.conftest import bearer, make_response, user_token

SECTIONS = [
    "Apologies",
    "Minutes and actions from last time",
    "Status of previous priorities",
    "Updates from the police and providers",
    "Survey results",
    "Community concerns",
    "Agree up to three priorities",
    "Any other business",
    "Date of next meeting",
]


def setup_history(app: Flask, client: FlaskClient, device: str) -> str:
    """Meeting on 10 Jan agreed two priorities; only one got an update since."""
    token = user_token(app, "cora", group="northfield")
    client.put(
        "/api/v1/groups/northfield/meetings",
        headers=bearer(token),
        json={
            "date": "2025-01-10",
            "minutes": "Agreed <b>two</b> priorities",
            "apologies": ["Cllr Smith"],
        },
    )
    client.put(
        "/api/v1/groups/northfield/meetings",
        headers=bearer(token),
        json={
            "date": "2025-03-01",
            "apologies": ["PC Jones"],
            "aob": ["Summer fair"],
            "next_date": "2025-05-01",
        },
    )
    for category, owner in (("speeding", "Police"), ("litter", "Council")):
        r = client.post(
            "/api/v1/areas/abbey/issues",
            headers=bearer(token),
            json={
                "category": category,
                "owner": owner,
                "date": "2025-01-10",
                "report_back": "2025-02-15",
            },
        )
        assert r.status_code == 201
        if category == "litter":
            client.post(
                f"/api/v1/issues/{r.get_json()['id']}/actions",
                headers=bearer(token),
                json={"text": "Extra bin rounds", "date": "2025-02-10"},
            )
    items = [
        make_response(
            collected_at=f"2025-02-{d:02d}T10:00:00+00:00", answers={"concerns": c, "severity": 4}
        )
        for d, c in ((1, ["speeding"]), (2, ["speeding", "litter"]), (3, ["litter"]))
    ]
    client.post("/api/v1/sync/push", json={"responses": items}, headers=bearer(device))
    return token


def test_agenda_follows_the_ward_panel_order(app, client: FlaskClient, device: str):
    token = setup_history(app, client, device)
    md = client.get(
        "/api/v1/groups/northfield/agenda",
        query_string={"date": "2025-03-01", "format": "md"},
        headers=bearer(token),
    ).get_data(as_text=True)
    positions = [md.index(f". {s}") for s in SECTIONS]
    assert positions == sorted(positions)
    assert "- PC Jones" in md and "Summer fair" in md and "Thursday 1 May 2025" in md
    assert "Last meeting: 2025-01-10." in md


def test_overdue_priority_carries_forward_first(app, client: FlaskClient, device: str):
    token = setup_history(app, client, device)
    agenda = client.get(
        "/api/v1/groups/northfield/agenda",
        query_string={"date": "2025-03-01"},
        headers=bearer(token),
    ).get_json()
    prev = [(p["category"], p["overdue"]) for p in agenda["previous"]]
    assert prev == [("speeding", True), ("litter", False)]
    # an agreed priority is never proposed again, so the shortlist holds only fresh candidates
    assert all(c["status"] == "open" for c in agenda["shortlist"])
    abbey = agenda["areas"][0]
    assert abbey["respondents"] == 3
    assert "Kiosk: no responses" in abbey["thin"]


def test_agenda_moves_with_the_injected_clock(app, client: FlaskClient, device: str, clock):
    token = setup_history(app, client, device)
    clock.now = datetime(2025, 2, 1, 9, tzinfo=UTC)  # before the report-back date
    agenda = client.get("/api/v1/groups/northfield/agenda", headers=bearer(token)).get_json()
    assert agenda["date"] == "2025-02-01"
    assert [p["overdue"] for p in agenda["previous"]] == [False, False]


def test_html_prints_on_a4_with_no_external_assets_and_escapes(app, client, device):
    token = setup_history(app, client, device)
    html = client.get(
        "/api/v1/groups/northfield/agenda",
        query_string={"date": "2025-03-01", "format": "html"},
        headers=bearer(token),
    ).get_data(as_text=True)
    assert "@page { size: A4" in html
    assert "http://" not in html and "https://" not in html and "<script" not in html
    assert "Agreed &lt;b&gt;two&lt;/b&gt; priorities" in html
    assert 'class="overdue"' in html


def test_cli_writes_csv_and_html(app, client: FlaskClient, device: str, runner, tmp_path):
    setup_history(app, client, device)
    out = runner.invoke(
        main,
        ["server", "agenda", "--group", "northfield", "--date", "2025-03-01", "--format", "csv"],
    )
    assert out.exit_code == 0, out.output
    rows = out.output.splitlines()
    assert rows[0].startswith("section,area,item,status")
    assert any(r.startswith("previous,abbey,speeding,agreed (overdue)") for r in rows)
    target = tmp_path / "agenda.html"
    out = runner.invoke(
        main,
        ["server", "agenda", "--group", "northfield", "--format", "html", "--out", str(target)],
    )
    assert out.exit_code == 0 and target.read_text().startswith("<!doctype html>")
    assert runner.invoke(main, ["server", "agenda", "--group", "nope"]).exit_code == 1
