"""The collector's local JSON API through Flask's test client, on a real store on disk."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from collector import hooks
from collector.app import close_app, create_app
from collector.bundle import read_bundle
from collector.store import ResponseStore
from tests.collector.test_storage_full import _leave_free, disk  # noqa: F401 (fixture)
from tests.collector.test_store import SURVEY, response

KEY = "k" * 32
PHONE = {"REMOTE_ADDR": "192.168.4.20"}


def make_app(tmp_path: Path, **config: Any) -> Flask:
    app = create_app({"data": tmp_path, "local_key": KEY, "TESTING": True, **config})
    app.extensions["doorstep_store"].set_pulled(surveys=[SURVEY])
    return app


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(tmp_path)
    yield app
    close_app(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def store_of(app: Flask) -> ResponseStore:
    return app.extensions["doorstep_store"]


def test_health(client: FlaskClient) -> None:
    assert client.get("/api/v1/health").get_json() == {"status": "ok"}


def test_post_response_is_stored_and_counted(app: Flask, client: FlaskClient) -> None:
    reply = client.post("/api/v1/responses", json=response())
    assert reply.status_code == 201
    rid = reply.get_json()["id"]
    assert store_of(app).get_response(rid)["area"] == "abbey"
    assert client.get("/api/v1/status").get_json() == {
        "stored": 1,
        "unsynced": 1,
        "rejected": 0,
        "conflicts": 0,
        "last_sync": None,
    }


def test_retry_with_the_same_id_answers_201_again(client: FlaskClient) -> None:
    body = response(id="1b4e28ba-2fa1-41d2-883f-0016d3cca427")
    assert client.post("/api/v1/responses", json=body).status_code == 201
    assert client.post("/api/v1/responses", json=body).status_code == 201
    assert client.get("/api/v1/status").get_json()["stored"] == 1


def test_same_id_other_content_is_409(client: FlaskClient) -> None:
    body = response(id="1b4e28ba-2fa1-41d2-883f-0016d3cca427")
    client.post("/api/v1/responses", json=body)
    reply = client.post("/api/v1/responses", json={**body, "area": "elm-park"})
    assert reply.status_code == 409
    assert reply.get_json()["error"]["code"] == "conflict"


def test_invalid_answers_are_422_with_field_errors(client: FlaskClient) -> None:
    reply = client.post("/api/v1/responses", json=response(answers={"concerns": "x"}))
    assert reply.status_code == 422
    err = reply.get_json()["error"]
    assert err["code"] == "invalid_response" and err["message"]
    assert "answers.concerns" in err["details"]["fields"]


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"data": b"{not json", "content_type": "application/json"}, 400, "malformed_json"),
        ({"data": b"area=abbey", "content_type": "text/plain"}, 415, "unsupported_media_type"),
        ({"json": [1, 2]}, 422, "invalid_response"),
        (
            {"data": b"{}" + b" " * 2_000_000, "content_type": "application/json"},
            413,
            "payload_too_large",
        ),
    ],
)
def test_bad_bodies_get_the_one_error_body(
    client: FlaskClient, kwargs: dict, status: int, code: str
) -> None:
    reply = client.post("/api/v1/responses", **kwargs)
    assert reply.status_code == status
    assert set(reply.get_json()["error"]) == {"code", "message", "details"}
    assert reply.get_json()["error"]["code"] == code


def test_unknown_api_url_and_wrong_method_are_json(client: FlaskClient) -> None:
    assert client.get("/api/v1/nope").get_json()["error"]["code"] == "not_found"
    reply = client.delete("/api/v1/health")
    assert reply.status_code == 405
    assert reply.get_json()["error"]["code"] == "method_not_allowed"


def test_phone_needs_a_signed_in_volunteer(client: FlaskClient) -> None:
    reply = client.post("/api/v1/responses", json=response(), environ_base=PHONE)
    assert reply.status_code == 403
    with client.session_transaction() as sess:
        sess["volunteer"] = "vol-7"
    assert client.post("/api/v1/responses", json=response(), environ_base=PHONE).status_code == 201


def test_surveys_and_areas(client: FlaskClient) -> None:
    surveys = client.get("/api/v1/surveys").get_json()["surveys"]
    assert {"id": "test-safety", "version": 1}.items() <= surveys[-1].items()
    areas = client.get("/api/v1/areas").get_json()["areas"]
    assert {a["code"] for a in areas} >= {"abbey", "bell-green", "canal-side", "elm-park"}


def test_hostile_text_is_stored_as_text(app: Flask, client: FlaskClient) -> None:
    hostile = "<script>alert(1)</script>"
    body = response(answers={"concerns": ["other"], "other_concern": hostile})
    rid = client.post("/api/v1/responses", json=body).get_json()["id"]
    assert store_of(app).get_response(rid)["answers"]["other_concern"] == hostile


def test_export_streams_a_bundle_to_the_local_cli(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    ids = [client.post("/api/v1/responses", json=response()).get_json()["id"] for _ in range(3)]
    reply = client.get("/api/v1/export", headers={"X-Doorstep-Key": KEY})
    assert reply.status_code == 200 and reply.headers["X-Doorstep-Count"] == "3"
    (tmp_path / "b.gz").write_bytes(reply.data)
    manifest, items = read_bundle(tmp_path / "b.gz")
    assert [i["id"] for i in items] == ids
    assert not list(tmp_path.glob(".export-*"))


@pytest.mark.parametrize(
    ("headers", "environ"),
    [({}, {}), ({"X-Doorstep-Key": "wrong"}, {}), ({"X-Doorstep-Key": KEY}, PHONE)],
)
def test_admin_calls_need_loopback_and_the_local_key(
    client: FlaskClient, headers: dict, environ: dict
) -> None:
    reply = client.get("/api/v1/export", headers=headers, environ_base=environ)
    assert reply.status_code == 403
    assert reply.get_json()["error"]["code"] == "forbidden"


def test_device_enrollment_never_shows_the_token(client: FlaskClient) -> None:
    body = {"server_url": "http://127.0.0.1:5000", "device_id": "dev-9", "token": "t" * 40}
    headers = {"X-Doorstep-Key": KEY}
    reply = client.put("/api/v1/device", json=body, headers=headers)
    assert reply.get_json() == {
        "enrolled": True,
        "server_url": "http://127.0.0.1:5000",
        "device_id": "dev-9",
    }
    assert "t" * 40 not in client.get("/api/v1/device", headers=headers).get_data(as_text=True)
    bad = client.put("/api/v1/device", json={"device_id": ""}, headers=headers)
    assert bad.status_code == 422 and "server_url" in bad.get_json()["error"]["details"]["fields"]


def test_sync_calls_the_installed_hook(client: FlaskClient, monkeypatch) -> None:
    headers = {"X-Doorstep-Key": KEY}
    monkeypatch.setattr(hooks, "sync_now", None)
    assert client.post("/api/v1/sync", headers=headers).status_code == 501

    def fake_sync(store: ResponseStore) -> dict:
        return {"sent": store.status()["unsynced"]}

    monkeypatch.setattr(hooks, "sync_now", fake_sync)
    assert client.post("/api/v1/sync", headers=headers).get_json() == {"sent": 0}

    def failing_sync(store: ResponseStore) -> dict:
        raise hooks.SyncFailed("server unreachable", "unreachable", 503)

    monkeypatch.setattr(hooks, "sync_now", failing_sync)
    reply = client.post("/api/v1/sync", headers=headers)
    assert reply.status_code == 503 and reply.get_json()["error"]["code"] == "unreachable"


def test_kiosk_reveals_no_stored_data(tmp_path: Path) -> None:
    app = make_app(tmp_path, kiosk="test-safety")
    client = app.test_client()
    try:
        assert client.get("/api/v1/health").status_code == 200
        for url in ("/api/v1/status", "/api/v1/surveys", "/api/v1/areas", "/api/v1/export"):
            assert client.get(url).status_code == 404, url
        assert client.post("/api/v1/responses", json=response()).status_code == 404
        # The CLI on the same machine still reaches it with the local key.
        trusted = client.get("/api/v1/status", headers={"X-Doorstep-Key": KEY})
        assert trusted.get_json()["stored"] == 0
    finally:
        close_app(app)


def test_bundle_from_export_is_gzip(client: FlaskClient) -> None:
    reply = client.get("/api/v1/export", headers={"X-Doorstep-Key": KEY})
    first = gzip.GzipFile(fileobj=io.BytesIO(reply.data)).readline()
    assert json.loads(first)["format"] == "doorstep-bundle"


def test_full_disk_is_507_and_keeps_every_acknowledged_response(disk: Path) -> None:  # noqa: F811
    app = make_app(disk / "data")
    client = app.test_client()
    filler = _leave_free(disk, 24 * 1024)
    body = response(answers={"concerns": ["other"], "other_concern": "Fly-tipping. " * 35})
    saved, reply = [], None
    try:
        for _ in range(200):
            reply = client.post("/api/v1/responses", json=body)
            if reply.status_code != 201:
                break
            saved.append(reply.get_json()["id"])
        assert reply.status_code == 507
        assert reply.get_json()["error"]["code"] == "storage_full"
        assert saved
    finally:
        close_app(app)
    filler.unlink()
    with ResponseStore(disk / "data") as store:
        assert [r["id"] for r in store.iter_responses()] == saved
