"""Groups' contact keys: made by CLI or page, private half only wrapped, public half pulled."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from collector.sealing import ContactKey as DeviceKey
from collector.sealing import open_field, seal_field
from server.accounts.users import get_group
from server.cli import main
from server.contacts.keys import new_contact_key, open_private_keys, unwrap
from server.db import db
from server.exceptions import WrongPassphrase
from server.models.contacts import ContactKey
from tests.server.conftest import bearer, device_token
from tests.server.test_web_data import csrf_of, seed, sign_in

PASSPHRASE = "plum tree by the old mill"
RID = "5a0c7b1e-8d7a-4f7e-9b8e-0e6f2d1c3b4a"


def make_key(app: Flask, group: str = "northfield", passphrase: str = PASSPHRASE) -> str:
    with app.app_context():
        key, _ = new_contact_key(
            db.session, get_group(db.session, group), passphrase, now=app.config["CLOCK"]()
        )
        db.session.commit()
        return key.kid


def secret_file(tmp_path: Path, text: str = PASSPHRASE) -> str:
    path = tmp_path / "passphrase.txt"
    path.write_text(text + "\n", encoding="utf-8")
    return str(path)


def test_cli_makes_a_key_whose_private_half_is_stored_only_wrapped(
    app: Flask, runner: CliRunner, tmp_path: Path
) -> None:
    args = ["server", "contact-key", "new", "--group", "northfield", "--json"]
    got = runner.invoke(main, [*args, "--passphrase-file", secret_file(tmp_path)])
    assert got.exit_code == 0, got.output
    made = json.loads(got.output)
    assert set(made) == {"kid", "group"} and made["group"] == "northfield"
    with app.app_context():
        row = db.session.scalar(select(ContactKey).where(ContactKey.kid == made["kid"]))
        assert row is not None and row.wrapped and row.wrapped.startswith("scrypt:")
        assert PASSPHRASE not in row.wrapped
        private = unwrap(row.wrapped, PASSPHRASE, row.kid)
        device = DeviceKey.from_wire({"kid": row.kid, "group": "x", "public_key": row.public_key})
        sealed = seal_field("07700 900123", device, RID, "contact_phone")
        assert open_field(sealed, private, RID, "contact_phone") == "07700 900123"
        with pytest.raises(WrongPassphrase):
            unwrap(row.wrapped, PASSPHRASE + "!", row.kid)
        with pytest.raises(WrongPassphrase):  # the wrapping is bound to its own kid
            unwrap(row.wrapped, PASSPHRASE, "ck-other")


def test_cli_refuses_a_short_passphrase_and_an_unknown_group(
    runner: CliRunner, tmp_path: Path
) -> None:
    short = runner.invoke(
        main,
        ["server", "contact-key", "new", "--group", "northfield"]
        + ["--passphrase-file", secret_file(tmp_path, "too short")],
    )
    assert short.exit_code == 1 and "12 to 1024 characters" in short.output
    unknown = runner.invoke(
        main,
        ["server", "contact-key", "new", "--group", "nowhere"]
        + ["--passphrase-file", secret_file(tmp_path)],
    )
    assert unknown.exit_code == 1 and "no group 'nowhere'" in unknown.output


def test_cli_prompts_for_the_passphrase_twice(app: Flask, runner: CliRunner) -> None:
    got = runner.invoke(
        main,
        ["server", "contact-key", "new", "--group", "riverside"],
        input=f"{PASSPHRASE}\n{PASSPHRASE}\n",
    )
    assert got.exit_code == 0, got.output
    assert PASSPHRASE not in got.output
    listed = json.loads(runner.invoke(main, ["server", "contact-key", "list", "--json"]).output)
    assert [k["group"] for k in listed["keys"]] == ["riverside"]


def test_pull_carries_the_newest_active_key_of_the_devices_group(
    app: Flask, client: FlaskClient, runner: CliRunner
) -> None:
    _, north = device_token(app, group="northfield")
    _, everywhere = device_token(app)

    def keys(token: str) -> list[dict]:
        return client.get("/api/v1/sync/pull", headers=bearer(token)).json["contact_keys"]

    assert keys(north) == []
    old, river = make_key(app), make_key(app, "riverside")
    new = make_key(app)  # rotation: devices seal to the newest
    assert [k["kid"] for k in keys(north)] == [new]
    assert {k["kid"] for k in keys(everywhere)} == {new, river}
    assert keys(north)[0]["alg"] == "hpke-x25519-sha256-aes128gcm"
    got = runner.invoke(main, ["server", "contact-key", "retire", new, "--json"])
    assert json.loads(got.output) == {"kid": new, "group": "northfield", "details_deleted": 0}
    assert [k["kid"] for k in keys(north)] == [old]
    with app.app_context():
        retired = db.session.scalar(select(ContactKey).where(ContactKey.kid == new))
        assert retired.wrapped is None and retired.retired_at is not None
        # the older key still opens; the retired one is gone for good
        assert set(
            open_private_keys(db.session, get_group(db.session, "northfield"), PASSPHRASE)
        ) == {old}


def test_coordinator_makes_and_retires_a_key_on_the_page(app: Flask, client: FlaskClient) -> None:
    seed(app, client)
    assert sign_in(client, "cora").status_code == 302
    page = client.get("/dashboard/contacts/")
    assert page.status_code == 200 and "No contact keys yet" in page.get_data(as_text=True)
    token = csrf_of(page.get_data(as_text=True))
    form = {"group": "northfield", "passphrase": PASSPHRASE, "csrf_token": token}
    differ = client.post("/dashboard/contacts/keys", data={**form, "confirm": "something else"})
    assert differ.status_code == 400 and "The two passphrases differ" in differ.get_data(True)
    theirs = client.post(
        "/dashboard/contacts/keys", data={**form, "group": "riverside", "confirm": PASSPHRASE}
    )
    assert theirs.status_code == 400 and "Choose one of your groups" in theirs.get_data(True)
    made = client.post("/dashboard/contacts/keys", data={**form, "confirm": PASSPHRASE})
    assert made.status_code == 302
    with app.app_context():
        kid = db.session.scalars(select(ContactKey.kid)).one()
    listed = client.get("/dashboard/contacts/").get_data(as_text=True)
    assert kid in listed and PASSPHRASE not in listed
    retired = client.post(f"/dashboard/contacts/keys/{kid}/retire", data={"csrf_token": token})
    assert retired.status_code == 302
    assert "retired" in client.get("/dashboard/contacts/").get_data(as_text=True)


def test_the_pages_are_for_coordinators_only(app: Flask, client: FlaskClient) -> None:
    seed(app, client)
    assert sign_in(client, "ada").status_code == 302
    assert client.get("/dashboard/contacts/").status_code == 403
