"""Enroll an ODK Collect phone: a device whose token travels in Collect's settings QR (no Flask).

Collect cannot send a bearer header, so the device's token is in its server URL
(``<server>/openrosa/key/<token>``, DESIGN: OpenRosa). The QR text is Collect's own settings
format (``sync.openrosa.collect_settings``): scanned once, the phone has the server, its forms
kept to exactly the list the server gives, and sent forms deleted from it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from server.accounts.devices import create_device
from server.accounts.users import get_group
from server.exceptions import InvalidInput
from sync.openrosa import collect_settings

__all__ = ["OPENROSA_PATH", "enroll_collect", "check_server_url"]

OPENROSA_PATH = "/openrosa/key/"


def check_server_url(url: str) -> str:
    """Return ``url`` without a trailing slash, or raise :class:`InvalidInput` if a phone
    could not use it (not http(s), no host, or a query or fragment)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise InvalidInput(
            f"{url!r} is not a server address a phone can use, such as https://doorstep.example.org",
            details={"server_url": [url]},
        )
    return url.strip().rstrip("/")


def enroll_collect(
    session: Session, *, label: str, group: str, server_url: str, now: datetime
) -> dict[str, Any]:
    """Make a device of ``group`` for a Collect phone; return its id, OpenRosa URL and QR text.

    The result is ``{"device_id", "server_url", "settings"}``: ``settings`` is the text of the
    QR code (base64 of zlib-compressed JSON), shown once, as the token it holds.
    """
    base = check_server_url(server_url)
    owner = get_group(session, group)
    device_id, token = create_device(session, label=label, group=owner.code, now=now)
    url = f"{base}{OPENROSA_PATH}{token}"
    return {
        "device_id": device_id,
        "server_url": url,
        "settings": collect_settings(url, f"{owner.name}: {label}"),
    }
