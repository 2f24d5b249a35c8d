"""Enumerate an app's URL map as concrete requests, so new routes are checked without edits."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from flask import Flask

# A rule's parameter: <name>, <int:name>, <int(max=9):name>.
_PARAM = re.compile(r"<(?:[a-z_]+(?:\([^)]*\))?:)?([a-z_]+)>")


def requests_of(
    app: Flask, values: Mapping[str, str], methods: frozenset[str] | None = None
) -> Iterator[tuple[str, str, str]]:
    """Yield ``(endpoint, method, url)`` for every rule and method, parameters from ``values``."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if methods is None or method in methods:
                url = _PARAM.sub(lambda m: values[m.group(1)], rule.rule)
                assert "<" not in url, f"fill the parameters of {rule.rule}"
                yield rule.endpoint, method, url
