"""The public page: aggregates only, small counts suppressed, no personal data, escaped."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.factories import push_accepted
from tests.server.conftest import bearer, user_token
from tests.server.test_triage import add_full_survey, full


def test_public_page_shows_no_personal_data_and_suppresses_small_counts(
    app: Flask, client: FlaskClient, device: str
) -> None:
    add_full_survey(app)
    consenting = full(
        answers={"recontact": True, "age": "65-plus"},
        consent=True,
        personal={"contact_name": "Mavis Quickly"},
    )
    items = [consenting] + [full() for _ in range(5)] + [full("Ring Mavis on 07700 900123")]
    items += [full(area="elm-park")]
    push_accepted(client, device, items)
    html = client.get("/areas/abbey/public").get_data(as_text=True)
    assert "Mavis" not in html and "07700" not in html and "[phone]" not in html
    assert "Speeding" in html and "raised by 6 people" in html  # 6 of 7 chose speeding
    assert "7 people answered" in html
    page = client.get("/areas/elm-park/public").get_data(as_text=True)
    assert "raised by fewer than 5 people" in page and "fewer than 5 people answered" in page
    assert "%" not in page.split("You said</h2>")[1].split("We did")[0]


def test_public_statement_is_escaped_and_unknown_area_is_404(app, client: FlaskClient) -> None:
    token = user_token(app, "cora", group="northfield")
    issue = client.post(
        "/api/v1/areas/abbey/issues",
        headers=bearer(token),
        json={
            "category": "speeding",
            "owner": "Police",
            "report_back": "2025-04-01",
            "date": "2025-03-01",
        },
    ).get_json()
    client.put(
        f"/api/v1/issues/{issue['id']}/public",
        headers=bearer(token),
        json={"text": "<script>alert(1)</script> Speed checks done"},
    )
    html = client.get("/areas/abbey/public").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Speed checks done" in html
    assert "with Police" in html and "report back by 2025-04-01" in html
    assert client.get("/areas/nowhere/public").status_code == 404
