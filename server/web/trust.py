"""Browsers that have signed in as a user before, so a stranger's guesses cannot lock them out.

After a right password the browser gets a long-lived signed cookie (OWASP's "device cookie")
naming the users it has signed in as. Failed sign-ins are then counted per (user, client): a
known browser by its cookie, any other by its address. Only unknown clients share the per-user
and per-address allowances, so guessing from anywhere, even from the same Wi-Fi, locks out
the guesser and new browsers, never a browser the user has signed in from before. The collector
counts wrong PINs the same way (``collector/web/throttle.py``), in memory, as it runs one process.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

from server.accounts.tokens import hash_secret

COOKIE = "doorstep_device"
SALT = "doorstep-device-cookie"
MAX_USERS = 8  # users one browser is remembered for (a shared office computer)
MAX_AGE = 365 * 24 * 3600


@dataclass(frozen=True)
class Client:
    """Who is signing in, as the failure limits see them."""

    key: str  # "device:<id>" for a known browser, "address:<ip>" for any other
    trusted: bool  # this browser has signed in as the user before
    device_id: str
    users: tuple[str, ...]


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key or "", salt=SALT)


def _user_mark(username: str) -> str:
    """Return what the cookie keeps of a username (its hash: the cookie is signed, not sealed)."""
    return hash_secret(username.strip().lower())[:16]


def _cookie() -> dict[str, Any]:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return {}
    try:
        data = _serializer().loads(raw)
    except BadSignature:
        return {}
    return data if isinstance(data, dict) else {}


def client_for(username: str) -> Client:
    """Return the client of this request, trusted if it has signed in as ``username`` before."""
    data = _cookie()
    device_id = data.get("id") if isinstance(data.get("id"), str) else ""
    users = tuple(u for u in data.get("users", []) if isinstance(u, str))[:MAX_USERS]
    if device_id and _user_mark(username) in users:
        return Client(f"device:{device_id}", True, device_id, users)
    return Client(f"address:{request.remote_addr or 'unknown'}", False, device_id, users)


def remember(response: Response, client: Client, username: str) -> None:
    """Mark this browser as one ``username`` has signed in from (after a right password)."""
    mark = _user_mark(username)
    users = (mark, *(u for u in client.users if u != mark))[:MAX_USERS]
    value = _serializer().dumps(
        {"id": client.device_id or secrets.token_urlsafe(12), "users": list(users)}
    )
    response.set_cookie(
        COOKIE,
        value,
        max_age=MAX_AGE,
        path="/dashboard/",
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config.get("SECURE_COOKIES")),
    )
