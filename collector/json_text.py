"""Parse untrusted JSON: a clear ``ValueError`` for anything that is not plain Unicode JSON.

``json.loads`` alone lets three things through that fail later, far from the request: nesting
deep enough to raise ``RecursionError``; ``\\ud800``-style escapes that decode to lone
surrogates, which no UTF-8 encoder accepts; and ``\\u0000``, which PostgreSQL text cannot hold.
Both APIs (collector and server) read request bodies through :func:`loads`; the server's push
through :func:`parse` and :func:`text_problem`, to refuse only the responses holding one.
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
    value, suspect = parse(raw)
    if suspect and (problem := text_problem(value)) is not None:
        raise ValueError(problem[1])
    return value


def parse(raw: bytes) -> tuple[Any, bool]:
    """Return the JSON value of ``raw`` and whether a string in it may hold a NUL or a lone
    surrogate (then :func:`text_problem` tells); raise ``ValueError`` for anything else.

    For a body of many items (a push) that should refuse only the items that hold one.
    """
    try:
        value = json.loads(raw)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None
    except UnicodeDecodeError as error:
        raise ValueError(f"the body is not UTF-8: {error}") from None
    return value, _SUSPECT_ESCAPE.search(raw) is not None  # rare: only then walk the value


def text_problem(value: Any) -> tuple[str, str] | None:
    """Return where (a dotted path, ``""`` for the value itself) and why a string in ``value``
    cannot be stored: a NUL, or a lone surrogate; None if every string can."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return path, "a string holds a NUL character (\\u0000)"
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return path, "a string holds a lone surrogate (\\ud800-\\udfff)"
        elif isinstance(item, dict):
            for key, child in item.items():
                where = f"{path}.{key}" if path else str(key)
                stack += [(path, key), (where, child)]
        elif isinstance(item, list):
            stack += [(f"{path}.{i}" if path else str(i), child) for i, child in enumerate(item)]
    return None
