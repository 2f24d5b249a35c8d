"""Every write endpoint of the server, with a valid request to carry each hostile payload.

``targets(app, url)`` prepares a world (an admin signed in to the dashboard, a device, an
issue, a triage text, a meeting) and returns one :class:`Target` per write route; the tests
check the URL map has no write route without one.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from flask import Flask
from sqlalchemy import func, select

from server.accounts.devices import create_code
from server.accounts.users import create_user, get_group
from server.catalogue.surveys import add_survey, registry_for
from server.contacts.keys import new_contact_key
from server.crime.police_csv import HEADER
from server.db import db
from server.meetings.accountability import TRANSITIONS
from server.models import PersonalDetail, Response
from sync.openrosa import build_instance
from tests.hostile.corpus import INSTANCE_SLOT, SLOT
from tests.server.conftest import bearer, device_token
from tests.server.test_web_data import WEB_SURVEY, answer

PASSWORD = "correct horse battery"
TIMEOUT = 60
# Sign-in failures are counted on purpose (rate limits); they are not stored input.
UNCOUNTED = frozenset({"failed_attempts", "api_tokens", "devices", "change_log"})


@dataclass
class Target:
    """A write endpoint: how to reach it and a valid body whose slots take the payload."""

    method: str
    rule: str
    path: str
    kind: str  # "json", "form", "multipart" or "instance" (an XForm instance, OpenRosa)
    template: Callable[[], dict[str, Any]]
    headers: dict[str, str] = field(default_factory=dict)
    shown: tuple[str, ...] = ()  # pages that show what it stores
    upload: tuple[str, str] = ("survey", "survey.json")  # multipart: the file field, its name
    session: requests.Session | None = None  # another signed-in user's (default: the admin's)


def police_csv(crime_type: str) -> str:
    """Return a one-row street-level CSV whose crime type takes the payload."""
    force = "City of London Police"
    row = ["", "2025-03", force, force, "-0.1", "51.5", "On or near Abbey Road", "E01000001",
           "City of London 001A", crime_type, "", ""]  # fmt: skip
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, row])
    return out.getvalue()


def write_rules(
    app: Flask, prefixes: tuple[str, ...] = ("/api/", "/dashboard/", "/openrosa/")
) -> set[tuple]:
    """Return ``(method, rule)`` of every state-changing route under ``prefixes``."""
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(prefixes)
        for method in (rule.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}
    }


def row_counts(app: Flask) -> dict[str, int]:
    """Return the number of rows of every table (what "nothing half-stored" compares)."""
    tables = [t for t in db.metadata.sorted_tables if t.name not in UNCOUNTED]
    # One round trip: a count per table as columns of a single row.
    query = select(*(select(func.count()).select_from(t).scalar_subquery() for t in tables))
    with app.app_context():
        row = db.session.execute(query).one()
        db.session.rollback()
    return {t.name: n for t, n in zip(tables, row, strict=True)}


def dashboard_session(url: str, name: str = "ada") -> tuple[requests.Session, str]:
    """Return a requests session signed in as ``name`` (the admin), and its CSRF token."""
    s = requests.Session()
    page = s.get(f"{url}/dashboard/sign-in", timeout=TIMEOUT).text
    s.post(
        f"{url}/dashboard/sign-in",
        data={"username": name, "password": PASSWORD, "csrf_token": _csrf(page)},
        timeout=TIMEOUT,
    )
    token = _csrf(s.get(f"{url}/dashboard/devices/", timeout=TIMEOUT).text)
    return s, token


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def world(app: Flask, url: str) -> dict[str, Any]:
    """Make the rows the targets write to; return their ids and tokens."""
    with app.app_context():
        add_survey(db.session, dict(WEB_SURVEY))
        _, admin = create_user(db.session, "ada", "admin", password=PASSWORD)
        # contact keys and the follow-up list are for the group's coordinators only
        create_user(db.session, "cora", "coordinator", groups=["northfield"], password=PASSWORD)
        leaver, _ = create_user(db.session, "leaver", "coordinator", groups=["northfield"])
        north = get_group(db.session, "northfield")
        spare_key = new_contact_key(db.session, north, PASSWORD, now=app.config["CLOCK"]())[0].kid
        db.session.commit()
        leaver_id = leaver.id
    device = bearer(device_token(app)[1])
    admin_h = bearer(admin)
    issue = requests.post(
        f"{url}/api/v1/areas/abbey/issues",
        json={"category": "speeding", "owner": "Police", "report_back": "2025-04-01"},
        headers=admin_h,
        timeout=TIMEOUT,
    ).json()["id"]
    requests.post(
        f"{url}/api/v1/sync/push",
        json={"responses": [answer("abbey", ["other"], "the bench is broken")]},
        headers=device,
        timeout=TIMEOUT,
    ).raise_for_status()
    triage = requests.get(f"{url}/api/v1/triage", headers=admin_h, timeout=TIMEOUT).json()
    requests.put(
        f"{url}/api/v1/groups/northfield/meetings",
        json={"date": "2025-03-01"},
        headers=admin_h,
        timeout=TIMEOUT,
    ).raise_for_status()
    spare = device_token(app, label="spare")[0]
    with app.app_context():  # the pushed resident left contact details (sealed: any will do)
        resident = db.session.scalars(select(Response.id)).first()
        db.session.add(PersonalDetail(response_id=resident, data={}, consent=True))
        db.session.commit()
    return {
        "admin": admin_h,
        "device": device,
        "issue": issue,
        "triage": triage["items"][0]["id"],
        "spare_device": spare,
        "spare_key": spare_key,
        "resident": resident,
        "leaver": leaver_id,
    }


def targets(app: Flask, url: str) -> tuple[list[Target], requests.Session]:
    """Return a target per write route, and the signed-in dashboard session they use."""
    w = world(app, url)
    dash, csrf = dashboard_session(url)
    issue_page = "/dashboard/areas/abbey/issues/speeding"
    meeting_page = "/dashboard/groups/northfield/meetings/2025-03-01"

    def code() -> str:
        with app.app_context():
            c, _ = create_code(db.session, now=app.config["CLOCK"](), ttl_seconds=3600)
            db.session.commit()
        return c

    def form(**fields: str) -> Callable[[], dict[str, Any]]:
        return lambda: {"csrf_token": csrf, **fields}

    coordinator, coordinator_csrf = dashboard_session(url, "cora")

    def coordinator_form(**fields: str) -> Callable[[], dict[str, Any]]:
        return lambda: {"csrf_token": coordinator_csrf, **fields}

    versions = itertools.count(1)

    def survey_upload() -> dict[str, Any]:
        """Return a valid new survey version whose title and purpose take the payload."""
        survey = {
            **WEB_SURVEY,
            "id": "uploaded",
            "version": next(versions),
            "title": {"en": SLOT},
            "purpose": {"en": SLOT},
        }
        return form(survey=survey)()

    def status_of(category: str) -> str:
        issues = requests.get(
            f"{url}/api/v1/areas/abbey/issues", headers=w["admin"], timeout=TIMEOUT
        ).json()["issues"]
        return next((i["status"] for i in issues if i["category"] == category), "open")

    def move(category: str, to: str) -> None:
        requests.post(
            f"{url}/api/v1/issues/{issue_id(category)}/status",
            json={"status": to, "note": "reset for the next case"},
            headers=w["admin"],
            timeout=TIMEOUT,
        ).raise_for_status()

    def issue_id(category: str) -> int:
        issues = requests.get(
            f"{url}/api/v1/areas/abbey/issues", headers=w["admin"], timeout=TIMEOUT
        ).json()["issues"]
        return next(i["id"] for i in issues if i["category"] == category)

    def reopened(category: str, body: Callable[[], dict[str, Any]]) -> Callable[[], dict]:
        """Return ``body`` after putting the issue back to open, so it can be agreed again."""

        def make() -> dict[str, Any]:
            status = status_of(category)
            if status in ("agreed", "in_progress"):
                move(category, "closed")
                status = "closed"
            if status in ("closed", "resolved"):
                move(category, "open")
            return body()

        return make

    def next_status(body: Callable[[str], dict[str, Any]]) -> Callable[[], dict]:
        """Return ``body`` with a status the speeding issue may move to next."""
        return lambda: body(TRANSITIONS[status_of("speeding")][0])

    def pushed() -> dict[str, Any]:
        return {"responses": [answer("abbey", ["other"], SLOT, street=SLOT)]}

    def activity() -> dict[str, Any]:
        sid = str(uuid.uuid4())
        return {
            "sessions": [
                {"id": sid, "area": SLOT, "started_at": "2025-03-01T10:00:00+00:00"},
            ],
            "doors": [
                {
                    "id": str(uuid.uuid4()),
                    "session_id": sid,
                    "area": "abbey",
                    "outcome": "no_answer",
                    "at": "2025-03-01T10:05:00+00:00",
                }
            ],
        }

    def instance() -> dict[str, Any]:
        """Return the instance ODK Collect sends for a response whose free text is the slot."""
        with app.app_context():
            survey = registry_for(db.session).get("web-safety", 1)
        response = answer("abbey", ["other"], INSTANCE_SLOT)
        return {"xml": build_instance(survey, response).decode("utf-8")}

    i = w["issue"]
    device_key = w["device"]["Authorization"].split()[1]
    api = [
        Target(
            "POST",
            "/api/v1/devices/enroll",
            "/api/v1/devices/enroll",
            "json",
            lambda: {"code": code(), "label": SLOT},
            shown=("/dashboard/devices/",),
        ),
        Target(
            "POST",
            "/api/v1/sync/push",
            "/api/v1/sync/push",
            "json",
            pushed,
            w["device"],
            ("/dashboard/triage/",),
        ),
        Target(
            "POST",
            "/openrosa/key/<token>/submission",
            f"/openrosa/key/{device_key}/submission",
            "instance",
            instance,
            shown=("/dashboard/triage/",),
        ),
        Target(
            "POST", "/api/v1/sync/activity", "/api/v1/sync/activity", "json", activity, w["device"]
        ),
        Target(
            "POST",
            "/api/v1/areas/<code>/issues",
            "/api/v1/areas/abbey/issues",
            "json",
            reopened(
                "litter",
                lambda: {
                    "category": "litter",
                    "owner": SLOT,
                    "report_back": "2025-04-01",
                    "note": SLOT,
                },
            ),
            w["admin"],
            ("/dashboard/areas/abbey/issues/litter",),
        ),
        Target(
            "POST",
            "/api/v1/issues/<int:issue_id>/status",
            f"/api/v1/issues/{i}/status",
            "json",
            next_status(lambda to: {"status": to, "note": SLOT}),
            w["admin"],
            (issue_page,),
        ),
        Target(
            "POST",
            "/api/v1/issues/<int:issue_id>/actions",
            f"/api/v1/issues/{i}/actions",
            "json",
            lambda: {"text": SLOT},
            w["admin"],
            (issue_page,),
        ),
        Target(
            "PUT",
            "/api/v1/issues/<int:issue_id>/public",
            f"/api/v1/issues/{i}/public",
            "json",
            lambda: {"text": SLOT},
            w["admin"],
            ("/areas/abbey/public", issue_page),
        ),
        Target(
            "PUT",
            "/api/v1/groups/<group>/meetings",
            "/api/v1/groups/northfield/meetings",
            "json",
            lambda: {
                "date": "2025-03-01",
                "minutes": SLOT,
                "aob": [SLOT],
                "apologies": [SLOT],
                "venue": SLOT,
                "chair": SLOT,
                "time": SLOT,
            },
            w["admin"],
            (
                meeting_page,
                "/api/v1/groups/northfield/agenda?format=html",
                "/dashboard/groups/northfield/agenda?date=2025-03-01",
            ),
        ),
        Target(
            "POST",
            "/api/v1/triage/<int:item_id>",
            f"/api/v1/triage/{w['triage']}",
            "json",
            lambda: {"category": SLOT},
            w["admin"],
        ),
    ]
    base = "/dashboard/areas/<code>/issues/<category>"
    web = [
        Target(
            "POST",
            f"{base}/agree",
            f"{issue_page}/agree",
            "form",
            reopened("speeding", form(owner=SLOT, report_back="2025-04-01", note=SLOT)),
            shown=(issue_page,),
        ),
        Target(
            "POST",
            f"{base}/status",
            f"{issue_page}/status",
            "form",
            next_status(lambda to: form(status=to, note=SLOT)()),
            shown=(issue_page,),
        ),
        Target(
            "POST",
            f"{base}/actions",
            f"{issue_page}/actions",
            "form",
            form(text=SLOT),
            shown=(issue_page,),
        ),
        Target(
            "POST",
            f"{base}/public",
            f"{issue_page}/public",
            "form",
            form(text=SLOT, action="publish"),
            shown=("/areas/abbey/public", issue_page),
        ),
        Target(
            "POST",
            "/dashboard/devices/codes",
            "/dashboard/devices/codes",
            "form",
            form(label=SLOT, group=""),
        ),
        Target(
            "POST",
            "/dashboard/devices/collect",
            "/dashboard/devices/collect",
            "form",
            form(label=SLOT, group="northfield"),
            shown=("/dashboard/devices/",),
        ),
        Target(
            "POST",
            "/dashboard/devices/<device_id>/revoke",
            f"/dashboard/devices/{w['spare_device']}/revoke",
            "form",
            form(note=SLOT),
        ),
        *(
            Target(
                "POST",
                f"/dashboard/users/<int:user_id>/{action}",
                f"/dashboard/users/{w['leaver']}/{action}",
                "form",
                template,
            )  # fmt: skip
            for action, template in (
                ("disable", form(confirm=SLOT)),
                ("revoke-token", form(confirm=SLOT)),
                ("password", form(password=SLOT, again=SLOT)),
                ("remove-group", form(group=SLOT, confirm="yes")),
                ("remove-group", form(group="northfield", confirm=SLOT)),
            )
        ),
        Target(
            "POST",
            "/dashboard/contacts/keys",
            "/dashboard/contacts/keys",
            "form",
            coordinator_form(group=SLOT, passphrase=SLOT, confirm=SLOT),
            session=coordinator,
        ),
        Target(
            "POST",
            "/dashboard/contacts/keys",
            "/dashboard/contacts/keys",
            "form",
            coordinator_form(group="northfield", passphrase=SLOT, confirm=SLOT),
            session=coordinator,
        ),
        Target(
            "POST",
            "/dashboard/contacts/follow-up",
            "/dashboard/contacts/follow-up",
            "form",
            coordinator_form(group="northfield", passphrase=SLOT),
            session=coordinator,
        ),
        Target(
            "POST",
            "/dashboard/contacts/follow-up/<response_id>/contacted",
            f"/dashboard/contacts/follow-up/{w['resident']}/contacted",
            "form",
            coordinator_form(channel=SLOT),
            session=coordinator,
        ),
        Target(
            "POST",
            "/dashboard/contacts/keys/<kid>/retire",
            f"/dashboard/contacts/keys/{w['spare_key']}/retire",
            "form",
            coordinator_form(note=SLOT),
            session=coordinator,
        ),
        Target(
            "POST",
            "/dashboard/groups/<group>/meetings",
            "/dashboard/groups/northfield/meetings",
            "form",
            form(date="2025-03-01", minutes=SLOT, aob=SLOT, apologies=SLOT, venue=SLOT, chair=SLOT),
            shown=(meeting_page, "/dashboard/groups/northfield/agenda?date=2025-03-01"),
        ),
        Target(
            "POST",
            "/dashboard/groups/<group>/meetings/<day>/decisions",
            f"{meeting_page}/decisions",
            "form",
            reopened(
                "graffiti",
                form(
                    area="abbey",
                    category="graffiti",
                    owner=SLOT,
                    report_back="2025-04-01",
                    note=SLOT,
                ),
            ),
            shown=("/dashboard/areas/abbey/issues/graffiti",),
        ),
        Target(
            "POST",
            "/dashboard/surveys/",
            "/dashboard/surveys/",
            "multipart",
            survey_upload,
            shown=("/dashboard/surveys/",),
        ),
        Target(
            "POST",
            "/dashboard/crime/areas/<code>/lsoa",
            "/dashboard/crime/areas/abbey/lsoa",
            "form",
            form(lsoa=f"E01000001 {SLOT}"),
            shown=("/dashboard/crime/",),
        ),
        Target(
            "POST",
            "/dashboard/crime/import",
            "/dashboard/crime/import",
            "multipart",
            lambda: form(files=police_csv(SLOT))(),
            upload=("files", "2025-03-city-of-london-street.csv"),  # only counts are stored
        ),
        Target(
            "POST",
            "/dashboard/triage/<int:item_id>",
            f"/dashboard/triage/{w['triage']}",
            "form",
            form(action="map", category=SLOT, area="abbey"),
        ),
        # Last: these two end or endanger the session the others use.
        Target(
            "POST",
            "/dashboard/sign-in",
            "/dashboard/sign-in",
            "form",
            form(username=SLOT, password=SLOT),
        ),
        Target("POST", "/dashboard/sign-out", "/dashboard/sign-out", "form", form(next=SLOT)),
    ]
    return api + web, dash


PAGES = (
    "/dashboard/",
    "/dashboard/devices/",
    "/dashboard/triage/",
    "/dashboard/meetings",
    "/dashboard/reach/",
    "/dashboard/surveys/",
    "/dashboard/areas/abbey",
    "/dashboard/areas/abbey/issues/speeding",
    "/dashboard/areas/abbey/issues/litter",
    "/dashboard/groups/northfield/meetings",
    "/dashboard/groups/northfield/meetings/2025-03-01",
    "/dashboard/groups/northfield/agenda",
    "/dashboard/export/",
    "/areas/abbey/public",
)
