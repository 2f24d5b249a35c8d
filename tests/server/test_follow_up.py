"""The follow-up list: consented residents with news, their sealed details opened for one list."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from server.accounts.users import create_user, get_group
from server.catalogue.surveys import add_survey
from server.cli import main
from server.contacts.follow_up import follow_up_list, mark_contacted
from server.db import db
from server.exceptions import NotFound, WrongPassphrase
from server.meetings.accountability import add_action, agree, issue_for, set_public_text
from server.models import Area, PersonalDetail
from server.models.contacts import ContactMark
from tests.sealing_keys import PASSPHRASE, add_server_key
from tests.server.conftest import Clock, bearer, make_response
from tests.server.test_purge_personal import PERSONAL_SURVEY
from tests.server.test_web_data import PASSWORD, csrf_of, sign_in

PHONE = "07700 900777"


@pytest.fixture
def world(app: Flask, device: str, client: FlaskClient, clock: Clock) -> dict[str, str]:
    """Two consented residents of Abbey (one with news since), one of Elm Park; a key each."""
    with app.app_context():
        add_survey(db.session, PERSONAL_SURVEY)
        create_user(db.session, "cora", "coordinator", groups=["northfield"], password=PASSWORD)
        db.session.commit()
    add_server_key(app)
    add_server_key(app, "riverside")
    app.config["PERSONAL_RETENTION_DAYS"] = 0  # no expiry: the CLI runs on today's clock
    ids = {}
    for name, area, phone in (("abbey", "abbey", PHONE), ("elm", "elm-park", "07700 900888")):
        item = make_response(
            survey_version=2,
            area=area,
            answers={"concerns": ["speeding"], "ok": True},
            personal={"contact": phone},
            collected_at="2025-03-01T10:00:00+00:00",
        )
        reply = client.post("/api/v1/sync/push", json={"responses": [item]}, headers=bearer(device))
        assert reply.json["results"][0]["status"] == "accepted"
        ids[name] = item["id"]
    with app.app_context():
        abbey = db.session.scalar(select(Area).where(Area.code == "abbey"))
        issue = agree(
            db.session,
            abbey,
            "speeding",
            owner="Council roads",
            report_back=date(2025, 4, 1),
            on=date(2025, 3, 8),
        )
        add_action(db.session, issue, on=date(2025, 3, 20), text="Speed survey done on Abbey Rd")
        set_public_text(db.session, issue, "Two speed bumps are planned", on=date(2025, 3, 21))
        issue_for(db.session, "bell-green", "litter", create=True)  # no news, other area
        db.session.commit()
    return ids


def secret(tmp_path: Path, text: str = PASSPHRASE) -> str:
    path = tmp_path / "pass.txt"
    path.write_text(text + "\n", encoding="utf-8")
    return str(path)


def follow_up(runner: CliRunner, tmp_path: Path, *extra: str, text: str = PASSPHRASE):
    args = ["server", "follow-up", "--group", "northfield", "--passphrase-file"]
    return runner.invoke(main, [*args, secret(tmp_path, text), *extra])


def test_the_list_opens_the_details_of_residents_whose_area_has_news(
    world: dict[str, str], runner: CliRunner, tmp_path: Path
) -> None:
    got = follow_up(runner, tmp_path, "--format", "json")
    assert got.exit_code == 0, got.output
    (resident,) = json.loads(got.output)["residents"]  # Elm Park is another group's
    assert resident["response_id"] == world["abbey"]
    assert resident["details"] == {"contact": PHONE} and resident["channel"] is None
    assert resident["raised"] == ["speeding"]
    (news,) = resident["news"]
    assert news["category"] == "speeding" and news["status"] == "agreed" and news["raised"]
    assert news["we_did"] == "Two speed bumps are planned"
    assert news["actions"] == ["Speed survey done on Abbey Rd"]
    csv_out = follow_up(runner, tmp_path).output
    assert csv_out.splitlines()[0].startswith("response_id,area,surveyed_on,name,phone")
    assert "Two speed bumps are planned" in csv_out
    later = follow_up(runner, tmp_path, "--since", "2025-04-01", "--format", "json")
    assert json.loads(later.output)["residents"] == []  # no news since then


def test_a_wrong_passphrase_is_refused_and_shows_nothing(
    world: dict[str, str], runner: CliRunner, tmp_path: Path
) -> None:
    got = follow_up(runner, tmp_path, "--format", "json", text="not the passphrase")
    assert got.exit_code == 1
    assert "does not open" in got.output and PHONE not in got.output and "900777" not in got.output


def test_a_ciphertext_moved_to_another_response_does_not_open(
    app: Flask, world: dict[str, str]
) -> None:
    with app.app_context():
        rows = {d.response_id: d for d in db.session.scalars(select(PersonalDetail))}
        rows[world["elm"]].data, rows[world["abbey"]].data = (
            rows[world["abbey"]].data,
            {"contact": {**rows[world["elm"]].data["contact"], "kid": "ck-test-northfield"}},
        )
        db.session.commit()
        north = get_group(db.session, "northfield")
        (resident,) = follow_up_list(db.session, north, PASSPHRASE, now=datetime.now(UTC))
        assert resident.details == {} and resident.unopened == 1
        with pytest.raises(WrongPassphrase):
            follow_up_list(db.session, north, "wrong passphrase!", now=datetime.now(UTC))


def test_a_purged_resident_is_gone_from_the_list(
    app: Flask, world: dict[str, str], runner: CliRunner, tmp_path: Path, clock: Clock
) -> None:
    env = {**runner.env, "DOORSTEP_PERSONAL_RETENTION_DAYS": "1"}
    assert runner.invoke(main, ["server", "purge-personal"], env=env).exit_code == 0
    got = follow_up(runner, tmp_path, "--format", "json")
    assert json.loads(got.output)["residents"] == []


def test_retiring_the_key_leaves_nothing_to_open(
    app: Flask, world: dict[str, str], runner: CliRunner, tmp_path: Path
) -> None:
    retired = runner.invoke(main, ["server", "contact-key", "retire", "ck-test-northfield"])
    assert retired.exit_code == 0 and "1 residents" in retired.output
    got = follow_up(runner, tmp_path, "--format", "json")
    assert got.exit_code == 1 and "no contact key" in got.output


def test_the_page_opens_the_list_once_and_logs_a_contact(
    app: Flask, world: dict[str, str], client: FlaskClient
) -> None:
    assert sign_in(client, "cora").status_code == 302
    page = client.get("/dashboard/contacts/follow-up").get_data(as_text=True)
    form = {"csrf_token": csrf_of(page), "group": "northfield"}
    wrong = client.post("/dashboard/contacts/follow-up", data={**form, "passphrase": "nope"})
    assert wrong.status_code == 403 and "900777" not in wrong.get_data(as_text=True)
    opened = client.post("/dashboard/contacts/follow-up", data={**form, "passphrase": PASSPHRASE})
    html = opened.get_data(as_text=True)
    assert opened.status_code == 200 and PHONE in html and "Two speed bumps are planned" in html
    assert opened.headers["Cache-Control"] == "no-store"
    assert PHONE not in client.get("/dashboard/contacts/follow-up").get_data(as_text=True)
    marked = client.post(
        f"/dashboard/contacts/follow-up/{world['abbey']}/contacted",
        data={"csrf_token": form["csrf_token"], "channel": "phone"},
    )
    assert marked.status_code == 302
    theirs = client.post(
        f"/dashboard/contacts/follow-up/{world['elm']}/contacted",
        data={"csrf_token": form["csrf_token"], "channel": "phone"},
    )
    assert theirs.status_code == 404
    with app.app_context():
        (mark,) = db.session.scalars(select(ContactMark)).all()
        assert (mark.response_id, mark.user, mark.channel) == (world["abbey"], "cora", "phone")
    again = client.post("/dashboard/contacts/follow-up", data={**form, "passphrase": PASSPHRASE})
    assert "Contacted" in again.get_data(as_text=True) and "by cora (phone)" in again.get_data(
        as_text=True
    )


def test_a_new_key_seals_the_groups_details_stored_in_the_clear_before_sealing_existed(
    app: Flask, world: dict[str, str], runner: CliRunner, tmp_path: Path
) -> None:
    with app.app_context():  # as a database from before sealing holds them
        rows = {d.response_id: d for d in db.session.scalars(select(PersonalDetail))}
        rows[world["abbey"]].data = {"contact": PHONE, "contact_email": ""}
        rows[world["elm"]].data = {"contact": "07700 900888"}
        db.session.commit()
    args = ["server", "contact-key", "new", "--group", "northfield", "--passphrase-file"]
    made = runner.invoke(main, [*args, secret(tmp_path)])
    assert made.exit_code == 0, made.output
    assert "1 residents' details stored in the clear are now sealed" in made.output
    with app.app_context():
        rows = {d.response_id: d for d in db.session.scalars(select(PersonalDetail))}
        assert PHONE not in json.dumps(rows[world["abbey"]].data)
        assert set(rows[world["abbey"]].data) == {"contact"}  # the empty one is not kept
        assert rows[world["elm"]].data == {"contact": "07700 900888"}  # another group's
    got = follow_up(runner, tmp_path, "--format", "json")
    (resident,) = json.loads(got.output)["residents"]
    assert resident["details"] == {"contact": PHONE} and resident["unopened"] == 0
    again = runner.invoke(main, [*args, secret(tmp_path)])
    assert again.exit_code == 0 and "in the clear" not in again.output  # nothing left to seal


def test_a_resident_off_the_list_cannot_be_marked_contacted(
    app: Flask, world: dict[str, str], clock: Clock
) -> None:
    with app.app_context():
        north = get_group(db.session, "northfield")
        (row,) = db.session.scalars(
            select(PersonalDetail).where(PersonalDetail.response_id == world["abbey"])
        )
        row.expires_at = datetime(2020, 1, 1, tzinfo=UTC)  # expired, not yet purged
        db.session.commit()
        with pytest.raises(NotFound):
            mark_contacted(
                db.session, north, world["abbey"], by="cora", channel="phone", now=clock.now
            )
        row.expires_at, row.consent = None, False
        db.session.commit()
        with pytest.raises(NotFound):
            mark_contacted(
                db.session, north, world["abbey"], by="cora", channel="phone", now=clock.now
            )
        assert db.session.scalars(select(ContactMark)).all() == []
