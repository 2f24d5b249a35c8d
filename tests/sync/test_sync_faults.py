"""Exactly once in effect: sync through a proxy that resets, drops, cuts and delays replies."""

from __future__ import annotations

import pytest

from sync.client import RetryPolicy, SyncClient
from sync.engine import sync_store

from .conftest import collector_hashes, enrollment_code, fill, server_rows
from .fault_proxy import FaultProxy, random_faults

N = 240
# Patient enough that a run of faults cannot exhaust it; sleeping is injected (no waiting).
PATIENT = RetryPolicy(attempts=40)


def host_port(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


def run_through(proxy: FaultProxy, token: str, store, batch: int = 20):
    # The read timeout is shorter than the proxy's delay, so a "delay" is a timeout too.
    with SyncClient(
        proxy.url, token, retry=PATIENT, timeouts=(2.0, 0.5), sleep=lambda s: None
    ) as client:
        return sync_store(store, client, max_count=batch)


@pytest.fixture
def token(live_server, app) -> str:
    with SyncClient(live_server) as client:
        client.enroll(enrollment_code(app), "faulty link")
        assert client.token
        return client.token


@pytest.mark.parametrize(
    ("fault", "share"),
    [("reset", 0.5), ("drop", 0.5), ("cut", 0.5), ("delay", 0.3), ("mixed", 0.5)],
)
def test_server_holds_each_response_exactly_once(
    store, app, live_server, token, fault, share
) -> None:
    ids = fill(store, N)
    kinds = ("reset", "drop", "cut", "delay") if fault == "mixed" else (fault,)
    schedule = random_faults(share, seed=len(fault), faults=kinds)
    with FaultProxy(host_port(live_server), schedule, delay=1.0) as proxy:
        summary = run_through(proxy, token, store)
    assert sum(proxy.applied[k] for k in kinds) >= 3, proxy.applied
    count, rows = server_rows(app)
    assert count == N and set(rows) == set(ids)
    assert rows == collector_hashes(store)
    assert summary.accepted + summary.duplicate == N and summary.rejected == 0
    assert store.status()["unsynced"] == 0
    if fault in ("drop", "cut", "delay"):
        # The server had committed before the reply was lost: the retry saw a duplicate.
        assert summary.duplicate > 0


def test_lost_reply_then_retry_is_a_duplicate_not_a_second_row(
    store, app, live_server, token
) -> None:
    ids = fill(store, 5)
    # Every push's first reply is lost after the server committed it.
    with FaultProxy(host_port(live_server), ["drop"]) as proxy:
        summary = run_through(proxy, token, store)
    assert (summary.accepted, summary.duplicate) == (0, 5)
    assert server_rows(app)[0] == 5 and set(server_rows(app)[1]) == set(ids)


def test_gives_up_and_keeps_everything_when_every_exchange_fails(
    store, app, live_server, token
) -> None:
    fill(store, 10)
    with FaultProxy(host_port(live_server), lambda n: "reset") as proxy:
        with SyncClient(
            proxy.url, token, retry=RetryPolicy(attempts=4), sleep=lambda s: None
        ) as client:
            with pytest.raises(Exception, match="after 4 tries"):
                sync_store(store, client)
    assert store.status()["unsynced"] == 10 and server_rows(app)[0] == 0
