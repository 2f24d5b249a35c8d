"""This collector's enrollment with a server: the device id in the store, the token in a file.

The token is a credential, so it lives in its own owner-only file beside the store. The store's
``device()`` and ``set_device()`` call these.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["TOKEN_FILE", "Device", "read_device", "write_token"]

TOKEN_FILE = "device-token"


@dataclass(frozen=True)
class Device:
    """This collector's enrollment with a server; the token is never shown in a repr."""

    server_url: str
    device_id: str
    token: str = field(repr=False)


def read_device(data_dir: Path, info: Mapping[str, Any] | None) -> Device | None:
    """Return the enrollment from its stored ``info`` and the token file, or None."""
    token_path = data_dir / TOKEN_FILE
    if not info or not token_path.exists():
        return None
    token = token_path.read_text(encoding="utf-8").strip()
    return Device(info["server_url"], info["device_id"], token)


def write_token(data_dir: Path, token: str) -> None:
    """Write the token atomically to a file only its owner can read."""
    path = data_dir / TOKEN_FILE
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
