"""The one range of dates doorstep accepts, and the checks every edge uses to hold to it.

A date or time that comes in (a response's ``collected_at``, a meeting, a report-back date, a
query's ``since``, a cursor) must fall between :data:`EARLIEST` and :data:`LATEST`. Python's
dates end at years 1 and 9999, and arithmetic near them (``report_back - 14 days``) overflows,
so a stored year-1 date once took down every page that showed it. The server's schemas, the
collector and sync all refuse what is outside this range with the same words.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any

from marshmallow import ValidationError

EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)
#: The words of every refusal.
MONTH_TEXT = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
OUT_OF_RANGE = f"must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}"


def day_in_range(day: date) -> bool:
    """Return True when ``day`` (a date, or a datetime's date in UTC) is in the range."""
    if isinstance(day, datetime):
        # The local date first: converting a time at either end of the calendar overflows.
        if not EARLIEST <= day.date() <= LATEST:
            return False
        day = day.astimezone(UTC).date() if day.tzinfo else day.date()
    return isinstance(day, date) and EARLIEST <= day <= LATEST


def check_day(value: Any) -> None:
    """Marshmallow validator for a ``fields.Date`` or ``fields.DateTime``: in the range."""
    if not day_in_range(value):
        raise ValidationError(OUT_OF_RANGE)


def parse_day(text: str) -> date:
    """Return the ISO date ``text`` (YYYY-MM-DD) if it is in the range, else ValueError."""
    if not isinstance(text, str) or len(text) != 10:
        raise ValueError("a date written YYYY-MM-DD")
    day = date.fromisoformat(text)
    if not day_in_range(day):
        raise ValueError(OUT_OF_RANGE)
    return day


def parse_moment(text: str) -> datetime:
    """Return an ISO date or date-time (UTC when no offset is given) in the range, else ValueError.

    A plain date means midnight UTC at its start. Control characters, offsets beyond a day and
    anything ``datetime.fromisoformat`` does not read are ValueError too.
    """
    if not isinstance(text, str) or not text.isprintable() or len(text) > 40:
        raise ValueError("an ISO date or date-time")
    if len(text) == 10:
        return datetime.combine(parse_day(text), time(), UTC)
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not day_in_range(moment):
        raise ValueError(OUT_OF_RANGE)
    return moment.astimezone(UTC)


def check_moment_text(value: str) -> None:
    """Marshmallow validator for a string field holding an ISO date or date-time in the range."""
    try:
        parse_moment(value)
    except ValueError as error:
        raise ValidationError(f"an ISO date or date-time; {error}") from None


def check_month_text(value: str) -> None:
    """Marshmallow validator for a month written YYYY-MM, in the range: one message a fault."""
    if not MONTH_TEXT.fullmatch(value):
        raise ValidationError("a month as YYYY-MM")
    if not EARLIEST.strftime("%Y-%m") <= value <= LATEST.strftime("%Y-%m"):
        raise ValidationError(
            f"a month between {EARLIEST.strftime('%Y-%m')} and {LATEST.strftime('%Y-%m')}"
        )


def clamp(day: date) -> date:
    """Return ``day`` moved into the range: for figures about a stored day outside it."""
    return min(max(day, EARLIEST), LATEST)
