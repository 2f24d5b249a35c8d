"""The escalation clock: priorities residents keep raising while nothing visible happens (no Flask).

Modelled on England's Community Trigger (the ASB case review), applied to the group's own
issues. With the default thresholds (deployment settings, docs/meetings.md) an issue of an
area is escalated when either

- **ignored**: at least 5 residents raised it in the area in the last 183 days (about six
  months) while the group neither agreed it as a priority nor logged any action on it in that
  time; or
- **overdue twice**: it is an agreed priority and at least two of its report-back dates have
  passed since its owner last gave an update (the dates come from the issue's history of
  report-back changes, plus the one it has now).

An escalation is derived on every read from the aggregates and the issue's log, so it ends by
itself once the group acts: agreeing the issue, logging an action, or the owner reporting back.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import Issue
from server.models.meetings import IssueNote, IssuePlan
from server.models.merge import MentionDay

IGNORED, OVERDUE_TWICE = "ignored", "overdue_twice"
ACTIVE = ("agreed", "in_progress")
SETTINGS = {
    "ESCALATION_RESIDENTS": "residents",
    "ESCALATION_DAYS": "days",
    "ESCALATION_MISSED_REPORT_BACKS": "missed_report_backs",
}


@dataclass(frozen=True)
class Thresholds:
    """When an issue escalates (the ``ESCALATION_*`` settings)."""

    residents: int = 5
    days: int = 183
    missed_report_backs: int = 2


DEFAULT = Thresholds()


def thresholds_from(config: Mapping[str, Any]) -> Thresholds:
    """Return the thresholds from any ``ESCALATION_*`` settings in ``config``.

    Raise ``ValueError`` naming the setting when one is not a whole number of at least 1.
    """
    values = {}
    for setting, name in SETTINGS.items():
        value = config.get(setting, getattr(DEFAULT, name))
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{setting} must be a whole number of at least 1, not {value!r}")
        values[name] = value
    return Thresholds(**values)


@dataclass(frozen=True)
class Escalation:
    """Why one issue of one area is escalated, in words and in figures."""

    area: str
    category: str
    kind: str  # IGNORED or OVERDUE_TWICE
    reason: str
    since: date  # the start of the window (ignored) or the first missed report-back date
    residents: int = 0  # ignored: how many residents raised it in the window
    missed: tuple[date, ...] = ()  # overdue twice: the report-back dates that passed

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON shape the issues API gives under ``escalated``."""
        return {
            "area": self.area,
            "category": self.category,
            "kind": self.kind,
            "reason": self.reason,
            "since": self.since.isoformat(),
            "residents": self.residents,
            "missed_report_backs": [d.isoformat() for d in self.missed],
        }


def _long(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def _residents(
    session: Session, areas: Collection[str], since: date, today: date
) -> dict[tuple[str, str], int]:
    """Return how many residents raised each (area, category) from ``since`` to ``today``."""
    q = (
        select(MentionDay.area, MentionDay.category, func.sum(MentionDay.mentions))
        .where(MentionDay.area.in_(sorted(areas)), MentionDay.day.between(since, today))
        .group_by(MentionDay.area, MentionDay.category)
    )
    return {(area, category): int(n or 0) for area, category, n in session.execute(q)}


def _logs(session: Session, ids: Sequence[int]) -> dict[int, list[IssueNote]]:
    out: dict[int, list[IssueNote]] = {}
    q = select(IssueNote).where(IssueNote.issue_id.in_(ids)).order_by(IssueNote.on, IssueNote.id)
    for note in session.scalars(q):
        out.setdefault(note.issue_id, []).append(note)
    return out


def _ignored(
    count: int, plan: IssuePlan | None, log: Sequence[IssueNote], since: date, area: str, cat: str
) -> Escalation | None:
    agreed = plan is not None and plan.agreed_on is not None and plan.agreed_on >= since
    acted = any(n.kind == "action" and n.on >= since for n in log)
    if agreed or acted:
        return None
    reason = (
        f"{count} residents raised it since {_long(since)}, and in that time the group has "
        "neither agreed it as a priority nor logged any action on it"
    )
    return Escalation(area, cat, IGNORED, reason, since, residents=count)


def missed_report_backs(
    plan: IssuePlan | None, log: Sequence[IssueNote], today: date, window: timedelta
) -> tuple[date, ...]:
    """Return the report-back dates that passed since the owner's last update, oldest first.

    A date counts as met when an update (a status change other than the agreement, or an
    action) is dated no earlier than ``window`` before it.
    """
    agreed = plan.agreed_on if plan else None
    updates = [
        n.on
        for n in log
        if n.kind in ("status", "action")
        and n.to_status != "agreed"
        and (agreed is None or n.on > agreed)
    ]
    last = max(updates) if updates else None
    dates = {date.fromisoformat(n.to_status) for n in log if n.kind == "due" and n.to_status}
    if plan is not None and plan.report_back is not None:
        dates.add(plan.report_back)
    return tuple(
        d
        for d in sorted(dates)
        # d - last, a difference of two dates, never overflows; d - window did near year 1
        if d < today and (agreed is None or d > agreed) and (last is None or d - last > window)
    )


def escalations(
    session: Session,
    areas: Collection[str],
    today: date,
    thresholds: Thresholds = DEFAULT,
    *,
    window: timedelta = timedelta(days=14),
) -> dict[tuple[str, str], Escalation]:
    """Return the escalated issues of ``areas`` on ``today``, keyed by (area, category).

    ``window`` is how long before a report-back date an update still counts as made for it
    (the accountability rule's ``REPORT_WINDOW``).
    """
    if not areas:
        return {}
    since = today - timedelta(days=thresholds.days - 1)
    counts = _residents(session, areas, since, today)
    issues = {
        (i.area, i.category): i
        for i in session.scalars(select(Issue).where(Issue.area.in_(sorted(areas))))
    }
    ids = [i.id for i in issues.values()]
    plans = {
        p.issue_id: p for p in session.scalars(select(IssuePlan).where(IssuePlan.issue_id.in_(ids)))
    }
    logs = _logs(session, ids)
    out: dict[tuple[str, str], Escalation] = {}
    for key, issue in issues.items():
        if issue.status not in ACTIVE:
            continue
        missed = missed_report_backs(plans.get(issue.id), logs.get(issue.id, []), today, window)
        if len(missed) >= thresholds.missed_report_backs:
            owner = issue.owner or "its owner"
            dates = " and ".join(_long(d) for d in missed[-thresholds.missed_report_backs :])
            reason = (
                f"agreed as a priority, but {len(missed)} report-back dates have passed "
                f"({dates}) without an update from {owner}"
            )
            out[key] = Escalation(*key, OVERDUE_TWICE, reason, missed[0], missed=missed)
    for key, count in counts.items():
        if count < thresholds.residents or key in out:
            continue
        issue = issues.get(key)
        plan = plans.get(issue.id) if issue else None
        found = _ignored(count, plan, logs.get(issue.id, []) if issue else [], since, *key)
        if found is not None:
            out[key] = found
    return out
