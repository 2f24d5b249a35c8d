"""Sync inside a running collector: the ``sync_now`` hook and the background sync job.

Both run in the ``doorstep collector serve`` process, which owns the store; a lock keeps
them from syncing at the same time. Capture never waits for sync: the store locks only for
each short read or write, and the HTTP work happens outside it.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from collector import hooks
from collector.error_codes import ErrorCode
from collector.store import ResponseStore

from .client import RetryPolicy, SyncClient
from .engine import SyncSummary, sync_store
from .errors import DeviceRevoked, ServerUnreachable, SyncError

log = logging.getLogger(__name__)

_one_at_a_time = threading.Lock()
# A quick look before a background sync: is the server there at all?
PROBE = RetryPolicy(attempts=1)
# In the background a failed sync waits for the next round instead of retrying for long.
BACKGROUND = RetryPolicy(attempts=4, base=1.0, cap=10.0, max_retry_after=60.0)


class Stopping(Exception):
    """The collector is shutting down: stop between batches."""


def outcome(store: ResponseStore, summary: SyncSummary) -> dict[str, Any]:
    """Return the JSON-able result of a sync: the summary and the outbox afterwards."""
    status = store.status()
    return {
        **summary.as_dict(),
        "unsynced": status["unsynced"],
        "rejected_total": status["rejected"],
        "conflicts_total": status.get("conflicts", 0),
        "last_sync": status["last_sync"],
    }


def sync_now(store: ResponseStore) -> dict[str, Any]:
    """Run one sync for the local API (``POST /api/v1/sync``); raise ``SyncFailed`` on failure."""
    device = store.device()
    if device is None:
        raise hooks.SyncFailed(
            "this collector is not enrolled: run doorstep collector enroll URL CODE",
            code=ErrorCode.NOT_ENROLLED,
            status=409,
        )
    with _one_at_a_time, SyncClient(device.server_url, device.token) as client:
        try:
            summary = sync_store(store, client)
        except DeviceRevoked as exc:
            raise hooks.SyncFailed(revoked_message(store), ErrorCode.DEVICE_REVOKED, 409) from exc
        except SyncError as exc:
            raise hooks.SyncFailed(f"sync failed: {exc.message}", exc.code, 502) from exc
    return outcome(store, summary)


def revoked_message(store: ResponseStore) -> str:
    """Explain a revoked device, saying that nothing was lost."""
    unsynced = store.status()["unsynced"]
    return (
        f"the server no longer accepts this device (revoked); {unsynced} unsynced responses "
        "are kept here: enroll again with a new code, or export a bundle"
    )


def background_sync(app: Any) -> None:
    """Sync every ``sync_interval`` seconds while enrolled and the server answers."""
    interval = app.config["DOORSTEP_SETTINGS"].sync_interval
    if interval <= 0:
        return
    store: ResponseStore = app.extensions["doorstep_store"]
    stopping: threading.Event = app.extensions["doorstep_stopping"]

    def check_stop(_: int) -> None:
        if stopping.is_set():
            raise Stopping

    revoked_token: str | None = None
    delay = min(interval, 5.0)  # the first round comes soon after start
    while not stopping.wait(delay):
        delay = interval
        device = store.device()
        if device is None or device.token == revoked_token:
            continue  # not enrolled, or still the revoked token: nothing to try
        if not _one_at_a_time.acquire(blocking=False):
            continue  # a sync asked for by a person is running
        try:
            with SyncClient(device.server_url, device.token, retry=BACKGROUND) as client:
                try:
                    SyncClient(device.server_url, session=client.session, retry=PROBE).health()
                    summary = sync_store(store, client, progress=check_stop)
                except DeviceRevoked:
                    revoked_token = device.token
                    log.warning("background sync stopped: %s", revoked_message(store))
                except ServerUnreachable as exc:
                    log.info("background sync: server not reachable (%s)", exc.message)
                except SyncError as exc:
                    log.warning("background sync failed: %s", exc.message)
                except Stopping:
                    return
                else:
                    if summary.sent or summary.pulled:
                        log.info("background sync: %s", summary.line())
        finally:
            _one_at_a_time.release()


def install() -> None:
    """Fill the collector's hooks with sync (safe to call more than once)."""
    hooks.set_sync_now(sync_now)
    if background_sync not in hooks.background_jobs:
        hooks.background_jobs.append(background_sync)


__all__ = ["background_sync", "install", "outcome", "revoked_message", "sync_now"]
