"""Periods of days: the one default (the last 90 days) and the one rule for a period asked for.

Every page, format and command that shows figures "over a period" takes it from here, so the
dashboard, the API, the agenda, the public page and the CLI agree on what "the last 90 days" is.
No Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from server.exceptions import InvalidInput

#: The default period's length: the last 90 days up to and including today.
DEFAULT_DAYS = 90
#: The longest period anyone may ask for (a decade).
MAX_DAYS = 3660


@dataclass(frozen=True)
class Period:
    """An inclusive range of days."""

    since: date
    until: date

    @property
    def days(self) -> int:
        """Return the number of days covered."""
        return (self.until - self.since).days + 1

    def previous(self) -> Period:
        """Return the period of equal length just before this one."""
        return Period(self.since - timedelta(days=self.days), self.since - timedelta(days=1))

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.since <= day <= self.until


def default_period(today: date, days: int = DEFAULT_DAYS) -> Period:
    """Return the last ``days`` days up to and including ``today``."""
    return Period(today - timedelta(days=days - 1), today)


def period_asked(since: date | None, until: date | None, today: date) -> Period:
    """Return the period a caller asked for: ``until`` defaults to today, ``since`` to 90 days
    before it. Refuse (:class:`InvalidInput`) a period that ends before it starts or is longer
    than :data:`MAX_DAYS`."""
    end = until or today
    start = since or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:  # until may be today's default, which a schema did not see
        raise InvalidInput("since is after until", details={"since": ["on or before until"]})
    if (end - start).days >= MAX_DAYS:
        raise InvalidInput("the period is too long", details={"since": ["at most 10 years"]})
    return Period(start, end)
