"""The sync client's retry rules, against a scripted HTTP server on loopback (sleep injected)."""

from __future__ import annotations

import email.utils
from collections.abc import Iterator

import pytest
import requests

from sync.client import RetryPolicy, SyncClient, parse_retry_after
from sync.errors import (
    CursorExpired,
    DeviceRevoked,
    EnrollmentRefused,
    RequestRejected,
    ServerUnreachable,
)

from .fault_proxy import FaultProxy
from .scripted import ScriptedServer

OK_PUSH = (200, {}, {"results": [{"id": "a", "status": "accepted"}]})
BATCH = [{"id": "a", "answers": {}}]


def error(code: str) -> dict:
    return {"error": {"code": code, "message": f"it is {code}", "details": {}}}


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    script = ScriptedServer()
    script.url = script.start()
    yield script
    script.stop()


@pytest.fixture
def sleeps() -> list[float]:
    return []


def make_client(url: str, sleeps: list[float], **kw) -> SyncClient:
    kw.setdefault("retry", RetryPolicy(attempts=5, base=0.5, cap=4.0))
    return SyncClient(url, "tok", sleep=sleeps.append, rand=lambda: 1.0, **kw)


def test_backoff_doubles_up_to_the_cap_with_full_jitter() -> None:
    policy = RetryPolicy(base=0.5, cap=4.0)
    assert [policy.backoff(n, lambda: 1.0) for n in range(6)] == [0.5, 1, 2, 4, 4, 4]
    assert policy.backoff(3, lambda: 0.25) == 1.0
    assert policy.backoff(3, lambda: 0.0) == 0.0


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_retries_5xx_and_429_then_succeeds(server, sleeps, status) -> None:
    server.replies = [(status, {}, error("busy")), (status, {}, error("busy")), OK_PUSH]
    client = make_client(server.url, sleeps)
    assert client.push(BATCH) == [{"id": "a", "status": "accepted"}]
    assert len(server.seen) == 3
    assert sleeps == [0.5, 1.0]


def test_retry_after_seconds_is_honoured(server, sleeps) -> None:
    server.replies = [(429, {"Retry-After": "7"}, error("slow_down")), OK_PUSH]
    make_client(server.url, sleeps).push(BATCH)
    assert sleeps == [7.0]


def test_retry_after_http_date_is_honoured_with_injected_clock(server, sleeps) -> None:
    now = 1_700_000_000.0
    when = email.utils.formatdate(now + 42, usegmt=True)
    server.replies = [(503, {"Retry-After": when}, error("maintenance")), OK_PUSH]
    make_client(server.url, sleeps, clock=lambda: now).push(BATCH)
    assert sleeps == [42.0]


def test_retry_after_is_capped(server, sleeps) -> None:
    server.replies = [(429, {"Retry-After": "99999"}, error("slow_down")), OK_PUSH]
    make_client(server.url, sleeps, retry=RetryPolicy(max_retry_after=60)).push(BATCH)
    assert sleeps == [60.0]


def test_parse_retry_after_ignores_garbage() -> None:
    assert parse_retry_after("soon", 0.0) is None
    assert parse_retry_after(None, 0.0) is None
    assert parse_retry_after(" 3 ", 0.0) == 3.0


@pytest.mark.parametrize(
    ("status", "exc"),
    [
        (400, RequestRejected),
        (401, DeviceRevoked),
        (403, RequestRejected),
        (413, RequestRejected),
        (422, RequestRejected),
    ],
)
def test_never_retries_client_errors(server, sleeps, status, exc) -> None:
    server.replies = [(status, {}, error("nope")), OK_PUSH]
    with pytest.raises(exc) as info:
        make_client(server.url, sleeps).push(BATCH)
    assert len(server.seen) == 1 and sleeps == []
    assert info.value.status == status and info.value.code == "nope"


def test_gives_up_after_the_last_attempt(server, sleeps) -> None:
    server.replies = [(503, {}, error("down"))] * 5
    with pytest.raises(ServerUnreachable, match="after 5 tries"):
        make_client(server.url, sleeps).push(BATCH)
    assert len(server.seen) == 5
    assert sleeps == [0.5, 1.0, 2.0, 4.0]


def test_connection_refused_is_retried_then_reported(free_port, sleeps) -> None:
    client = make_client(f"http://127.0.0.1:{free_port}", sleeps, retry=RetryPolicy(attempts=3))
    with pytest.raises(ServerUnreachable):
        client.pull(None)
    assert len(sleeps) == 2


def test_read_timeout_is_retried(server, sleeps) -> None:
    # The proxy holds the first reply longer than the client's read timeout.
    server.replies = [OK_PUSH, OK_PUSH]
    host, port = server.url.removeprefix("http://").split(":")
    with FaultProxy((host, int(port)), ["delay"], delay=1.0) as proxy:
        client = make_client(proxy.url, sleeps, timeouts=(2.0, 0.2))
        assert client.push(BATCH)[0]["status"] == "accepted"
    assert len(sleeps) == 1


def test_large_bodies_are_gzipped_small_ones_not(server, sleeps) -> None:
    big = [{"id": "a", "answers": {"text": "x" * 5000}}]
    server.replies = [OK_PUSH, OK_PUSH]
    client = make_client(server.url, sleeps)
    client.push(big)
    client.push(BATCH)
    first, second = server.seen
    assert first.headers["content-encoding"] == "gzip"
    assert len(first.body) < 1000 and first.json() == {"responses": big}
    assert "content-encoding" not in second.headers and second.json() == {"responses": BATCH}
    assert first.headers["authorization"] == "Bearer tok"


def test_push_reply_out_of_order_is_an_error(server, sleeps) -> None:
    server.replies = [(200, {}, {"results": [{"id": "b", "status": "accepted"}]})]
    with pytest.raises(Exception, match="out of order"):
        make_client(server.url, sleeps).push(BATCH)


@pytest.mark.parametrize(("status", "code"), [(401, "invalid_code"), (410, "code_used")])
def test_enroll_refusals_are_not_retried(server, sleeps, status, code) -> None:
    server.replies = [(status, {}, error(code))]
    client = SyncClient(server.url, sleep=sleeps.append)
    with pytest.raises(EnrollmentRefused) as info:
        client.enroll("ABC", "laptop")
    assert info.value.code == code and len(server.seen) == 1


def test_enroll_keeps_the_token(server, sleeps) -> None:
    server.replies = [(201, {}, {"device_id": "d1", "token": "t" * 43})]
    client = SyncClient(server.url, sleep=sleeps.append)
    got = client.enroll("ABC", "laptop")
    assert (got.device_id, client.token) == ("d1", "t" * 43)
    assert server.seen[0].json() == {"code": "ABC", "label": "laptop"}
    assert "authorization" not in server.seen[0].headers


def test_enroll_is_not_resent_after_a_lost_reply(server, sleeps) -> None:
    # The server may have spent the code: resending would only get "code used".
    server.replies = [(201, {}, {"device_id": "d1", "token": "t"})]
    host, port = server.url.removeprefix("http://").split(":")
    with FaultProxy((host, int(port)), ["drop"]) as proxy:
        with pytest.raises(ServerUnreachable, match="lost the connection"):
            SyncClient(proxy.url, sleep=sleeps.append).enroll("ABC", "laptop")
    assert len(server.seen) == 1


def test_pull_410_is_cursor_expired(server, sleeps) -> None:
    server.replies = [(410, {}, error("cursor_expired"))]
    with pytest.raises(CursorExpired):
        make_client(server.url, sleeps).pull("12")
    assert server.seen[0].path.endswith("?since=12")


def test_health_checks_the_protocol(server, sleeps) -> None:
    server.replies = [(200, {}, {"status": "ok", "protocol": 1}), (200, {}, {"protocol": 2})]
    client = make_client(server.url, sleeps)
    assert client.health()["status"] == "ok"
    with pytest.raises(Exception, match="protocol 2"):
        client.health()


def test_uses_the_given_session(server, sleeps) -> None:
    session = requests.Session()
    session.headers["X-Test"] = "yes"
    server.replies = [(200, {}, {"status": "ok", "protocol": 1})]
    make_client(server.url, sleeps, session=session).health()
    assert server.seen[0].headers["x-test"] == "yes"
