"""Limit wrong PINs so that someone guessing locks out only themselves.

Each PIN (the volunteer sign-in PIN, the kiosk exit PIN) has its own :class:`PinThrottle`.
Wrong PINs are counted per client: the browser's trusted-device id once it has entered a right
PIN before, else its address. A client with ``tries`` wrong PINs in the last ``window`` seconds
must wait, even with the right PIN. Guessing from many addresses is bounded too: wrong PINs from
clients that have never entered the right one (not loopback, no trusted-device id) share one
larger allowance, and when it is spent only such new clients wait. Phones that have signed in
before and the device's own screen keep working (OWASP's "device cookies").

Times come from a monotonic clock, so a wall-clock jump (a Pi setting its clock from the
network) neither lifts nor extends a lock.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, request, session

from collector.web.common import t

__all__ = ["PinThrottle", "Verdict", "check_pin", "init_app", "refusal_text"]

TRIES = 5  # wrong PINs one client may make in WINDOW seconds
WINDOW = 300
NEW_CLIENT_TRIES = 30  # wrong PINs all never-trusted clients together may make in WINDOW
MAX_CLIENTS = 4096  # clients remembered at once (an attacker may invent many addresses)
DEVICE_KEY = "trusted_device"
EXTENSION = "doorstep_pin_throttles"
LOOPBACK = frozenset({"127.0.0.1", "::1"})


@dataclass(frozen=True)
class Verdict:
    """The outcome of one PIN attempt: right, and if refused, how long to wait first."""

    ok: bool
    wait_seconds: int = 0

    @property
    def wait_minutes(self) -> int:
        """Return the wait rounded up to whole minutes (at least one)."""
        return max(1, math.ceil(self.wait_seconds / 60))


class PinThrottle:
    """Failed attempts at one PIN, per client and for never-trusted clients together."""

    def __init__(
        self,
        tries: int = TRIES,
        window: float = WINDOW,
        new_client_tries: int = NEW_CLIENT_TRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tries, self.window, self.new_client_tries = tries, window, new_client_tries
        self._clock = clock
        self._by_client: dict[str, deque[float]] = {}
        self._new_clients: deque[float] = deque()
        self._lock = threading.Lock()

    def _recent(self, times: deque[float], now: float) -> deque[float]:
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def wait(self, client: str, trusted: bool) -> float:
        """Return how many seconds ``client`` must wait before trying (0: it may try now)."""
        with self._lock:
            now = self._clock()
            waits = [0.0]
            mine = self._recent(self._by_client.get(client, deque()), now)
            if len(mine) >= self.tries:
                waits.append(mine[-self.tries] + self.window - now)
            pool = self._recent(self._new_clients, now)
            if not trusted and len(pool) >= self.new_client_tries:
                waits.append(pool[-self.new_client_tries] + self.window - now)
            return max(waits)

    def failed(self, client: str, trusted: bool) -> None:
        """Count one wrong PIN from ``client``."""
        with self._lock:
            now = self._clock()
            if client not in self._by_client and len(self._by_client) >= MAX_CLIENTS:
                self._forget_idle(now)
            self._by_client.setdefault(client, deque(maxlen=self.tries)).append(now)
            if not trusted:
                self._new_clients.append(now)
                while len(self._new_clients) > self.new_client_tries:
                    self._new_clients.popleft()

    def succeeded(self, client: str) -> None:
        """Forget the client's wrong PINs after a right one."""
        with self._lock:
            self._by_client.pop(client, None)

    def _forget_idle(self, now: float) -> None:
        """Drop clients with no recent failure; if none, the one that failed longest ago."""
        for key in [k for k, v in self._by_client.items() if not self._recent(v, now)]:
            del self._by_client[key]
        if len(self._by_client) >= MAX_CLIENTS:
            oldest = min(self._by_client, key=lambda k: self._by_client[k][-1])
            del self._by_client[oldest]


def init_app(app: Flask) -> None:
    """Give the app one throttle per PIN."""
    app.extensions[EXTENSION] = {"volunteer": PinThrottle(), "kiosk_exit": PinThrottle()}


def _client() -> tuple[str, bool]:
    """Return this browser's throttle key and whether it is trusted (loopback or known)."""
    device = session.get(DEVICE_KEY)
    if isinstance(device, str) and device:
        return f"device:{device}", True
    address = request.remote_addr or "?"
    return f"address:{address}", address in LOOPBACK


def check_pin(which: str, given: str, pin: str) -> Verdict:
    """Check a PIN attempt against ``pin``, counting it for this client; trust it if right."""
    throttle: PinThrottle = current_app.extensions[EXTENSION][which]
    client, trusted = _client()
    wait = throttle.wait(client, trusted)
    if wait > 0:
        return Verdict(False, math.ceil(wait))
    if secrets.compare_digest(given.encode(), pin.encode()):
        throttle.succeeded(client)
        session.setdefault(DEVICE_KEY, secrets.token_urlsafe(12))
        return Verdict(True)
    throttle.failed(client, trusted)
    return Verdict(False, math.ceil(throttle.wait(client, trusted)))


def refusal_text(verdict: Verdict) -> str:
    """Say why a PIN was refused: wrong, or wait this long first."""
    if verdict.wait_seconds:
        return t("err_pin_wait", minutes=verdict.wait_minutes)
    return t("err_pin")
