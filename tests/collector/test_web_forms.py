"""The web app's form parsing and checking, and its pages through Flask's test client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from collector.app import close_app, create_app
from collector.web import forms
from survey_schemas import Survey, bundled_registry
from tests.sealing_keys import give_key, opened

REGISTRY = bundled_registry()
# The released v1, never edited: it has a question of every kind these tests parse.
DOORSTEP: Survey = REGISTRY.get("doorstep-safety", 1)
MEETING: Survey = REGISTRY.latest("group-meeting")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """Yield a collector app on a store in a temporary folder."""
    app = create_app({"data": tmp_path / "data", "TESTING": True})
    yield app
    close_app(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Return a test client for the app."""
    return app.test_client()


def token(client: FlaskClient, path: str = "/signin") -> str:
    """Return the form token of this client's session."""
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def signed_in(client: FlaskClient) -> str:
    """Sign in, pick a street, and return the form token."""
    csrf = token(client)
    client.post("/signin", data={"csrf_token": csrf, "name": "Ann", "area": "abbey"})
    client.post("/doorstep/street", data={"csrf_token": csrf, "street": "Abbey Road"})
    return csrf


@pytest.mark.parametrize(
    ("survey", "posted", "expected"),
    [
        (DOORSTEP, {"consent": "yes"}, {"consent": True}),
        (DOORSTEP, {"consent": "no"}, {"consent": False}),
        (DOORSTEP, {"concerns": ["speeding", "noise"]}, {"concerns": ["speeding", "noise"]}),
        (DOORSTEP, {"severity": "4"}, {"severity": 4}),
        (DOORSTEP, {"safe_after_dark": "very-safe"}, {"safe_after_dark": "very-safe"}),
        (DOORSTEP, {"anything_else": "  the alley  "}, {"anything_else": "the alley"}),
        (DOORSTEP, {"anything_else": "   "}, {}),
        (MEETING, {"attendees": "23"}, {"attendees": 23}),
        (MEETING, {"attendees": "23.0"}, {"attendees": 23}),
    ],
)
def test_posted_fields_become_typed_answers(
    survey: Survey, posted: dict[str, Any], expected: dict[str, Any]
) -> None:
    parsed = forms.parse_form(survey, MultiDict(posted), "en")
    assert parsed.answers == expected and parsed.errors == {}


@pytest.mark.parametrize(
    ("posted", "message"),
    [({"attendees": "lots"}, "Enter a number, like 3"), ({"attendees": "2.5"}, "Enter a whole")],
)
def test_unreadable_numbers_are_field_errors(posted: dict[str, str], message: str) -> None:
    parsed = forms.parse_form(MEETING, MultiDict(posted), "en")
    forms.check(MEETING, parsed, "en")
    assert parsed.errors["attendees"].startswith(message)


def test_personal_answers_are_kept_apart() -> None:
    posted = MultiDict({"consent": "yes", "recontact": "yes", "contact_name": "Jo Bloggs"})
    parsed = forms.parse_form(DOORSTEP, posted, "en")
    assert parsed.personal == {"contact_name": "Jo Bloggs"}
    assert "contact_name" not in parsed.answers


def test_required_and_irrelevant_answers_are_explained_in_the_persons_language() -> None:
    posted = MultiDict({"consent": "yes", "other_concern": "racing"})
    parsed = forms.parse_form(DOORSTEP, posted, "pl")
    forms.check(DOORSTEP, parsed, "pl")
    assert parsed.errors["concerns"] == "Wybierz odpowiedź"
    assert parsed.errors["other_concern"].startswith("To pytanie nie dotyczy")


def test_a_surveys_own_constraint_message_is_used() -> None:
    posted = MultiDict({"consent": "yes", "concerns": ["none", "noise"]})
    parsed = forms.parse_form(DOORSTEP, posted, "en")
    forms.check(DOORSTEP, parsed, "en")
    assert "cannot be chosen together" in parsed.errors["concerns"]
    assert parsed.errors["concerns"].startswith('"None of these"')


def test_conditions_are_stated_in_words_without_the_consent_clause() -> None:
    views = {v.qid: v for v in forms.field_views(DOORSTEP, "en")}
    assert views["consent"].condition is None
    assert views["safe_after_dark"].condition is None  # only hangs on consent
    assert views["other_concern"].condition == (
        "Answer only if you chose “Something else” for “Which of these are problems on your "
        "street? Choose all that apply.”."
    )
    assert "you did not choose “None of these" in (views["severity"].condition or "")


def test_values_and_errors_are_drawn_back_into_the_fields() -> None:
    values = {"concerns": ["noise"], "severity": "3", "consent": True}
    views = {v.qid: v for v in forms.field_views(DOORSTEP, "en", values=values)}
    assert [c.value for c in views["concerns"].choices if c.checked] == ["noise"]
    assert [c.value for c in views["severity"].choices if c.checked] == ["3"]
    assert [c.value for c in views["consent"].choices if c.checked] == ["yes"]
    assert views["consent"].widget == "radios" and views["anything_else"].widget == "textarea"


def test_prune_drops_answers_that_no_longer_apply() -> None:
    answers = {"consent": True, "concerns": ["speeding"], "other_concern": "x"}
    assert forms.prune(DOORSTEP, answers) == {"consent": True, "concerns": ["speeding"]}


def test_declining_consent_is_recognised() -> None:
    assert forms.declined_consent(DOORSTEP, {"consent": False})
    assert not forms.declined_consent(DOORSTEP, {"consent": True, "recontact": False})


def test_store_errors_map_onto_question_ids() -> None:
    mapped = forms.store_errors(
        {"answers.concerns": ["an answer is required"], "area": ["unknown area 'x'"]},
        DOORSTEP,
        "en",
    )
    assert mapped == {"concerns": "Choose an answer", "area": "unknown area 'x'"}


def test_doorstep_post_saves_with_personal_data_apart_and_counts_the_door(
    app: Flask, client: FlaskClient
) -> None:
    csrf = signed_in(client)
    give_key(app.extensions["doorstep_store"])
    posted = {
        "csrf_token": csrf,
        "house": "12",
        "consent": "yes",
        "concerns": "speeding",
        "recontact": "yes",
        "contact_name": "Jo Bloggs",
    }
    response = client.post("/doorstep/survey", data=posted)
    assert response.status_code == 302 and response.location == "/doorstep/door"
    store = app.extensions["doorstep_store"]
    (saved,) = store.iter_responses(personal=False)
    assert "contact_name" not in saved["answers"] and "personal" not in saved
    assert saved["volunteer"].startswith("v-") and "Ann" not in str(saved)
    sealed = store.get_response(saved["id"], personal=True)["personal"]
    assert opened(sealed, saved["id"]) == {"contact_name": "Jo Bloggs"}
    page = client.get("/doorstep/door").get_data(as_text=True)
    assert "Saved. Door 12 recorded as surveyed." in page


def test_invalid_survey_post_is_422_with_an_error_summary(client: FlaskClient) -> None:
    csrf = signed_in(client)
    response = client.post("/doorstep/survey", data={"csrf_token": csrf, "consent": "yes"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'href="#q-concerns-0"' in page and "There is a problem" in page
    assert response.headers["Cache-Control"] == "no-store"


def test_a_post_without_the_form_token_changes_nothing(app: Flask, client: FlaskClient) -> None:
    signed_in(client)
    response = client.post("/doorstep/survey", data={"consent": "yes", "concerns": "noise"})
    assert response.status_code == 400
    assert "This form had expired" in response.get_data(as_text=True)
    assert app.extensions["doorstep_store"].status()["stored"] == 0


def test_language_switch_never_redirects_off_site(client: FlaskClient) -> None:
    response = client.get("/lang/pl?next=//evil.example/")
    assert response.location == "/"
    assert 'lang="pl"' in client.get("/signin").get_data(as_text=True)


def test_pages_send_security_headers_and_no_inline_code(client: FlaskClient) -> None:
    response = client.get("/signin")
    page = response.get_data(as_text=True)
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "<script>" not in page and " style=" not in page


def test_service_worker_is_served_from_the_root(client: FlaskClient) -> None:
    with client.get("/sw.js") as response:
        assert response.status_code == 200 and response.mimetype == "text/javascript"
        assert response.headers["Service-Worker-Allowed"] == "/"


def test_meeting_post_keeps_the_attendee_count_for_the_next_concern(
    app: Flask, client: FlaskClient
) -> None:
    csrf = signed_in(client)
    posted = {"csrf_token": csrf, "area": "abbey", "concerns_raised": "graffiti", "attendees": "9"}
    assert client.post("/meeting/", data=posted).status_code == 302
    page = client.get("/meeting/?area=abbey").get_data(as_text=True)
    assert 'id="q-attendees" name="attendees" type="text" inputmode="numeric"' in page
    assert 'value="9"' in page
    (saved,) = app.extensions["doorstep_store"].iter_responses()
    assert saved["method"] == "meeting" and saved["answers"]["attendees"] == 9


def test_volunteer_pin_is_asked_when_set(tmp_path: Path) -> None:
    app = create_app({"data": tmp_path / "data", "volunteer_pin": "4321", "TESTING": True})
    client = app.test_client()
    csrf = token(client)
    wrong = client.post("/signin", data={"csrf_token": csrf, "name": "Ann", "area": "abbey"})
    assert wrong.status_code == 422 and "That PIN is not right" in wrong.get_data(as_text=True)
    right = {"csrf_token": csrf, "name": "Ann", "area": "abbey", "pin": "4321"}
    assert client.post("/signin", data=right).location == "/doorstep/street"
    close_app(app)


def test_without_a_contact_key_the_survey_does_not_ask_for_contact_details(
    app: Flask, client: FlaskClient
) -> None:
    signed_in(client)
    page = client.get("/doorstep/survey?house=3").get_data(as_text=True)
    assert 'name="contact_phone"' not in page and 'name="recontact"' not in page
    assert 'id="no-contact-note"' in page and "no contact key" in page
    assert 'name="concerns"' in page  # everything else is asked as before
    give_key(app.extensions["doorstep_store"])
    page = client.get("/doorstep/survey?house=3").get_data(as_text=True)
    assert 'name="contact_phone"' in page and 'name="recontact"' in page
    assert 'id="no-contact-note"' not in page


def test_contact_details_posted_without_a_key_are_refused_and_nothing_is_saved(
    app: Flask, client: FlaskClient
) -> None:
    csrf = signed_in(client)
    posted = {"csrf_token": csrf, "house": "12", "consent": "yes", "concerns": "speeding"}
    extra = {"recontact": "yes", "contact_phone": "07700 900123"}
    reply = client.post("/doorstep/survey", data={**posted, **extra})
    assert reply.status_code == 422
    assert app.extensions["doorstep_store"].status()["stored"] == 0
