"""Form and query handling shared by the pages: marshmallow at the edge, errors per field."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from marshmallow import Schema

from server.exceptions import InvalidInput
from server.period import Period, default_period, period_asked
from server.schemas import PeriodQuery, load_query
from survey_schemas import default_taxonomy


def flatten(details: Mapping[str, Any]) -> dict[str, str]:
    """Return one message per field from marshmallow's nested messages."""
    out: dict[str, str] = {}
    for name, value in details.items():
        while isinstance(value, list | dict) and value:
            value = value[0] if isinstance(value, list) else next(iter(value.values()))
        out[str(name)] = str(value).rstrip(".") if value else "Check this answer"
    return out


def load_form(schema: Schema, data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Load form or query values with ``schema``: the data, or no data and errors by field."""
    # Forms carry more than the schema reads (the CSRF token, which button was pressed).
    known = {k: v for k, v in data.items() if k in schema.fields}
    try:
        return load_query(schema, known), {}
    except InvalidInput as error:
        return {}, flatten(error.details)


def period_filter(
    args: Mapping[str, Any], today: date
) -> tuple[Period, str | None, dict[str, str]]:
    """Return the period and method a filter form asks for; bad values fall back to defaults."""
    q, errors = load_form(PeriodQuery(), args)
    if errors:
        q = {"since": None, "until": None, "method": None}
    try:
        period = period_asked(q["since"], q["until"], today)
    except InvalidInput as error:
        errors = flatten(error.details)
        period = default_period(today)
        q["method"] = None
    return period, q["method"], errors


def category_options() -> list[tuple[str, str]]:
    """Return (code, label) of every issue category, by label."""
    tax = default_taxonomy()
    return sorted(
        ((code, tax[code].label_in("en")) for code in tax.codes()), key=lambda o: o[1].lower()
    )


def category_label(code: str) -> str:
    """Return a category's English label (its code if it is not in the taxonomy)."""
    tax = default_taxonomy()
    return tax[code].label_in("en") if code in tax else code
