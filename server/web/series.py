"""Mentions over time for the charts, read from the merge's day aggregates (no ranking here)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models.merge import MentionDay
from server.period import Period

MAX_BUCKETS = 13


def buckets(period: Period, most: int = MAX_BUCKETS) -> list[Period]:
    """Split a period into at most ``most`` equal runs of whole days, oldest first."""
    size = max(1, -(-period.days // most))
    out, start = [], period.since
    while start <= period.until:
        end = min(start + timedelta(days=size - 1), period.until)
        out.append(Period(start, end))
        start = end + timedelta(days=1)
    return out


def mentions_over_time(
    session: Session,
    area: str,
    period: Period,
    method: str | None = None,
    category: str | None = None,
) -> tuple[list[Period], dict[str, list[int]]]:
    """Return the period's buckets and, per category, its mentions in each bucket."""
    parts = buckets(period)
    q = (
        select(MentionDay.category, MentionDay.day, func.sum(MentionDay.mentions))
        .where(
            MentionDay.area == area, MentionDay.day >= period.since, MentionDay.day <= period.until
        )
        .group_by(MentionDay.category, MentionDay.day)
    )
    if method:
        q = q.where(MentionDay.method == method)
    if category:
        q = q.where(MentionDay.category == category)
    size = parts[0].days if parts else 1
    out: dict[str, list[int]] = {}
    for code, day, n in session.execute(q):
        counts = out.setdefault(code, [0] * len(parts))
        counts[min((day - period.since).days // size, len(parts) - 1)] += int(n)
    return parts, out


def step_name(parts: list[Period]) -> str:
    """Return what one bucket is called: "week", "day" or "N-day period"."""
    days = parts[0].days if parts else 1
    return {1: "day", 7: "week"}.get(days, f"{days}-day period")


def summary(label: str, parts: list[Period], counts: list[int]) -> str:
    """Describe a series in words for screen readers."""
    if not parts:
        return f"{label}: no data"
    total = sum(counts)
    size = step_name(parts)
    return (
        f"{label}: {total} mentions from {parts[0].since.isoformat()} to "
        f"{parts[-1].until.isoformat()}, by {size}: " + ", ".join(str(c) for c in counts)
    )
