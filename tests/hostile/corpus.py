"""Hostile inputs, and how to put each one into a request for a given write endpoint.

A payload is either *text* (put as a string into every text field of a valid body: XSS, SQL
metacharacters, NUL, lone surrogates, 1 MB), a *value* (raw JSON put where a text field's value
goes: huge numbers, NaN), or a *body* (the whole request: invalid UTF-8, 10,000 levels of
nesting, truncated JSON, duplicate keys, wrong content types, a gzip bomb). The same corpus is
sent by the tests (``SMALL``) and by ``bench/hostile.py`` (``FULL``).
"""

from __future__ import annotations

import gzip
import json
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
SLOT = "\u0000SLOT\u0000"  # where a value payload goes in a JSON body
SLOT_JSON = json.dumps(SLOT)
INSTANCE_SLOT = "HOSTILE-SLOT"  # where a payload goes in an XForm instance (text XML can hold)
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Payload:
    """One hostile input; exactly one of ``text``, ``value`` or ``body`` says what it is."""

    name: str
    text: str | None = None
    value: str | None = None
    body: Callable[[dict[str, Any]], bytes] | None = None
    content_type: str | None = "application/json"
    encoding: str | None = None

    @property
    def xss(self) -> bool:
        """Whether the payload carries the script tag that must only ever show escaped."""
        return self.text is not None and XSS in self.text


def _nested(depth: int) -> Callable[[dict[str, Any]], bytes]:
    return lambda _: b'{"a":' * depth + b"1" + b"}" * depth


def _truncated(body: dict[str, Any]) -> bytes:
    raw = json.dumps(fill(body, "x")).encode()
    return raw[: max(1, len(raw) // 2)]


def _duplicate_keys(body: dict[str, Any]) -> bytes:
    # The same key twice, first harmless, then hostile: whichever the parser keeps must be
    # handled (Python keeps the last).
    raw = json.dumps(fill(body, XSS))
    key = next(iter(body), "x")
    return ("{" + json.dumps(key) + ': "first", ' + raw[1:]).encode()


def _invalid_utf8(body: dict[str, Any]) -> bytes:
    return json.dumps(body).replace(SLOT_JSON, '"\xff\xfe\xfd"').encode("latin-1", "replace")


@cache
def _bomb(limit: int) -> bytes:
    """Return a small gzip that inflates to more than ``limit`` bytes of JSON."""
    inner = b'{"responses": [' + b" " * (limit + 1024) + b"]}"
    return gzip.compress(inner, 9)


def gzip_bomb(limit: int) -> Payload:
    """Return the gzip bomb payload for a server whose body limit is ``limit``."""
    return Payload("gzip bomb", body=lambda _: _bomb(limit), encoding="gzip")


def _as(content_type: str | None) -> Callable[[dict[str, Any]], bytes]:
    def encode(body: dict[str, Any]) -> bytes:
        filled = fill(body, "x")
        if content_type == FORM:
            return urllib.parse.urlencode({k: str(v) for k, v in filled.items()}).encode()
        return json.dumps(filled).encode()

    return encode


MB = "x" * 1_000_000
SMALL: tuple[Payload, ...] = (
    Payload("xss script", text=XSS),
    Payload("xss attribute", text=f'"><img src=x onerror=alert(2)>{XSS}'),
    Payload("sql drop", text="'; DROP TABLE responses;--"),
    Payload("sql or", text='" OR 1=1 --'),
    Payload("1 MB string", text=MB),
    Payload("NUL byte", text="a\x00b"),
    Payload("lone surrogate", text="\ud800x"),
    Payload("huge float", value="1e309"),
    Payload("huge int", value="1" + "0" * 400),
    Payload("NaN", value="NaN"),
    Payload("invalid UTF-8", body=_invalid_utf8),
    Payload("nested 10000", body=_nested(10_000)),
    Payload("truncated JSON", body=_truncated),
    Payload("duplicate keys", body=_duplicate_keys),
    Payload("form body", body=_as(FORM), content_type=FORM),
    Payload("text/plain", body=_as(None), content_type="text/plain"),
    Payload("no content type", body=_as(None), content_type=None),
)
FULL: tuple[Payload, ...] = SMALL + (
    Payload("xss svg", text=f"<svg onload=alert(3)>{XSS}"),
    Payload("xss javascript url", text=f"javascript:alert(4)//{XSS}"),
    Payload("html comment", text=f"<!--{XSS}-->"),
    Payload("sql union", text="' UNION SELECT token_hash FROM api_tokens --"),
    Payload("sql comment", text="abbey'/*"),
    Payload("percent and underscore", text="%_%\\"),
    Payload("10 MB string", text="y" * 10_000_000),
    Payload("control characters", text="".join(chr(c) for c in range(1, 32))),
    Payload("right-to-left override", text="\u202eevil\u202c"),
    Payload("emoji and combining", text="👩‍👩‍👧‍👦e\u0301" * 100),
    Payload("lone low surrogate", text="\udc00"),
    Payload("minus huge int", value="-" + "9" * 4000),
    Payload("Infinity", value="-Infinity"),
    Payload("tiny float", value="1e-400"),
    Payload("deep list", value="[" * 5000 + "]" * 5000),
    Payload("nested 100000", body=_nested(100_000)),
    Payload("empty body", body=lambda _: b""),
    Payload("JSON null", body=lambda _: b"null"),
    Payload("JSON array", body=lambda _: b"[]"),
    Payload("BOM", body=lambda b: b"\xef\xbb\xbf" + json.dumps(b).encode()),
    Payload("gzip garbage", body=lambda _: b"\x1f\x8b\x08\x00garbage", encoding="gzip"),
    Payload("unknown encoding", body=_as(None), encoding="br"),
)


def fill(template: Any, text: str) -> Any:
    """Return ``template`` with every ``SLOT`` string replaced by ``text``."""
    if template == SLOT:
        return text
    if isinstance(template, dict):
        return {k: fill(v, text) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, text) for v in template]
    return template


def json_request(payload: Payload, template: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    """Return the body and headers that carry ``payload`` in place of ``template``'s slots."""
    headers = {}
    if payload.content_type is not None:
        headers["Content-Type"] = payload.content_type
    if payload.encoding:
        headers["Content-Encoding"] = payload.encoding
    if payload.text is not None:
        return json.dumps(fill(template, payload.text)).encode("utf-8", "surrogatepass"), headers
    if payload.value is not None:
        return json.dumps(template).replace(SLOT_JSON, payload.value).encode(), headers
    assert payload.body is not None
    return payload.body(template), headers


def form_request(payload: Payload, template: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """Return a form body (or the payload's own body) that carries ``payload``."""
    headers = {"Content-Type": FORM}
    if payload.text is not None or payload.value is not None:
        text = payload.text if payload.text is not None else payload.value
        assert text is not None
        pairs = {k: fill(v, text) for k, v in template.items()}
        raw = urllib.parse.urlencode(
            {k: v.encode("utf-8", "surrogatepass") for k, v in pairs.items()}
        )
        return raw.encode(), headers
    assert payload.body is not None
    if payload.name == "invalid UTF-8":
        pairs = {k: ("\xff\xfe" if v == SLOT else v) for k, v in template.items()}
        return urllib.parse.urlencode(pairs, encoding="latin-1").encode(), headers
    if payload.content_type is None:
        headers.pop("Content-Type")
    else:
        headers["Content-Type"] = payload.content_type
    if payload.encoding:
        headers["Content-Encoding"] = payload.encoding
    return payload.body(template), headers


def instance_request(
    payload: Payload, template: dict[str, str]
) -> tuple[dict[str, Any] | bytes, dict[str, Any] | None, dict[str, str]]:
    """Return ``(data, files, headers)`` that carry ``payload`` to an OpenRosa submission.

    A text or value goes into the instance's free text, escaped as XML escapes it (a NUL or a
    lone surrogate stays raw: XML cannot hold them at all). A whole-body payload is the
    instance part itself; one of another content type is sent alone, as that type.
    """
    xml = template["xml"]
    if payload.text is not None or payload.value is not None:
        text = payload.text if payload.text is not None else payload.value
        assert text is not None
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        raw = xml.replace(INSTANCE_SLOT, escaped).encode("utf-8", "surrogatepass")
        return {}, {"xml_submission_file": ("submission.xml", raw, "text/xml")}, {}
    assert payload.body is not None
    body = payload.body({"xml": xml})
    headers = {"Content-Encoding": payload.encoding} if payload.encoding else {}
    if payload.content_type == "application/json":
        return {}, {"xml_submission_file": ("submission.xml", body, "text/xml")}, headers
    if payload.content_type is not None:
        headers["Content-Type"] = payload.content_type
    return body, None, headers
