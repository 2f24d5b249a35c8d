"""Offline bundles: responses carried on a USB stick from a collector to a server.

A bundle is gzipped JSON lines. The first line is a manifest::

    {"format": "doorstep-bundle", "version": 1, "count": N, "sha256": "<hex>",
     "created_at": "<ISO 8601>", "device": "<device id or null>"}

and each following line is one response in wire form. ``sha256`` covers the response
lines exactly as stored (each with its newline), so a truncated or altered file is
refused as a whole. The format lives here because ``collector export`` writes it and
``collector/`` may not import ``sync/``; ``sync.bundle`` re-exports it for the server.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import tempfile
import zlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from collector.json_text import parse

__all__ = ["FORMAT", "VERSION", "BundleError", "read_bundle", "write_bundle"]

FORMAT = "doorstep-bundle"
VERSION = 1


class BundleError(Exception):
    """The file is not a complete, unaltered doorstep bundle."""


def _line(response: Mapping[str, Any]) -> bytes:
    return json.dumps(response, sort_keys=True, separators=(",", ":")).encode() + b"\n"


def write_bundle(
    responses: Iterable[Mapping[str, Any]],
    out: Path | str,
    device_id: str | None = None,
    *,
    created_at: datetime | None = None,
) -> dict[str, Any]:
    """Write responses to a bundle file atomically (temp + fsync + rename); return its manifest.

    The file is readable by its owner only: it may hold consented contact details.
    """
    out = Path(out)
    digest, count = hashlib.sha256(), 0
    # Spool the lines first: the manifest, which comes first, needs their count and checksum.
    with tempfile.TemporaryFile() as spool:
        for response in responses:
            line = _line(response)
            digest.update(line)
            spool.write(line)
            count += 1
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "count": count,
            "sha256": digest.hexdigest(),
            "created_at": (created_at or datetime.now().astimezone()).isoformat(),
            "device": device_id,
        }
        spool.seek(0)
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
        try:
            with os.fdopen(fd, "wb") as raw:
                with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
                    gz.write(_line(manifest))
                    shutil.copyfileobj(spool, gz)
                raw.flush()
                os.fsync(raw.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, out)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    dir_fd = os.open(out.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return manifest


#: The most a bundle may hold once unzipped, and the longest line (one response) in it: a
#: gzip bomb (a few hundred KB that inflate to gigabytes) stops here, read a line at a time.
MAX_BUNDLE_BYTES = 256 * 1024 * 1024
MAX_LINE_BYTES = 1024 * 1024


def read_bundle(
    path: Path | str, *, max_bytes: int = MAX_BUNDLE_BYTES, max_line: int = MAX_LINE_BYTES
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Read and check a bundle; return ``(manifest, responses)`` or raise :class:`BundleError`.

    The file is unzipped as a stream, one line at a time: more than ``max_bytes`` in all, a
    line longer than ``max_line``, or JSON nested too deeply is refused, never read into
    memory whole.
    """
    try:
        with gzip.open(path, "rb") as gz:
            lines = _lines(gz, max_bytes, max_line)
    except FileNotFoundError:
        raise BundleError(f"no such file: {path}") from None
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise BundleError(f"{path} is not a complete doorstep bundle ({exc})") from None
    manifest = _manifest(lines[0] if lines else b"")
    body = lines[1:]
    digest = hashlib.sha256()
    for line in body:
        digest.update(line + b"\n")
    if len(body) != manifest["count"]:
        raise BundleError(
            f"the bundle should hold {manifest['count']} responses but holds {len(body)}: "
            "it is truncated or altered"
        )
    if digest.hexdigest() != manifest["sha256"]:
        raise BundleError("the bundle's checksum does not match: it is damaged or altered")
    responses = []
    for number, line in enumerate(body, start=2):
        try:
            item, _ = parse(line)  # a NUL in a string is ingest's to refuse, per response
        except ValueError as error:
            raise BundleError(f"line {number} is not JSON: {error}") from None
        if not isinstance(item, dict):
            raise BundleError(f"line {number} is not a response object")
        responses.append(item)
    return manifest, responses


def _lines(gz: gzip.GzipFile, max_bytes: int, max_line: int) -> list[bytes]:
    """Return the unzipped lines (without their newlines), holding to the two limits."""
    lines: list[bytes] = []
    total = 0
    while line := gz.readline(max_line + 1):
        total += len(line)
        if total > max_bytes:
            raise BundleError(f"the bundle holds more than {max_bytes} bytes unzipped")
        if len(line) > max_line and not line.endswith(b"\n"):
            raise BundleError(f"line {len(lines) + 1} is longer than {max_line} bytes")
        lines.append(line[:-1] if line.endswith(b"\n") else line)
    return lines


def _manifest(line: bytes) -> dict[str, Any]:
    try:
        manifest, _ = parse(line)
    except ValueError:
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError("this is not a doorstep bundle (no manifest on the first line)")
    if manifest.get("version") != VERSION:
        raise BundleError(f"bundle version {manifest.get('version')!r} is not supported")
    count, checksum = manifest.get("count"), manifest.get("sha256")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise BundleError("the bundle's manifest has no valid count")
    if not isinstance(checksum, str) or len(checksum) != 64:
        raise BundleError("the bundle's manifest has no valid sha256")
    return manifest
