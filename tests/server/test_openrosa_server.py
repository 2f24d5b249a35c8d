"""The OpenRosa endpoints over real HTTP, held to ODK Collect's rules (DESIGN: OpenRosa).

A ``requests`` client acts as Collect does: it reads the form list, downloads each form and
checks its md5, HEADs the submission URL (204) and counts a submission as sent only on 201 or
202. The server is waitress on loopback, over SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
import xml.etree.ElementTree as ET
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from server.catalogue.surveys import add_survey, registry_for
from server.db import db
from server.models import Device, PersonalDetail, Response, ResponseConflict
from sync.openrosa import build_instance
from tests.sealing_keys import add_server_key, opened
from tests.server.conftest import TEST_SURVEY, device_token

LIST_NS = "{http://openrosa.org/xforms/xformsList}"
RESPONSE_NS = "{http://openrosa.org/http/response}"
TIMEOUT = 30
WHEN = "2025-03-01T10:00:00+00:00"


def base_of(live_server: str, token: str) -> str:
    return f"{live_server}/openrosa/key/{token}"


def form_list(base: str) -> dict[str, dict[str, str]]:
    """GET formList as Collect does; return each form's fields by formID."""
    reply = requests.get(f"{base}/formList", headers={"X-OpenRosa-Version": "1.0"}, timeout=30)
    assert reply.status_code == 200, reply.text
    assert reply.headers["X-OpenRosa-Version"] == "1.0"
    assert reply.headers["Content-Type"] == "text/xml; charset=utf-8"
    root = ET.fromstring(reply.content)
    assert root.tag == f"{LIST_NS}xforms"
    out = {}
    for item in root:
        fields = {child.tag.removeprefix(LIST_NS): child.text or "" for child in item}
        out[fields["formID"]] = fields
    return out


def submit(base: str, instance: bytes, **files: Any) -> tuple[int, str]:
    """POST one instance as Collect does (multipart); return the status and the message."""
    parts = {"xml_submission_file": ("submission.xml", instance, "text/xml"), **files}
    reply = requests.post(
        f"{base}/submission", files=parts, headers={"X-OpenRosa-Version": "1.0"}, timeout=30
    )
    assert reply.headers["X-OpenRosa-Version"] == "1.0", reply.status_code
    assert reply.headers["Content-Type"] == "text/xml; charset=utf-8"
    root = ET.fromstring(reply.content)
    assert root.tag == f"{RESPONSE_NS}OpenRosaResponse"
    (message,) = root
    nature = "submit_success" if reply.status_code < 300 else "error"
    assert message.get("nature") == nature
    return reply.status_code, message.text or ""


def sent_by_collect(status: int) -> bool:
    """Collect's rule: only 201 and 202 mean the server has the form."""
    return status in (201, 202)


def instance(app: Flask, **overrides: Any) -> tuple[dict[str, Any], bytes]:
    """Return a response of the test survey and the instance Collect would send for it."""
    response = {
        "id": str(uuid.uuid4()),
        "area": "abbey",
        "method": "doorstep",
        "collected_at": WHEN,
        "answers": {"concerns": ["speeding"], "severity": 3},
        **overrides,
    }
    version = response.pop("survey_version", 1)
    with app.app_context():
        survey = registry_for(db.session).get("test-safety", version)
    return response, build_instance(survey, response)


@pytest.fixture
def north(app: Flask, live_server: str) -> str:
    """Return the OpenRosa base URL of a Northfield device."""
    return base_of(live_server, device_token(app, group="northfield")[1])


def test_the_form_list_hashes_the_exact_bytes_of_each_form(north: str) -> None:
    forms = form_list(north)
    assert set(forms) == {"test-safety"}
    item = forms["test-safety"]
    assert (item["name"], item["version"]) == ("Test survey", "1")
    assert item["downloadUrl"] == f"{north}/forms/test-safety/1.xml"
    for _ in range(2):  # served again from the cache: the same bytes
        reply = requests.get(item["downloadUrl"], timeout=TIMEOUT)
        assert reply.status_code == 200
        assert reply.headers["X-OpenRosa-Version"] == "1.0"
        assert item["hash"] == "md5:" + hashlib.md5(reply.content).hexdigest()
    root = ET.fromstring(reply.content)
    data = root.find(".//{http://www.w3.org/2002/xforms}instance/*")
    assert data is not None and (data.get("id"), data.get("version")) == ("test-safety", "1")
    # The device's areas only: Northfield's two, not Riverside's Elm Park.
    assert b"bell-green" in reply.content and b"elm-park" not in reply.content
    assert form_list(f"{north}")["test-safety"]["hash"] == item["hash"]
    only = requests.get(f"{north}/formList", params={"formID": "nothing"}, timeout=TIMEOUT)
    assert ET.fromstring(only.content).findall(f"{LIST_NS}xform") == []


def test_the_latest_version_is_listed_and_older_ones_still_download(app: Flask, north: str) -> None:
    with app.app_context():
        add_survey(db.session, {**TEST_SURVEY, "version": 2})
        db.session.commit()
    assert form_list(north)["test-safety"]["version"] == "2"
    assert requests.get(f"{north}/forms/test-safety/1.xml", timeout=TIMEOUT).status_code == 200


def test_head_and_get_submission_answer_204_with_the_openrosa_headers(
    app: Flask, north: str
) -> None:
    for method in ("HEAD", "GET"):
        reply = requests.request(method, f"{north}/submission", timeout=TIMEOUT)
        assert reply.status_code == 204, method
        assert reply.headers["X-OpenRosa-Version"] == "1.0"
        assert (
            int(reply.headers["X-OpenRosa-Accept-Content-Length"]) == (app.config["MAX_BODY_BYTES"])
        )


def test_a_submission_is_stored_once_and_a_resend_is_still_a_success(
    app: Flask, north: str
) -> None:
    response, data = instance(app)
    status, message = submit(north, data)
    assert (status, message) == (201, "Thank you: doorstep has this response.")
    again, message = submit(north, data)  # Collect resends when the answer was lost
    assert sent_by_collect(again) and "already had" in message
    with app.app_context():
        row = db.session.get(Response, response["id"])
        assert row is not None and row.source == "openrosa"
        assert (row.area, row.answers, row.conflict) == ("abbey", response["answers"], False)
        assert row.collected_at.isoformat() == WHEN
        device = db.session.scalar(sa.select(Device).where(Device.label == "laptop"))
        assert (device.accepted, device.duplicates) == (1, 1)


def test_the_same_instance_id_with_other_content_is_a_conflict_kept_apart(
    app: Flask, north: str
) -> None:
    response, data = instance(app)
    assert submit(north, data)[0] == 201
    _, changed = instance(app, id=response["id"], answers={"concerns": ["litter"]})
    status, message = submit(north, changed)
    assert status == 409 and not sent_by_collect(status)
    assert "kept for a coordinator" in message
    assert submit(north, changed)[0] == 409  # nothing stuck: the same answer each time
    with app.app_context():
        row = db.session.get(Response, response["id"])
        assert row.answers == response["answers"] and row.conflict  # nothing overwritten
        kept = db.session.scalars(sa.select(ResponseConflict)).all()
        assert [c.envelope["answers"] for c in kept] == [{"concerns": ["litter"]}]


def test_deprecated_id_becomes_replaces(app: Flask, north: str) -> None:
    first, data = instance(app)
    assert submit(north, data)[0] == 201
    edit, data = instance(app, replaces=first["id"], answers={"concerns": ["litter"]})
    assert submit(north, data)[0] == 201
    with app.app_context():
        assert db.session.get(Response, edit["id"]).replaces == first["id"]


def test_personal_answers_go_to_the_personal_block_sealed_as_with_push(
    app: Flask, north: str
) -> None:
    survey = json.loads(json.dumps(TEST_SURVEY))
    survey["version"] = 2
    survey["questions"] += [
        {"id": "ok", "type": "consent", "label": {"en": "May we call you back?"}},
        {
            "id": "contact",
            "type": "text",
            "personal": True,
            "relevant": {"question": "ok", "equals": True},
            "label": {"en": "Phone?"},
        },
    ]
    with app.app_context():
        add_survey(db.session, survey)
        db.session.commit()
    add_server_key(app)  # Northfield's contact key: details in the clear are sealed to it
    answers = {"concerns": ["speeding"], "ok": True}
    response, data = instance(
        app, survey_version=2, answers=answers, personal={"contact": "0700 000000"}
    )
    assert submit(north, data)[0] == 201
    with app.app_context():
        row = db.session.get(Response, response["id"])
        assert "contact" not in row.answers and row.consent is True
        (detail,) = db.session.scalars(sa.select(PersonalDetail)).all()
        assert "0700" not in json.dumps(detail.data)  # never stored in the clear
        assert opened(detail.data, response["id"]) == {"contact": "0700 000000"}


@pytest.mark.parametrize(
    ("change", "status", "says"),
    [
        ({"area": "elm-park"}, 422, "area"),  # another group's area
        ({"area": "nowhere"}, 422, "area"),
        ({"answers": {"concerns": ["speeding"], "severity": 9}}, 422, "severity"),
        ({"answers": {"concerns": ["bogus"]}}, 422, "concerns"),
    ],
)
def test_an_invalid_response_is_refused_with_a_message_and_nothing_stored(
    app: Flask, north: str, change: dict[str, Any], status: int, says: str
) -> None:
    _, data = instance(app, **change)
    got, message = submit(north, data)
    assert (got, says in message) == (status, True), message
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b"<data", 400, "not well-formed"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><data id="test-safety"/>', 400, "DTD"),
        (b"<data/>", 400, "no id attribute"),
        (b'<data id="test-safety" version="7"><area/></data>', 422, "Unknown form"),
        (b'<data id="nope" version="1"/>', 422, "Unknown form"),
    ],
)
def test_an_unreadable_instance_or_unknown_form_is_refused(
    north: str, body: bytes, status: int, says: str
) -> None:
    got, message = submit(north, body)
    assert got == status and says in message, message


def test_a_body_that_is_not_a_multipart_submission_is_refused(north: str) -> None:
    reply = requests.post(f"{north}/submission", data=b"<data/>", timeout=TIMEOUT)
    assert reply.status_code == 400 and b"multipart/form-data" in reply.content
    reply = requests.post(f"{north}/submission", files={"other": ("x", b"1")}, timeout=TIMEOUT)
    assert reply.status_code == 400 and b"xml_submission_file" in reply.content
    assert reply.headers["X-OpenRosa-Version"] == "1.0"


def test_a_body_over_the_limit_is_413(app: Flask, north: str) -> None:
    app.config.update(MAX_BODY_BYTES=100_000, MAX_CONTENT_LENGTH=100_000)
    _, data = instance(app)
    photo = ("photo.jpg", b"\xff" * 200_000, "image/jpeg")
    status, message = submit(north, data, photo=photo)
    assert status == 413 and not sent_by_collect(status)


@pytest.mark.parametrize(
    "body",
    [
        b"<a>" * 200_000 + b"</a>" * 200_000,  # 200,000 levels deep
        b'<data id="test-safety" version="1">' + b"<q/>" * 1_000_000 + b"</data>",
        b'<data id="test-safety" version="1"><area>' + b"x" * 3_000_000 + b"</area></data>",
    ],
    ids=["deep", "a million elements", "3 MB"],
)
def test_an_instance_larger_than_any_doorstep_form_is_413_before_it_is_parsed(
    north: str, body: bytes
) -> None:
    status, message = submit(north, body)
    assert status == 413 and "larger than any doorstep form" in message


# werkzeug (3.1) drops the spooled file of a file part cut off mid-body without closing it;
# CPython frees it at once by reference counting, with a ResourceWarning from the server thread.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_malformed_multipart_is_400_and_too_many_parts_413(north: str) -> None:
    head = {"Content-Type": "multipart/form-data; boundary=x"}
    part = b'--x\r\nContent-Disposition: form-data; name="xml_submission_file"'
    for body in (
        part + b'; filename="a.xml"\r\n\r\n<data id=',  # cut off
        part.replace(b"--x", b"--y") + b"\r\n\r\n<data/>\r\n--y--\r\n",  # other boundary
        b"--x\r\n\r\n<data/>\r\n--x--\r\n",  # no Content-Disposition
    ):
        reply = requests.post(f"{north}/submission", data=body, headers=head, timeout=TIMEOUT)
        assert reply.status_code == 400 and b"xml_submission_file" in reply.content
    many = b"".join(b'--x\r\nContent-Disposition: form-data; name="p%d"\r\n\r\nv\r\n' % i
                    for i in range(2000)) + b"--x--\r\n"  # fmt: skip
    reply = requests.post(f"{north}/submission", data=many, headers=head, timeout=TIMEOUT)
    assert reply.status_code == 413 and reply.headers["X-OpenRosa-Version"] == "1.0"


def test_an_attachment_under_the_limit_is_ignored(app: Flask, north: str) -> None:
    response, data = instance(app)
    photo = ("photo.jpg", b"\xff" * 50_000, "image/jpeg")
    assert submit(north, data, photo=photo)[0] == 201


@pytest.mark.parametrize("path", ["formList", "forms/test-safety/1.xml", "submission"])
def test_an_unknown_or_revoked_token_is_refused_with_403(
    app: Flask, live_server: str, path: str
) -> None:
    device_id, token = device_token(app, group="northfield")
    with app.app_context():
        db.session.get(Device, device_id).revoked_at = app.config["CLOCK"]()
        db.session.commit()
    for key in (token, "not-a-token", "x" * 5000):
        reply = requests.get(f"{base_of(live_server, key)}/{path}", timeout=TIMEOUT)
        assert reply.status_code == 403, (key[:20], reply.text)
        assert reply.headers["X-OpenRosa-Version"] == "1.0"
        assert b"enroll the device again" in reply.content


def test_another_groups_own_form_is_neither_listed_nor_served_nor_taken(
    app: Flask, live_server: str, north: str
) -> None:
    own = {**TEST_SURVEY, "id": "north-only", "title": {"en": "North only"}}
    with app.app_context():
        add_survey(db.session, own, group="northfield")
        db.session.commit()
    river = base_of(live_server, device_token(app, group="riverside")[1])
    assert set(form_list(north)) == {"test-safety", "north-only"}
    assert set(form_list(river)) == {"test-safety"}
    reply = requests.get(f"{river}/forms/north-only/1.xml", timeout=TIMEOUT)
    assert reply.status_code == 404 and b"no form" in reply.content
    # A Northfield phone's filled form, sent with Riverside's key: unknown to that phone.
    with app.app_context():
        survey = registry_for(db.session).get("north-only", 1)
    data = build_instance(
        survey,
        {"id": str(uuid.uuid4()), "area": "abbey", "method": "doorstep", "collected_at": WHEN,
         "answers": {"concerns": ["speeding"]}},
    )  # fmt: skip
    assert submit(river, data)[0] == 422


def test_a_replayed_instance_id_from_another_group_flags_nothing(
    app: Flask, live_server: str, north: str
) -> None:
    response, data = instance(app)
    assert submit(north, data)[0] == 201
    river = base_of(live_server, device_token(app, group="riverside")[1])
    _, other = instance(app, id=response["id"], area="elm-park")
    # The very same bytes again change nothing (a lost answer's resend looks no different).
    assert submit(river, data)[0] == 201
    status, message = submit(river, other)
    assert status == 422 and "another group" in message, message
    with app.app_context():
        assert not db.session.get(Response, response["id"]).conflict
        assert db.session.scalars(sa.select(ResponseConflict)).all() == []


def test_an_unknown_path_under_openrosa_is_an_openrosa_404(north: str) -> None:
    reply = requests.get(f"{north}/nothing-here", timeout=TIMEOUT)
    assert reply.status_code == 404 and reply.headers["X-OpenRosa-Version"] == "1.0"
    reply = requests.delete(f"{north}/submission", timeout=TIMEOUT)
    assert reply.status_code == 405 and reply.headers["X-OpenRosa-Version"] == "1.0"


def test_the_token_never_reaches_a_log_line(app: Flask) -> None:
    from server.openrosa.logs import RedactTokens

    path = "/openrosa/key/s3cr3t/formList"
    record = logging.LogRecord(
        "waitress", logging.ERROR, __file__, 1, "Exception while serving %s", (path,), None
    )
    assert RedactTokens().filter(record)
    assert record.getMessage() == "Exception while serving /openrosa/key/<token>/formList"
    for name in ("waitress", "gunicorn.error", "werkzeug", app.logger.name):
        assert any(isinstance(f, RedactTokens) for f in logging.getLogger(name).filters), name
