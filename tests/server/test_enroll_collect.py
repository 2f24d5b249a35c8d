"""Enrolling an ODK Collect phone: ``doorstep server enroll-collect`` and the dashboard's QR code.

The settings text is read back as Collect reads it (base64, zlib, JSON), and the server URL in
it is used over real HTTP: the phone's key lists its group's forms until it is revoked.
"""

from __future__ import annotations

import html
import json
import re

import requests
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from server.cli import main
from server.db import db
from server.models import Device
from sync.openrosa import read_collect_settings
from tests.server.test_web_data import post_form, seed, sign_in


def enroll(runner: CliRunner, *args: str) -> dict[str, str]:
    result = runner.invoke(main, ["server", "enroll-collect", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_command_makes_a_phone_whose_qr_holds_collects_settings(
    app: Flask, runner: CliRunner, live_server: str
) -> None:
    data = enroll(runner, "--group", "northfield", "--label", "Ann's phone", "--url", live_server)
    assert set(data) == {"device_id", "server_url", "settings"}
    assert data["server_url"].startswith(f"{live_server}/openrosa/key/")
    settings = read_collect_settings(data["settings"])
    assert settings["general"]["server_url"] == data["server_url"]
    assert settings["general"]["form_update_mode"] == "match_exactly"
    assert settings["admin"] == {"change_server": False}
    assert settings["project"] == {"name": "Northfield CSG: Ann's phone"}
    with app.app_context():
        device = db.session.get(Device, data["device_id"])
        assert (device.label, device.group.code) == ("Ann's phone", "northfield")
        token = data["server_url"].rsplit("/", 1)[1]
        assert token not in device.token_hash  # kept only as its hash
    form_list = requests.get(f"{data['server_url']}/formList", timeout=30)
    assert form_list.status_code == 200 and b"test-safety" in form_list.content
    # Revoke works as for any device.
    revoked = runner.invoke(main, ["server", "revoke-device", data["device_id"]])
    assert revoked.exit_code == 0, revoked.output
    assert requests.get(f"{data['server_url']}/formList", timeout=30).status_code == 403


def test_the_command_prints_the_qr_and_warns_of_an_address_a_phone_cannot_reach(
    runner: CliRunner,
) -> None:
    result = runner.invoke(main, ["server", "enroll-collect", "--group", "northfield",
                                  "--label", "Bo"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "█" in result.output and "scan this code" in result.output
    assert "cannot be reached from a phone" in result.output
    text = re.search(r"settings: (\S+)", result.output)
    assert text and read_collect_settings(text.group(1))["general"]["server_url"].startswith(
        "http://127.0.0.1:5000/openrosa/key/"
    )


def test_the_command_refuses_an_unknown_group_or_a_bad_address(
    runner: CliRunner, app: Flask
) -> None:
    for args in (["--group", "nope"], ["--group", "northfield", "--url", "ftp://x"]):
        result = runner.invoke(main, ["server", "enroll-collect", "--label", "x", *args])
        assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Device)) == 0


def test_the_dashboard_shows_the_qr_once_for_one_of_the_coordinators_groups(
    app: Flask, client: FlaskClient
) -> None:
    seed(app, client)
    assert sign_in(client, "cora").status_code == 302  # Northfield's coordinator
    reply = post_form(
        client,
        "/dashboard/devices/",
        "/dashboard/devices/collect",
        {"label": "Ann's <phone>", "group": "northfield"},
    )
    page = reply.get_data(as_text=True)
    assert reply.status_code == 200, page
    assert "<svg" in page and "Ann&#39;s &lt;phone&gt;" in page
    settings = re.search(r'<code class="command" id="collect-settings">([^<]+)</code>', page)
    assert settings is not None
    got = read_collect_settings(html.unescape(settings.group(1)))
    assert got["general"]["server_url"].startswith("http://localhost/openrosa/key/")
    assert client.get("/dashboard/devices/").get_data(as_text=True).count("collect-settings") == 0
    for group in ("riverside", ""):  # another group's, or none: refused, nothing made
        reply = post_form(
            client,
            "/dashboard/devices/",
            "/dashboard/devices/collect",
            {"label": "Intruder", "group": group},
        )
        assert reply.status_code == 400
    with app.app_context():
        labels = db.session.scalars(sa.select(Device.label)).all()
        assert "Intruder" not in labels and "Ann's <phone>" in labels


def test_the_dashboard_uses_public_url_when_it_is_set(app: Flask, client: FlaskClient) -> None:
    seed(app, client)
    app.config["PUBLIC_URL"] = "https://doorstep.example.org/"
    sign_in(client, "ada")
    reply = post_form(
        client,
        "/dashboard/devices/",
        "/dashboard/devices/collect",
        {"label": "Cy", "group": "riverside"},
    )
    settings = re.search(r'id="collect-settings">([^<]+)<', reply.get_data(as_text=True))
    assert settings is not None
    url = read_collect_settings(settings.group(1))["general"]["server_url"]
    assert url.startswith("https://doorstep.example.org/openrosa/key/")
