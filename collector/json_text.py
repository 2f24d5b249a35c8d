"""Parse untrusted JSON: a clear ``ValueError`` for anything that is not plain Unicode JSON.

``json.loads`` alone lets three things through that fail later, far from the request: nesting
deep enough to raise ``RecursionError``; ``\\ud800``-style escapes that decode to lone
surrogates, which no UTF-8 encoder accepts; and ``\\u0000``, which PostgreSQL text cannot hold.
Both APIs (collector and server) read request bodies through :func:`loads`.
"""

from __future__ import annotations

import json
import re
from typing import Any

# A surrogate or NUL escape; a valid surrogate pair decodes to one code point, so only lone
# surrogates survive json.loads. A raw NUL byte is already invalid JSON.
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:[dD][89a-fA-F][0-9a-fA-F]{2}|0000)")


def loads(raw: bytes) -> Any:
    """Return the JSON value of ``raw``; raise ``ValueError`` saying why it is not one."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None
    except UnicodeDecodeError as error:
        raise ValueError(f"the body is not UTF-8: {error}") from None
    if _SUSPECT_ESCAPE.search(raw):  # rare: only then walk the value
        _check_unicode(value)
    return value


def _check_unicode(value: Any) -> None:
    """Raise ``ValueError`` if any string in ``value`` holds a lone surrogate or a NUL."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise ValueError("a string holds a NUL character (\\u0000)")
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("a string holds a lone surrogate (\\ud800-\\udfff)") from None
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
