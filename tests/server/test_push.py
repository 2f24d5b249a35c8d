"""Push: per-item outcomes in order, gzip bodies, size limits and tokens."""

from __future__ import annotations

import gzip
import json

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from collector.sealing import ContactKey as DeviceKey
from collector.sealing import seal_field
from server.accounts.devices import revoke_device
from server.db import db
from server.models import Device, PersonalDetail, Response, ResponseConflict
from tests.factories import push
from tests.sealing_keys import add_server_key, opened, wire_keys

from .conftest import bearer, device_token, make_response


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_one_batch_gets_all_four_outcomes_in_order(
    app: Flask, client: FlaskClient, device: str
) -> None:
    first, second = make_response(), make_response()
    push(client, device, [first, second])
    changed = {**second, "answers": {"concerns": ["litter"]}}
    bad = make_response(answers={"concerns": ["no-such-choice"]})
    new = make_response()
    response = push(client, device, [new, first, changed, bad])
    assert response.status_code == 200
    assert [r["status"] for r in response.json["results"]] == [
        "accepted",
        "duplicate",
        "conflict",
        "rejected",
    ]
    assert [r["id"] for r in response.json["results"]] == [
        new["id"],
        first["id"],
        second["id"],
        bad["id"],
    ]
    assert "answers.concerns" in response.json["results"][3]["errors"]
    with app.app_context():
        stored = db.session.get(Response, second["id"])
        assert stored.answers == second["answers"]  # nothing overwritten
        assert stored.conflict is True
        kept = db.session.scalar(select(ResponseConflict))
        assert kept.envelope["answers"] == {"concerns": ["litter"]}
    assert count(app, Response) == 3


def test_one_bad_response_never_rejects_its_neighbours(
    app: Flask, client: FlaskClient, device: str
) -> None:
    items = [make_response(), {"id": "junk"}, "not even an object", make_response(area="nowhere")]
    results = push(client, device, items).json["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "rejected", "rejected"]
    assert results[2]["id"] is None
    assert "area" in results[3]["errors"]
    assert count(app, Response) == 1


def test_a_nul_or_lone_surrogate_rejects_only_the_response_holding_it(
    app: Flask, client: FlaskClient, device: str
) -> None:
    # No database text holds either; the collector refuses them at capture, so only a broken
    # or hostile client sends one, and its neighbours in the push still go in.
    good = make_response()
    nul = make_response(volunteer="a\x00b")
    surrogate = make_response(answers={"concerns": ["speeding"], "severity": 3, "x\ud800": 1})
    again = dict(nul)  # the same id once more, now storable: it goes in
    again.pop("volunteer")
    body = json.dumps({"responses": [good, nul, surrogate, again]})  # \u0000, \ud800 escapes
    assert "\\u0000" in body and "\\ud800" in body
    reply = client.post(
        "/api/v1/sync/push",
        data=body,
        headers={**bearer(device), "Content-Type": "application/json"},
    )
    assert reply.status_code == 200
    results = reply.json["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "rejected", "accepted"]
    assert results[1]["id"] == nul["id"]
    assert results[1]["errors"] == {"volunteer": ["a string holds a NUL character (\\u0000)"]}
    assert results[2]["errors"] == {
        "answers": ["a string holds a lone surrogate (\\ud800-\\udfff)"]
    }
    assert count(app, Response) == 2
    with app.app_context():
        device_row = db.session.scalars(select(Device)).one()
        assert (device_row.accepted, device_row.rejected) == (2, 2)
    # in a body of one thing (not a push) such a string still refuses the body
    refused = client.post(
        "/api/v1/devices/enroll",
        data='{"code": "ABCD\\u0000", "label": "x"}',
        headers={"Content-Type": "application/json"},
    )
    assert refused.status_code == 400
    assert refused.json["error"]["code"] == "malformed_json"


def test_unknown_survey_version_is_rejected_with_the_field(
    client: FlaskClient, device: str
) -> None:
    result = push(client, device, [make_response(survey_version=9)]).json["results"][0]
    assert result["status"] == "rejected"
    assert "survey_version" in result["errors"]


def test_retry_with_extra_client_keys_and_nulls_is_a_duplicate(
    client: FlaskClient, device: str
) -> None:
    item = make_response()
    push(client, device, [item])
    retry = {**item, "volunteer": None, "street": None}
    assert push(client, device, [retry]).json["results"][0]["status"] == "duplicate"


def test_same_id_twice_in_one_batch_is_stored_once(
    app: Flask, client: FlaskClient, device: str
) -> None:
    item = make_response()
    results = push(client, device, [item, item]).json["results"]
    assert [r["status"] for r in results] == ["accepted", "duplicate"]
    assert count(app, Response) == 1


def test_gzip_body_is_accepted(client: FlaskClient, device: str) -> None:
    body = gzip.compress(json.dumps({"responses": [make_response()]}).encode())
    response = client.post(
        "/api/v1/sync/push",
        data=body,
        content_type="application/json",
        headers={**bearer(device), "Content-Encoding": "gzip"},
    )
    assert response.status_code == 200
    assert response.json["results"][0]["status"] == "accepted"


def test_oversize_body_gets_413(app: Flask, client: FlaskClient, device: str) -> None:
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_BODY_BYTES"] = 2000
    items = [make_response() for _ in range(20)]
    response = push(client, device, items)
    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"
    assert count(app, Response) == 0


def test_gzip_bomb_gets_413_without_inflating(app: Flask, client: FlaskClient, device: str) -> None:
    app.config["MAX_BODY_BYTES"] = 100_000
    # 50 MB of spaces squeezes into ~50 kB: small on the wire, huge if inflated whole.
    bomb = gzip.compress(b'{"responses": [' + b" " * 50_000_000 + b"]}")
    assert len(bomb) < 100_000
    response = client.post(
        "/api/v1/sync/push",
        data=bomb,
        content_type="application/json",
        headers={**bearer(device), "Content-Encoding": "gzip"},
    )
    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"


def test_too_many_responses_in_one_push_gets_413(
    app: Flask, client: FlaskClient, device: str
) -> None:
    app.config["MAX_PUSH_RESPONSES"] = 2
    response = push(client, device, [make_response() for _ in range(3)])
    assert response.status_code == 413


def test_revoked_token_gets_401_invalid_token(app: Flask, client: FlaskClient) -> None:
    device_id, token = device_token(app)
    assert push(client, token, [make_response()]).status_code == 200
    with app.app_context():
        revoke_device(db.session, device_id, now=app.config["CLOCK"]())
        db.session.commit()
    response = push(client, token, [make_response()])
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_token"


def test_unknown_or_missing_token_gets_401(client: FlaskClient) -> None:
    assert push(client, "not-a-token", [make_response()]).status_code == 401
    response = client.post("/api/v1/sync/push", json={"responses": []})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_token"


def test_body_without_responses_list_gets_400(client: FlaskClient, device: str) -> None:
    response = client.post("/api/v1/sync/push", json={"items": []}, headers=bearer(device))
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_input"


def test_device_counts_and_last_sync_are_kept(app: Flask, client: FlaskClient) -> None:
    device_id, token = device_token(app)
    item = make_response()
    push(client, token, [item, item, make_response(survey_version=5)])
    with app.app_context():
        device = db.session.get(Device, device_id)
        assert (device.accepted, device.duplicates, device.rejected) == (1, 1, 1)
        assert device.last_sync_at == app.config["CLOCK"]()


def _add_consent_survey(app: Flask) -> None:
    """Add version 2 of the test survey, which asks consent and then a phone number."""
    with app.app_context():
        from server.catalogue.surveys import add_survey

        from .conftest import TEST_SURVEY

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
        add_survey(db.session, survey)
        db.session.commit()


def test_personal_details_are_kept_apart_and_need_consent(
    app: Flask, client: FlaskClient, device: str
) -> None:
    _add_consent_survey(app)
    add_server_key(app)
    answers = {"concerns": ["speeding"], "ok": True}
    ok = make_response(survey_version=2, answers=answers, personal={"contact": "0700 000000"})
    refused = make_response(
        survey_version=2, answers={**answers, "ok": False}, personal={"contact": "0700 000001"}
    )
    results = push(client, device, [ok, refused]).json["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected"]
    with app.app_context():
        stored = db.session.get(Response, ok["id"])
        assert "contact" not in json.dumps(stored.answers)
        detail = db.session.scalar(select(PersonalDetail))
        # sent in the clear (an older device): sealed before it was stored
        assert "0700" not in json.dumps(detail.data)
        assert detail.response_id == ok["id"]
        assert opened(detail.data, ok["id"]) == {"contact": "0700 000000"}
        assert (detail.expires_at - app.config["CLOCK"]()).days == 365


def test_sealed_details_are_kept_only_under_an_active_key_of_the_areas_group(
    app: Flask, client: FlaskClient, device: str
) -> None:
    _add_consent_survey(app)
    answers = {"concerns": ["speeding"], "ok": True}
    clear = make_response(survey_version=2, answers=answers, personal={"contact": "0700 1"})
    push(client, device, [clear])  # no key for the group yet: nothing personal is kept
    kid = add_server_key(app)
    rid = "0e8f1c9a-3b7d-4e21-9f0a-5c6d7e8f9a0b"
    good = seal_field("0700 2", DeviceKey.from_wire(wire_keys()[0]), rid, "contact")
    sealed = make_response(id=rid, survey_version=2, answers=answers, personal={"contact": good})
    stray = make_response(
        survey_version=2, answers=answers, personal={"contact": {**good, "kid": "ck-unknown"}}
    )
    broken = make_response(
        survey_version=2, answers=answers, personal={"contact": {**good, "ct": "no"}}
    )
    results = push(client, device, [sealed, stray, broken]).json["results"]
    assert [r["status"] for r in results] == ["accepted", "accepted", "rejected"]
    assert "personal.contact" in results[2]["errors"]
    with app.app_context():
        kept = db.session.scalars(select(PersonalDetail)).all()
        assert [(d.response_id, d.data) for d in kept] == [(rid, {"contact": good})]
        assert good["kid"] == kid


def test_contact_details_are_not_part_of_a_responses_content(
    app: Flask, client: FlaskClient, device: str
) -> None:
    _add_consent_survey(app)
    add_server_key(app)
    answers = {"concerns": ["speeding"], "ok": True}
    sent = make_response(survey_version=2, answers=answers, personal={"contact": "0700 000000"})
    assert push(client, device, [sent]).json["results"][0]["status"] == "accepted"
    # The collector forgets the phone number once acknowledged; a bundle exported later, or a
    # retry, carries the response without it: the same response, not a conflict.
    forgotten = {k: v for k, v in sent.items() if k != "personal"}
    assert push(client, device, [forgotten]).json["results"][0]["status"] == "duplicate"
    changed = {**sent, "answers": {**answers, "concerns": ["litter"]}}
    assert push(client, device, [changed]).json["results"][0]["status"] == "conflict"
    with app.app_context():
        kept = db.session.scalar(select(ResponseConflict))
        assert kept.envelope["answers"]["concerns"] == ["litter"]
        assert "0700" not in json.dumps(kept.envelope)  # contact details stay apart
