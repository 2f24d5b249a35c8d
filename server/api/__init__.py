"""The JSON API under ``/api/v1``: one blueprint per URL area (``create_app`` lists them).

Each view's docstring ends in its OpenAPI operation; ``openapi.py`` serves the document built
from them, with the answer schemas of ``answers.py``.
"""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, Map

# The largest id a 32-bit INTEGER column holds (PostgreSQL's; SQLite's are wider).
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` that only matches ids a database column can hold; a larger one is 404."""

    def __init__(self, map: Map, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)  # type: ignore[arg-type]
