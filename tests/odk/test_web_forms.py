"""Our XForms rendered by ODK Web Forms (@getodk/web-forms) in Chromium: a volunteer picks the
area, answers by clicking and typing, questions appear as earlier answers make them apply, and
the instance ODK sends on "Send" reads back into the response survey_schemas accepts.

The page (tests/odk/web/) and the packages in tests/odk/node_modules are served to Chromium by
Playwright itself (page.route) from a loopback address, which is a secure context as Web Forms
needs (it makes instance ids with crypto.randomUUID)."""

from __future__ import annotations

import json
import mimetypes
import re
from collections.abc import Iterator
from typing import Any

import pytest

from survey_schemas import Survey, bundled_registry, check_response
from survey_schemas.xform import render_xform
from sync.openrosa import parse_instance
from tests.conftest import PHONE, _need
from tests.survey_schemas.xform_cases import every_feature

from .engine import ODK_DIR, missing

pytestmark = pytest.mark.browser

BASE = "http://127.0.0.1:9/"  # never contacted: every request is answered by page.route
REGISTRY = bundled_registry()
EVERY = every_feature()
SURVEYS = {s.id: s for s in [*REGISTRY.latest_all(), EVERY]}
AREAS = [("N1", "North"), ("S2", "South")]
TYPES = {".mjs": "text/javascript", ".js": "text/javascript", ".html": "text/html"}


@pytest.fixture
def odk_page(browser: Any) -> Iterator[Any]:
    """Yield a phone-sized page that serves tests/odk and, at /form.xml, ``page.xform``."""
    problem = missing()
    if problem:
        _need("ODK Web Forms", problem)
    # UTC+14: a date that slipped through a UTC midnight would come out a day early here.
    context = browser.new_context(timezone_id="Pacific/Kiritimati", **PHONE)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def serve(route: Any) -> None:
        path = route.request.url.removeprefix(BASE).split("?", 1)[0]
        if path == "form.xml":
            route.fulfill(body=page.xform, content_type="text/xml; charset=utf-8")
            return
        file = ODK_DIR / path
        if ".." in file.parts or not file.is_file():  # only what lies under tests/odk
            route.fulfill(status=404, body="not found")
            return
        ctype = TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0] or "text/plain"
        route.fulfill(body=file.read_bytes(), content_type=ctype)

    page.route(f"{BASE}**", serve)
    page.errors = errors
    yield page
    context.close()


def open_form(page: Any, xform: bytes) -> None:
    page.xform = xform
    page.goto(f"{BASE}web/index.html?form=/form.xml")
    page.wait_for_selector(".question-container", timeout=60_000)


def question(page: Any, label: str) -> Any:
    """Return the question whose label reads exactly ``label``, as a person finds it."""
    shown = label.replace("${", "$\u2060{")  # as render_xform keeps ${…} from pyxform
    text = re.compile(f"^{re.escape(shown)}$")
    return page.locator(".question-container").filter(
        has=page.locator(".control-text > label", has_text=text)
    )


def answer(page: Any, survey: Survey, qid: str, value: Any, lang: str = "en") -> None:
    """Answer one question the way a volunteer does: click the choices, type the rest."""
    q = survey.by_id[qid]
    box = question(page, q.label[lang])
    if q.type in ("yes_no", "consent"):
        value = ["yes" if value else "no"]
    elif q.type == "single_choice":
        value = [value]
    if isinstance(value, list):
        for v in value:
            box.locator(f"label.value-option:has(input[value={json.dumps(v)}])").click()
        return
    field = box.locator("input, textarea").first
    if q.type in ("number", "scale"):
        field.press_sequentially(str(value))  # PrimeVue's number box reads keys, not a paste
    elif q.type == "date":
        year, month, day = value.split("-")
        field.click()
        field.press_sequentially(f"{month}/{day}/{year}")  # the date picker's own format
        field.press("Enter")
        page.keyboard.press("Escape")
    else:
        field.fill(str(value))
    field.blur()


def send(page: Any) -> str:
    """Press Send and return the instance XML Web Forms submits."""
    page.get_by_role("button", name="Send").click()
    page.wait_for_function("window.doorstepSubmissions.length > 0", timeout=30_000)
    submitted = page.evaluate("window.doorstepSubmissions[0]")
    assert submitted["status"] == "ready"
    return submitted["xml"]


# A volunteer's answers to each bundled survey, in the order they appear on the page: each
# later question is on the page only once the earlier answers make it apply.
SCENARIOS = [
    (
        "doorstep-safety",
        "S2",
        "doorstep",
        {
            "consent": True,
            "concerns": ["noise", "other"],
            "severity": 4,
            "other_concern": "Vans parked on the pavement & kerb",
            "recontact": True,
            "contact_name": "Ann Example",
            "contact_phone": "0115 496 0000",
            "age_band": "35-49",
        },
    ),
    (
        "doorstep-safety-full",
        "S2",
        "doorstep",
        {
            "consent": True,
            "concerns": ["noise", "other"],
            "severity": 4,
            "where": "Elm Street, by the shops",
            "safe_after_dark": "fairly-safe",
            "other_concern": "Vans parked on the pavement & kerb",
            "recontact": True,
            "contact_name": "Ann Example",
            "contact_phone": "0115 496 0000",
            "age_band": "35-49",
        },
    ),
    ("doorstep-safety", "N1", "doorstep", {"consent": False}),
    (
        "every-feature",
        "N1",
        "doorstep",
        {
            "consent": True,
            "problems": ["speeding", "it's"],
            "worst": "it's",
            "severity": 3,
            "households": 4,
            "spend": 2.5,
            "ratio": 0.25,
            "moved_in": "2000-01-01",
            "since": "Y2K",
            "safe": False,
            "why_unsafe": "Dark <after> 8 & unlit",
            "code": "AB'12",
            "recontact": True,
            "phone": "+44 115 496 0000",
        },
    ),
    (
        "event-kiosk",
        "N1",
        "kiosk",
        {"top_problem": "litter", "severity": 2, "tell_us_more": "Bins overflow on Fridays"},
    ),
    (
        "group-meeting",
        "S2",
        "meeting",
        {
            "concerns_raised": ["speeding", "graffiti"],
            "attendees": 12,
            "severity": 3,
            "concern_text": "Racing on Station Road at night",
        },
    ),
]


@pytest.mark.parametrize(
    ("sid", "area", "method", "answers"),
    SCENARIOS,
    ids=[f"{s[0]}-{i}" for i, s in enumerate(SCENARIOS)],
)
def test_a_volunteer_fills_the_form_in_odk_web_forms(
    odk_page: Any, sid: str, area: str, method: str, answers: dict[str, Any]
) -> None:
    survey = SURVEYS[sid]
    open_form(odk_page, render_xform(survey, AREAS))
    odk_page.get_by_text(dict(AREAS)[area], exact=True).click()
    if len(survey.methods) > 1:
        method_q = odk_page.locator(".question-container").nth(1)
        method_q.locator(f"label.value-option:has(input[value={json.dumps(method)}])").click()
    for qid, value in answers.items():
        answer(odk_page, survey, qid, value)
    xml = send(odk_page)
    assert odk_page.errors == []

    got = parse_instance(xml.encode("utf-8"), lambda i, v: survey)
    personal = {q.id for q in survey.questions if q.personal}
    assert got["answers"] == {k: v for k, v in answers.items() if k not in personal}
    assert got.get("personal", {}) == {k: v for k, v in answers.items() if k in personal}
    assert (got["area"], got["method"]) == (area, method)
    response, errors = check_response(got, lambda i, v: survey, allowed_areas={"N1", "S2"})
    assert errors == {} and response is not None


def test_questions_appear_as_earlier_answers_make_them_apply(odk_page: Any) -> None:
    survey = REGISTRY.get("doorstep-safety", 1)
    open_form(odk_page, render_xform(survey, AREAS))
    other = survey.by_id["other_concern"].label["en"]
    assert question(odk_page, other).count() == 0
    answer(odk_page, survey, "consent", True)
    answer(odk_page, survey, "concerns", ["other"])
    assert question(odk_page, other).count() == 1
    answer(odk_page, survey, "concerns", ["other"])  # unticked again
    assert question(odk_page, other).count() == 0


def test_a_broken_rule_keeps_the_form_from_being_sent(odk_page: Any) -> None:
    survey = REGISTRY.get("doorstep-safety", 1)
    open_form(odk_page, render_xform(survey, AREAS[:1]))
    answer(odk_page, survey, "consent", True)
    answer(odk_page, survey, "concerns", ["none", "noise"])
    odk_page.get_by_role("button", name="Send").click()
    message = survey.by_id["concerns"].constraint_message["en"]  # type: ignore[index]
    assert question(odk_page, survey.by_id["concerns"].label["en"]).get_by_text(message).count()
    assert odk_page.evaluate("window.doorstepSubmissions.length") == 0


def test_the_volunteer_can_switch_language(odk_page: Any) -> None:
    survey = REGISTRY.get("doorstep-safety", 1)
    open_form(odk_page, render_xform(survey, AREAS[:1]))  # the only area is already chosen
    odk_page.locator(".language-changer:visible").first.click()
    odk_page.get_by_role("option", name="Polish (pl)").click()
    assert question(odk_page, survey.by_id["consent"].label["pl"]).count() == 1
    answer(odk_page, survey, "consent", False, lang="pl")
    got = parse_instance(send(odk_page).encode(), REGISTRY.find)
    assert got["answers"] == {"consent": False}
