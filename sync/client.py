"""The HTTP client a collector uses to enroll with a server, push responses and pull updates."""

from __future__ import annotations

import email.utils
import gzip
import json
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from collector.error_codes import ErrorCode

from .errors import (
    CursorExpired,
    DeviceRevoked,
    EnrollmentRefused,
    RequestRejected,
    ServerUnreachable,
    SyncError,
    Unauthorized,
)

PROTOCOL = 1
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Enrollment spends a single-use code, so it is retried only where the server did not act.
ENROLL_RETRY_STATUSES = frozenset({429, 503})
GZIP_MIN_BYTES = 1024
NETWORK_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait between tries: exponential backoff with full jitter."""

    attempts: int = 8
    base: float = 0.5
    cap: float = 30.0
    max_retry_after: float = 300.0

    def backoff(self, retry: int, rand: Callable[[], float]) -> float:
        """Return the pause before retry number ``retry`` (0-based), in seconds."""
        return rand() * min(self.cap, self.base * (2**retry))


@dataclass(frozen=True)
class Enrollment:
    """What the server hands a newly enrolled device."""

    device_id: str
    token: str


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Return the seconds a ``Retry-After`` header asks for (delta or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


Prepared = tuple[bytes, Mapping[str, str]]  # a request body as sent, and its headers


def prepare_body(raw: bytes) -> Prepared:
    """Return a JSON body as it is sent: gzip-compressed from ``GZIP_MIN_BYTES`` on."""
    if len(raw) < GZIP_MIN_BYTES:
        return raw, {"Content-Type": "application/json"}
    # Level 5 compresses survey JSON nearly as well as 9 at a fraction of the CPU.
    gzipped = gzip.compress(raw, compresslevel=5)
    return gzipped, {"Content-Type": "application/json", "Content-Encoding": "gzip"}


def prepare_push(
    batch: Sequence[Mapping[str, Any]], encoded: Sequence[bytes] | None = None
) -> Prepared:
    """Return the push body of ``batch`` as sent (``encoded``: each response's compact JSON)."""
    parts = encoded if encoded is not None else [_dumps(r) for r in batch]
    return prepare_body(b'{"responses":[' + b",".join(parts) + b"]}")


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _never_sent(exc: Exception) -> bool:
    """Tell whether a connection error happened before any byte of the request left."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError | ConnectTimeoutError)


def _error_of(resp: requests.Response) -> tuple[str, str, dict[str, Any]]:
    """Read the one error body ``{"error": {"code", "message", "details"}}``, tolerating others."""
    try:
        err = resp.json()["error"]
        return str(err["code"]), str(err.get("message", "")), dict(err.get("details") or {})
    except (ValueError, KeyError, TypeError, AttributeError):
        return f"http_{resp.status_code}", resp.text[:200] or resp.reason or "", {}


class SyncClient:
    """Talk sync protocol v1 to one server, retrying only what is safe to retry."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        session: requests.Session | None = None,
        timeouts: tuple[float, float] = (5.0, 60.0),
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.session = session or requests.Session()
        self.timeouts = timeouts
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._rand = rand
        self.session.headers.setdefault("Accept", "application/json")
        self.session.headers["User-Agent"] = f"doorstep-collector protocol/{PROTOCOL}"

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()

    def health(self) -> dict[str, Any]:
        """Ask the server whether it is up; raise :class:`SyncError` on a protocol mismatch."""
        body = self._call("GET", "/api/v1/health", auth=False)
        if body.get("protocol") != PROTOCOL:
            raise SyncError(
                f"the server speaks sync protocol {body.get('protocol')!r}, we speak {PROTOCOL}",
                code=ErrorCode.PROTOCOL_MISMATCH,
            )
        return body

    def enroll(self, code: str, label: str) -> Enrollment:
        """Spend an enrollment code; keep and return the device id and bearer token."""
        body = self._call(
            "POST",
            "/api/v1/devices/enroll",
            payload={"code": code, "label": label},
            auth=False,
            idempotent=False,
        )
        try:
            enrollment = Enrollment(device_id=str(body["device_id"]), token=str(body["token"]))
        except (KeyError, TypeError) as exc:
            raise SyncError("the server's enrollment reply had no device id or token") from exc
        self.token = enrollment.token
        return enrollment

    def push(
        self,
        batch: Sequence[Mapping[str, Any]],
        *,
        encoded: Sequence[bytes] | None = None,
        prepared: Prepared | None = None,
    ) -> list[dict[str, Any]]:
        """Push responses; return one result per response, in order (safe to retry: by id).

        ``encoded`` may give each response already encoded as compact JSON, or ``prepared``
        the whole body as it is sent (:func:`prepare_push` of the batch), to save work.
        """
        if prepared is None:
            prepared = prepare_push(batch, encoded)
        body = self._call("POST", "/api/v1/sync/push", prepared=prepared)
        results = body.get("results")
        if not isinstance(results, list) or len(results) != len(batch):
            raise SyncError(
                "the server's push reply does not match the batch", code=ErrorCode.BAD_REPLY
            )
        for sent, got in zip(batch, results, strict=True):
            if not isinstance(got, dict) or str(got.get("id")) != str(sent.get("id")):
                raise SyncError("the server's push reply is out of order", code=ErrorCode.BAD_REPLY)
        return results

    def pull(self, since: str | int | None = None) -> dict[str, Any]:
        """Pull one page of surveys, areas and issues changed since ``since`` (None: all)."""
        params = {} if since in (None, "") else {"since": str(since)}
        return self._call("GET", "/api/v1/sync/pull", params=params)

    def push_activity(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Send door visits and sessions for the reach ledger; safe to retry (by id)."""
        return self._call("POST", "/api/v1/sync/activity", payload=body)

    def _call(
        self,
        method: str,
        path: str,
        *,
        payload: Any = None,
        prepared: Prepared | None = None,
        params: Mapping[str, str] | None = None,
        auth: bool = True,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        """Send one request with retries; return the JSON body of a 2xx reply."""
        if payload is not None:
            prepared = prepare_body(_dumps(payload))
        data, headers = prepared if prepared is not None else (None, {})
        headers = dict(headers)
        if auth:
            if not self.token:
                raise Unauthorized("this collector is not enrolled", code=ErrorCode.NOT_ENROLLED)
            headers["Authorization"] = f"Bearer {self.token}"
        last = "no attempt made"
        for attempt in range(self.retry.attempts):
            outcome = self._attempt(method, path, data, params, headers, idempotent)
            if isinstance(outcome, dict):
                return outcome
            last, asked = outcome
            if attempt + 1 < self.retry.attempts:
                if asked is None:
                    self._sleep(self.retry.backoff(attempt, self._rand))
                else:
                    self._sleep(min(asked, self.retry.max_retry_after))
        raise ServerUnreachable(
            f"gave up on {self.base_url}{path} after {self.retry.attempts} tries ({last})",
            code=ErrorCode.SERVER_UNREACHABLE,
        )

    def _attempt(
        self,
        method: str,
        path: str,
        data: bytes | None,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str],
        idempotent: bool,
    ) -> dict[str, Any] | tuple[str, float | None]:
        """Try once: return the JSON body, or why to retry and any ``Retry-After`` wait."""
        try:
            resp = self.session.request(
                method,
                self.base_url + path,
                data=data,
                params=params,
                headers=dict(headers),
                timeout=self.timeouts,
            )
        except NETWORK_ERRORS as exc:
            if not idempotent and not _never_sent(exc):
                raise ServerUnreachable(
                    f"lost the connection to {self.base_url} during {path}: {exc}",
                    code=ErrorCode.CONNECTION_LOST,
                ) from exc
            return f"{type(exc).__name__}: {exc}", None
        status = resp.status_code
        if 200 <= status < 300:
            try:
                body = resp.json()
            except ValueError:
                return "the reply was not complete JSON", None
            if not isinstance(body, dict):
                raise SyncError(
                    "the server's reply was not a JSON object", code=ErrorCode.BAD_REPLY
                )
            return body
        retryable = RETRY_STATUSES if idempotent else ENROLL_RETRY_STATUSES
        if status in retryable or (idempotent and status >= 500):
            return f"HTTP {status}", parse_retry_after(
                resp.headers.get("Retry-After"), self._clock()
            )
        refusal = self._refusal(resp, path)
        # The exception's traceback keeps this frame alive; the reply must not keep its socket.
        del resp
        raise refusal

    def _refusal(self, resp: requests.Response, path: str) -> SyncError:
        """Turn a final (non-retryable) error reply into the matching exception."""
        code, message, details = _error_of(resp)
        status = resp.status_code
        kwargs = {"code": code, "status": status, "details": details}
        if path.endswith("/enroll") and status in (401, 410):
            return EnrollmentRefused(message or "the enrollment code was refused", **kwargs)
        if status == 401:
            return DeviceRevoked(message or "the server no longer accepts this device", **kwargs)
        if status == 410 and path.endswith("/pull"):
            return CursorExpired(message or "the pull cursor has expired", **kwargs)
        return RequestRejected(message or f"the server refused the request ({status})", **kwargs)


__all__ = ["PROTOCOL", "Enrollment", "RetryPolicy", "SyncClient", "parse_retry_after"]
