"""Read a JSON request body, plain or gzip, never holding more than the size limit."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, request

from collector.json_text import loads, parse
from server.errors import ApiError, ErrorCode

T = TypeVar("T")


def _too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        ErrorCode.PAYLOAD_TOO_LARGE,
        f"the body is larger than {limit} bytes; send fewer responses at once",
        {"max_bytes": limit},
    )


def _gunzip(raw: bytes, limit: int) -> bytes:
    """Return the gunzipped body; a bomb stops at ``limit`` bytes (413), never fills memory."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(raw, limit + 1)
    except zlib.error as error:
        raise ApiError(
            400, ErrorCode.MALFORMED_JSON, f"the gzip body is damaged: {error}"
        ) from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise _too_large(limit)
    if not inflater.eof:
        raise ApiError(400, ErrorCode.MALFORMED_JSON, "the gzip body is truncated")
    return out


def json_body() -> Any:
    """Return the parsed JSON body; 415 unless JSON, 413 above the limit, 400 if malformed.

    A NUL or a lone surrogate in any string of it is malformed too (400).
    """
    return _parsed(loads)


def json_body_marked() -> tuple[Any, bool]:
    """Return the parsed JSON body, and whether a string in it may hold a NUL or a lone
    surrogate (which :func:`collector.json_text.text_problem` finds); errors as
    :func:`json_body`'s, those two aside."""
    return _parsed(parse)


def _parsed(parser: Callable[[bytes], T]) -> T:
    """Read the body (415, 413, gzip) and return what ``parser`` makes of it (400 if nothing)."""
    limit: int = current_app.config["MAX_BODY_BYTES"]
    if request.mimetype != "application/json":
        raise ApiError(
            415, ErrorCode.UNSUPPORTED_MEDIA_TYPE, "send the body as Content-Type: application/json"
        )
    # get_data enforces MAX_CONTENT_LENGTH (413) even for chunked bodies with no length.
    raw = request.get_data(cache=False)
    if len(raw) > limit:
        raise _too_large(limit)
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding == "gzip":
        raw = _gunzip(raw, limit)
    elif encoding not in ("identity", ""):
        raise ApiError(
            415, ErrorCode.UNSUPPORTED_MEDIA_TYPE, f"Content-Encoding {encoding!r} is not supported"
        )
    try:
        return parser(raw)
    except ValueError as error:
        raise ApiError(
            400, ErrorCode.MALFORMED_JSON, f"the body is not valid JSON: {error}"
        ) from None
