"""One sync of a collector store with its server: push the outbox, then pull what changed.

The outbox rules (DESIGN.md, Sync contract): a response leaves the outbox only when the server
says ``accepted`` or ``duplicate``. ``rejected`` stays on the device with the server's reasons.
``conflict`` means the server already holds another response under that id; it has kept both
and flagged them for a coordinator, so resending can never help: the response is marked
``conflict`` (not resent, counted in ``status``) and stays on the device. Nothing is deleted.

After the pull, door visits and volunteer sessions go to ``POST /api/v1/sync/activity`` for the
server's reach ledger; each is marked synced only when the server's answer names it.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from collector.error_codes import ErrorCode

from .client import SyncClient
from .errors import CursorExpired, RequestRejected, SyncError

MAX_BATCH = 200
MAX_BATCH_BYTES = 512 * 1024
# Pushes under way at once: while the server stores one batch, the next is on its way.
IN_FLIGHT = 2
# How many batches' worth of the outbox to read from the store at a time.
WINDOW_BATCHES = 5
MAX_PULL_PAGES = 10_000
VISIT_BATCH = 500
MAX_VISIT_ROUNDS = 10_000
# Only what the reach ledger counts leaves the device: no volunteer names, streets or houses.
SESSION_FIELDS = ("id", "area", "mode", "started_at", "ended_at")
DOOR_FIELDS = ("id", "session_id", "area", "outcome", "at")

log = logging.getLogger(__name__)

Progress = Callable[[int], None]


class OutboxStore(Protocol):
    """What sync needs of a collector store (``collector.store.ResponseStore`` fits)."""

    def unsynced(self, limit: int = ...) -> list[dict[str, Any]]: ...
    def mark_synced(self, ids: Sequence[str], *, fold: bool = ...) -> int: ...
    def mark_conflict(self, ids: Sequence[str], *, fold: bool = ...) -> int: ...
    def fold_forgotten(self) -> None: ...
    def mark_rejected(self, response_id: str, errors: Mapping[str, Any]) -> int: ...
    def meta(self, key: str, default: Any = None) -> Any: ...
    def set_pulled(
        self,
        *,
        surveys: Sequence[Mapping[str, Any]] = ...,
        areas: Sequence[Mapping[str, Any]] = ...,
        issues: Sequence[Mapping[str, Any]] = ...,
        cursor: str | None = None,
        contact_keys: Sequence[Mapping[str, Any]] | None = None,
    ) -> dict[str, int]: ...
    def set_last_sync(self) -> None: ...
    def unsynced_visits(self, limit: int = ...) -> dict[str, list[dict[str, Any]]]: ...
    def mark_visits_synced(self, session_ids: Iterable[str], door_ids: Iterable[str]) -> None: ...


@dataclass
class SyncSummary:
    """What one sync did: responses sent and their outcomes, records pulled, visits sent."""

    sent: int = 0
    accepted: int = 0
    duplicate: int = 0
    conflict: int = 0
    rejected: int = 0
    pulled: int = 0
    visits: int = 0

    def as_dict(self) -> dict[str, int]:
        """Return the summary as a JSON-able dict."""
        return asdict(self)

    def line(self) -> str:
        """Return the one-line summary people read."""
        return ", ".join(f"{k} {v}" for k, v in self.as_dict().items())


def _encode(response: Mapping[str, Any]) -> bytes:
    return json.dumps(response, separators=(",", ":"), ensure_ascii=False).encode()


class _Outbox:
    """Hand out the store's unsynced responses in batches, each at most once per sync.

    The store is read a window at a time (oldest first), so responses still in flight are
    decoded again only when the window is refilled, not for every batch.
    """

    def __init__(self, store: OutboxStore, window: int) -> None:
        self.store = store
        self.window = window
        self.unsettled: set[str] = set()  # handed out, and not yet synced, rejected or conflict
        self._ready: deque[tuple[dict[str, Any], bytes]] = deque()

    def settle(self, ids: Iterable[str]) -> None:
        """Note that these responses left the outbox (their outcome is recorded)."""
        self.unsettled.difference_update(ids)

    def take(self, max_count: int, max_bytes: int) -> tuple[list[dict[str, Any]], list[bytes]]:
        """Return the next batch of at most ``max_count`` responses and about ``max_bytes``."""
        if not self._ready:
            self._refill(max(self.window, max_count))
        batch: list[dict[str, Any]] = []
        parts: list[bytes] = []
        size = 0
        while self._ready and len(batch) < max_count:
            response, part = self._ready[0]
            if batch and size + len(part) > max_bytes:
                break
            self._ready.popleft()
            batch.append(response)
            parts.append(part)
            size += len(part) + 1
        self.unsettled.update(str(r["id"]) for r in batch)
        return batch, parts

    def _refill(self, count: int) -> None:
        # Ask for extra: the oldest unsynced may be the ones in flight or left unsettled.
        pending = self.store.unsynced(count + len(self.unsettled))
        self._ready.extend((r, _encode(r)) for r in pending if str(r["id"]) not in self.unsettled)


# What one push brought: (batch, the server's results), or (one response, None) when even
# that one alone was too large for the server (413).
Sent = list[tuple[list[dict[str, Any]], list[dict[str, Any]] | None]]


def push_outbox(
    store: OutboxStore,
    client: SyncClient,
    summary: SyncSummary,
    progress: Progress | None = None,
    *,
    max_count: int = MAX_BATCH,
    max_bytes: int = MAX_BATCH_BYTES,
    in_flight: int = IN_FLIGHT,
) -> None:
    """Push every unsynced response in batches and record each outcome in the store.

    Up to ``in_flight`` pushes are under way at once (on worker threads: the store is only
    touched here), so the collector reads and records batches while the server stores
    others. A response is marked synced only from the server's answer naming it; after an
    error, the answers already received are recorded before the error propagates.
    """
    outbox = _Outbox(store, WINDOW_BATCHES * max_count)
    flying: deque[tuple[list[dict[str, Any]], Future[Sent]]] = deque()
    with ThreadPoolExecutor(max(1, in_flight), thread_name_prefix="doorstep-push") as pool:
        try:
            while True:
                while len(flying) < max(1, in_flight):
                    batch, parts = outbox.take(max_count, max_bytes)
                    if not batch:
                        break
                    flying.append((batch, pool.submit(_send, client, batch, parts)))
                if not flying:
                    return
                batch, future = flying.popleft()
                _record(store, future.result(), summary, outbox)
                if progress is not None:
                    progress(len(batch))
        finally:
            # An error stops new pushes; answers to the ones under way are still recorded.
            for _, future in flying:
                try:
                    sent = future.result()
                except Exception:  # the error already on its way says enough
                    continue
                _record(store, sent, summary, outbox)
            store.fold_forgotten()


def _send(client: SyncClient, batch: list[dict[str, Any]], parts: list[bytes]) -> Sent:
    """Push one batch (on a worker thread), halving it when the server finds it too large."""
    try:
        return [(batch, client.push(batch, encoded=parts))]
    except RequestRejected as exc:
        if exc.status != 413:
            raise
        if len(batch) == 1:
            return [(batch, None)]
        half = len(batch) // 2
        return _send(client, batch[:half], parts[:half]) + _send(client, batch[half:], parts[half:])


def _record(store: OutboxStore, sent: Sent, summary: SyncSummary, outbox: _Outbox) -> None:
    """Record the server's answers to one pushed batch in the store and the summary."""
    for batch, results in sent:
        summary.sent += len(batch)
        if results is None:
            summary.rejected += 1
            reason = "too large for the server to accept (HTTP 413)"
            store.mark_rejected(str(batch[0]["id"]), {"_": [reason]})
            outbox.settle([str(batch[0]["id"])])
            continue
        synced: list[str] = []
        conflicts: list[str] = []
        for result in results:
            rid, status = str(result["id"]), result.get("status")
            if status in ("accepted", "duplicate"):
                synced.append(rid)
                setattr(summary, status, getattr(summary, status) + 1)
            elif status == "conflict":
                conflicts.append(rid)
                summary.conflict += 1
            elif status == "rejected":
                store.mark_rejected(rid, result.get("errors") or {"_": ["rejected by the server"]})
                summary.rejected += 1
                outbox.settle([rid])
            # an outcome this client does not know: it stays unsynced (and unsettled, so it
            # is not sent again in this sync) for the next time
        # Contact details of these leave the store now, and its files once, after the push.
        if synced:
            store.mark_synced(synced, fold=False)
            outbox.settle(synced)
        if conflicts:
            store.mark_conflict(conflicts, fold=False)
            outbox.settle(conflicts)


def pull_updates(store: OutboxStore, client: SyncClient, summary: SyncSummary) -> None:
    """Pull surveys, areas and issues page by page from the stored cursor, storing each page."""
    cursor = store.meta("cursor")
    for _ in range(MAX_PULL_PAGES):
        try:
            page = client.pull(cursor)
        except CursorExpired:
            if cursor is None:
                raise
            cursor = None  # the server forgot that far back: take everything again
            continue
        surveys, areas, issues = page["surveys"], page["areas"], page["issues"]
        store.set_pulled(
            surveys=surveys,
            areas=areas,
            issues=issues,
            cursor=page["cursor"],
            contact_keys=page.get("contact_keys"),  # None from a server that has none to give
        )
        summary.pulled += len(surveys) + len(areas) + len(issues)
        if not page.get("more") or page["cursor"] == cursor:
            return
        cursor = page["cursor"]
    raise SyncError("the server kept sending pull pages; stopped", code=ErrorCode.PULL_RUNAWAY)


def push_visits(store: OutboxStore, client: SyncClient, summary: SyncSummary) -> None:
    """Send unsynced sessions and doors in batches; mark the ones the server names as synced.

    The server leaves out items for areas the device may not see; those stay on the device
    and are skipped for the rest of this sync. A server without the endpoint (404) or one
    that refuses the batch keeps everything unsynced for a later sync, and the sync goes on.
    """
    skip: dict[str, set[str]] = {"sessions": set(), "doors": set()}
    for _ in range(MAX_VISIT_ROUNDS):
        extra = max(len(skip["sessions"]), len(skip["doors"]))
        pending = store.unsynced_visits(VISIT_BATCH + extra)
        body = {
            "sessions": _trimmed(pending["sessions"], skip["sessions"], SESSION_FIELDS),
            "doors": _trimmed(pending["doors"], skip["doors"], DOOR_FIELDS),
        }
        if not body["sessions"] and not body["doors"]:
            return
        try:
            answer = client.push_activity(body)
        except RequestRejected as exc:
            log.warning("the server did not take door visits (%s): kept for later", exc.status)
            return
        taken: dict[str, set[str]] = {}
        for kind in ("sessions", "doors"):
            sent = {str(item["id"]) for item in body[kind]}
            taken[kind] = sent & {str(i) for i in answer.get(kind) or ()}
            skip[kind] |= sent - taken[kind]
        store.mark_visits_synced(taken["sessions"], taken["doors"])
        summary.visits += len(taken["sessions"]) + len(taken["doors"])
    raise SyncError("door visits kept coming back unsynced; stopped", code=ErrorCode.VISITS_RUNAWAY)


def _trimmed(
    items: list[dict[str, Any]], skip: set[str], keep: tuple[str, ...]
) -> list[dict[str, Any]]:
    """Return up to a batch of items not skipped, with only the fields the server reads."""
    wanted = [item for item in items if str(item["id"]) not in skip][:VISIT_BATCH]
    return [{k: item[k] for k in keep if k in item} for item in wanted]


def sync_store(
    store: OutboxStore,
    client: SyncClient,
    progress: Progress | None = None,
    *,
    max_count: int = MAX_BATCH,
    max_bytes: int = MAX_BATCH_BYTES,
    in_flight: int = IN_FLIGHT,
) -> SyncSummary:
    """Push everything unsynced, pull what changed, then send door visits; return what happened.

    Errors (:class:`~sync.errors.SyncError` and subclasses) propagate after the outcomes
    received so far are recorded; nothing unsynced is ever dropped.
    """
    summary = SyncSummary()
    try:
        push_outbox(
            store,
            client,
            summary,
            progress,
            max_count=max_count,
            max_bytes=max_bytes,
            in_flight=in_flight,
        )
        pull_updates(store, client, summary)
        push_visits(store, client, summary)
    except SyncError as exc:
        exc.summary = summary
        raise
    store.set_last_sync()
    return summary


__all__ = [
    "MAX_BATCH",
    "IN_FLIGHT",
    "MAX_BATCH_BYTES",
    "OutboxStore",
    "SyncSummary",
    "push_outbox",
    "push_visits",
    "sync_store",
]
