"""Meetings and accountability: agreed priorities, actions, statuses and "you said, we did".

No Flask here. Every change to an issue's status, owner or public text is logged in the pull feed
(:func:`server.feed.record_change`) in the same transaction, so collectors learn of it.
Rules (docs/meetings.md): statuses move open → agreed → in_progress → resolved / closed, each
change with a dated note; an active priority past its report-back date with no update in the
:data:`REPORT_WINDOW` before that date, or since, is overdue. A provider reports progress (notes
and actions, dated the day they are written); only the group (a coordinator or an admin) sets or
moves a report-back date, and each move is a ``due`` entry of the log: who, when, old → new, why.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.exceptions import Forbidden, InvalidInput, NotFound
from server.feed import record_change
from server.models import Area, Group, Issue, User
from server.models.meetings import IssueNote, IssuePlan, Meeting

ACTIVE = ("agreed", "in_progress")
UPDATES = ("status", "action")  # the log entries that report progress
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "open": ("agreed", "closed"),
    "agreed": ("in_progress", "resolved", "closed"),
    "in_progress": ("resolved", "closed"),
    "resolved": ("open",),
    "closed": ("open",),
}
REPORT_WINDOW = timedelta(days=14)
MAX_SHORTLIST = 3
PROVIDER_STATUSES = ("in_progress", "resolved")


def entry_day(role: str | None, asked: date | None, today: date) -> date:
    """Return the day a status note or action is dated: ``today`` (the server's) if none asked.

    A day after today is refused for everyone; an earlier one only a manager may give (minutes
    written up after the meeting), never a provider, whose reports are dated when written.
    ``role`` None is the command line's operator.
    """
    if asked is None or asked == today:
        return today
    if asked > today:
        raise InvalidInput(
            "a note or action cannot be dated in the future",
            details={"date": [f"must be on or before {today.isoformat()}"]},
        )
    if role == "provider":
        raise Forbidden("a provider's notes and actions are dated the day they are written")
    return asked


def check_provider_change(role: str | None, status: str, report_back: date | None) -> None:
    """Refuse what a provider may not do to its own issue: other moves, or its report-back date."""
    if role != "provider":
        return
    if status not in PROVIDER_STATUSES:
        raise Forbidden("a provider may mark its issues in progress or resolved")
    if report_back is not None:
        raise Forbidden("only the group sets or moves a report-back date")


def no_issue() -> NotFound:
    """Return the one refusal of an issue the caller may not see, whether or not it exists.

    It names nothing (no id, area or category), so asking for another provider's or group's
    issue answers exactly as asking for one that was never agreed.
    """
    return NotFound("no such issue")


def visible_issue(session: Session, user: User, issue_id: int) -> Issue:
    """Return an issue the user may see: any for an admin, a coordinator's areas, a provider's own.

    Anything else is :func:`no_issue`, never 403, so other issues' existence leaks nothing.
    """
    issue = session.get(Issue, issue_id)
    if issue is not None and _may_see(session, user, issue):
        return issue
    raise no_issue()


def _may_see(session: Session, user: User, issue: Issue) -> bool:
    if user.role == "admin":
        return True
    if user.role == "coordinator":
        groups = {group.id for group in user.groups}
        area = session.scalar(select(Area).where(Area.code == issue.area))
        return area is not None and area.group_id in groups
    if user.role == "provider" and user.provider and issue.owner:
        return issue.owner.strip().lower() == user.provider.strip().lower()
    return False


def issue_for(session: Session, area: str, category: str, *, create: bool = False) -> Issue:
    """Return the issue (area + category), creating it as ``open`` when asked."""
    issue = session.scalar(select(Issue).where(Issue.area == area, Issue.category == category))
    if issue is None:
        if not create:
            raise no_issue()
        issue = Issue(area=area, category=category, status="open")
        session.add(issue)
        session.flush()
    return issue


def _changed(session: Session, issue: Issue) -> None:
    session.flush()
    record_change(session, "issue", issue.id, area=issue.area)


def meeting_on(session: Session, group: Group, on: date, *, create: bool = False) -> Meeting | None:
    """Return the group's meeting on a day (created empty when asked)."""
    m = session.scalar(select(Meeting).where(Meeting.group_id == group.id, Meeting.date == on))
    if m is None and create:
        m = Meeting(group_id=group.id, date=on, apologies=[], aob=[], minutes="")
        session.add(m)
        session.flush()
    return m


MEETING_FIELDS = ("time", "venue", "chair", "apologies", "minutes", "aob", "next_date")


def record_meeting(session: Session, group: Group, data: dict[str, Any]) -> Meeting:
    """Create or update the group's meeting on ``data["date"]`` from loaded MeetingSchema data."""
    m = meeting_on(session, group, data["date"], create=True)
    assert m is not None
    for name in MEETING_FIELDS:
        setattr(m, name, data[name])
    session.flush()
    return m


def last_meeting(session: Session, group: Group, before: date) -> Meeting | None:
    """Return the group's latest meeting before a day."""
    q = (
        select(Meeting)
        .where(Meeting.group_id == group.id, Meeting.date < before)
        .order_by(Meeting.date.desc())
        .limit(1)
    )
    return session.scalar(q)


def set_status(
    session: Session,
    issue: Issue,
    status: str,
    *,
    on: date,
    note: str,
    user_id: int | None = None,
    meeting: Meeting | None = None,
    report_back: date | None = None,
) -> IssueNote:
    """Move an issue to ``status`` with a dated note; refuse moves the rules do not allow."""
    if status not in TRANSITIONS.get(issue.status, ()):
        allowed = ", ".join(TRANSITIONS.get(issue.status, ())) or "none"
        raise InvalidInput(
            f"an issue that is {issue.status} cannot become {status} (allowed: {allowed})",
            details={"status": [f"cannot go from {issue.status} to {status}"]},
        )
    if not note.strip():
        raise InvalidInput("a status change needs a note", details={"note": ["required"]})
    entry = IssueNote(
        issue_id=issue.id,
        on=on,
        kind="status",
        from_status=issue.status,
        to_status=status,
        text=note.strip(),
        user_id=user_id,
        meeting_id=meeting.id if meeting else None,
    )
    issue.status = status
    session.add(entry)
    if report_back is not None:
        move_report_back(
            session, issue, report_back, on=on, why=note, user_id=user_id, meeting=meeting
        )
    _changed(session, issue)
    return entry


def move_report_back(
    session: Session,
    issue: Issue,
    new: date,
    *,
    on: date,
    why: str,
    user_id: int | None = None,
    meeting: Meeting | None = None,
) -> IssueNote | None:
    """Set or move the report-back date, kept in the log as old → new with who and why.

    Callers let only the group do this (:func:`check_provider_change`). Returns the log entry,
    or None when the date does not change.
    """
    plan = _plan(session, issue)
    old = plan.report_back
    if new == old:
        return None
    if new <= on:
        raise InvalidInput(
            "the report-back date must be after the day it is set",
            details={"report_back": [f"must be after {on.isoformat()}"]},
        )
    plan.report_back = new
    entry = IssueNote(
        issue_id=issue.id,
        on=on,
        kind="due",
        from_status=old.isoformat() if old else None,
        to_status=new.isoformat(),
        text=why.strip(),
        user_id=user_id,
        meeting_id=meeting.id if meeting else None,
    )
    session.add(entry)
    session.flush()
    return entry


def _plan(session: Session, issue: Issue) -> IssuePlan:
    plan = session.get(IssuePlan, issue.id)
    if plan is None:
        plan = IssuePlan(issue_id=issue.id)
        session.add(plan)
    return plan


def agree(
    session: Session,
    area: Area,
    category: str,
    *,
    owner: str,
    report_back: date,
    on: date,
    meeting: Meeting | None = None,
    note: str = "",
    user_id: int | None = None,
) -> Issue:
    """Record an agreed priority: its owner (a provider) and report-back date."""
    if not owner.strip():
        raise InvalidInput("an agreed priority needs an owner", details={"owner": ["required"]})
    if report_back <= on:
        raise InvalidInput(
            "the report-back date must be after the meeting",
            details={"report_back": ["must be after the day it was agreed"]},
        )
    issue = issue_for(session, area.code, category, create=True)
    issue.owner = owner.strip()
    plan = _plan(session, issue)
    plan.agreed_on = on
    plan.meeting_id = meeting.id if meeting else None
    set_status(
        session,
        issue,
        "agreed",
        on=on,
        user_id=user_id,
        meeting=meeting,
        note=note or f"Agreed as a priority; {issue.owner} to report back by {report_back}",
        report_back=report_back,
    )
    return issue


def add_action(
    session: Session,
    issue: Issue,
    *,
    on: date,
    text: str,
    user_id: int | None = None,
    meeting: Meeting | None = None,
) -> IssueNote:
    """Log a dated action taken on an issue (counts as an update)."""
    if not text.strip():
        raise InvalidInput("an action needs a text", details={"text": ["required"]})
    entry = IssueNote(
        issue_id=issue.id,
        on=on,
        kind="action",
        text=text.strip(),
        user_id=user_id,
        meeting_id=meeting.id if meeting else None,
    )
    session.add(entry)
    session.flush()
    return entry


def set_public_text(
    session: Session, issue: Issue, text: str, *, on: date, user_id: int | None = None
) -> None:
    """Publish the issue's "you said, we did" statement (shown on the public page and pulled)."""
    issue.public_text = text.strip() or None
    session.add(
        IssueNote(issue_id=issue.id, on=on, kind="public", text=text.strip(), user_id=user_id)
    )
    _changed(session, issue)


def notes(session: Session, issue_ids: Collection[int]) -> dict[int, list[IssueNote]]:
    """Return each issue's log, oldest first."""
    out: dict[int, list[IssueNote]] = {}
    if not issue_ids:
        return out
    q = (
        select(IssueNote)
        .where(IssueNote.issue_id.in_(sorted(issue_ids)))
        .order_by(IssueNote.on, IssueNote.id)
    )
    for n in session.scalars(q):
        out.setdefault(n.issue_id, []).append(n)
    return out


def is_overdue(
    status: str, report_back: date | None, last_update: date | None, today: date
) -> bool:
    """Return True when an active priority is past its report-back date with no recent update."""
    if status not in ACTIVE or report_back is None or today <= report_back:
        return False
    # a difference of two dates never overflows; report_back - REPORT_WINDOW did near year 1
    return last_update is None or report_back - last_update > REPORT_WINDOW


@dataclass(frozen=True)
class Tracked:
    """An issue with its plan and log, as the agenda and the API show it."""

    issue: Issue
    plan: IssuePlan | None
    log: Sequence[IssueNote]
    overdue: bool
    authors: Mapping[int, str] = field(default_factory=dict)  # user id → name, for the log

    def by(self, note: IssueNote) -> str | None:
        """Return the name of who wrote a log entry (None: the command line)."""
        return self.authors.get(note.user_id) if note.user_id is not None else None

    def moves(self) -> list[str]:
        """Describe each move of the report-back date after the first: when, who, old → new, why."""
        return [
            f"{n.on.isoformat()} {self.by(n) or 'command line'}: {n.from_status} → "
            f"{n.to_status}" + (f" ({n.text})" if n.text else "")
            for n in self.log
            if n.kind == "due" and n.from_status
        ]

    def as_dict(self) -> dict[str, object]:
        """Return the JSON shape of the issues API."""
        i, p = self.issue, self.plan
        return {
            "id": i.id,
            "area": i.area,
            "category": i.category,
            "status": i.status,
            "owner": i.owner,
            "public_text": i.public_text,
            "agreed_on": p.agreed_on.isoformat() if p and p.agreed_on else None,
            "report_back": p.report_back.isoformat() if p and p.report_back else None,
            "overdue": self.overdue,
            "log": [
                {
                    "on": n.on.isoformat(),
                    "kind": n.kind,
                    "from": n.from_status,
                    "to": n.to_status,
                    "text": n.text,
                    "by": self.by(n),
                }
                for n in self.log
            ],
        }


def tracked(session: Session, issues: Sequence[Issue], today: date) -> list[Tracked]:
    """Return issues with plan, log and overdue flag: overdue first, then by report-back date."""
    ids = [i.id for i in issues]
    plans = {
        p.issue_id: p for p in session.scalars(select(IssuePlan).where(IssuePlan.issue_id.in_(ids)))
    }
    logs = notes(session, ids)
    who = {n.user_id for log in logs.values() for n in log if n.user_id is not None}
    authors: dict[int, str] = {}
    if who:
        q = select(User.id, User.name).where(User.id.in_(sorted(who)))
        authors = {uid: name for uid, name in session.execute(q)}
    out = []
    for i in issues:
        plan, log = plans.get(i.id), logs.get(i.id, [])
        agreed = plan.agreed_on if plan else None
        # the agreement itself and what was said that day are not the owner's report
        updates = [
            n.on
            for n in log
            if n.kind in UPDATES and n.to_status != "agreed" and (agreed is None or n.on > agreed)
        ]
        last = max(updates) if updates else None
        due = plan.report_back if plan else None
        out.append(Tracked(i, plan, log, is_overdue(i.status, due, last, today), authors))
    far = date.max
    out.sort(
        key=lambda t: (
            not t.overdue,
            (t.plan.report_back if t.plan else None) or far,
            t.issue.area,
            t.issue.category,
        )
    )
    return out


def active_issues(session: Session, areas: Collection[str], *, since: date | None = None):
    """Return the active issues of ``areas``, plus those closed or resolved on/after ``since``."""
    q = select(Issue).where(Issue.area.in_(sorted(areas)), Issue.status.in_(ACTIVE))
    found = list(session.scalars(q))
    if since is not None:
        done = (
            select(Issue)
            .join(IssueNote, IssueNote.issue_id == Issue.id)
            .where(
                Issue.area.in_(sorted(areas)),
                Issue.status.in_(("resolved", "closed")),
                IssueNote.kind == "status",
                IssueNote.to_status == Issue.status,
                IssueNote.on >= since,
            )
            .group_by(Issue.id)
        )
        found += [i for i in session.scalars(done) if i not in found]
    return found


def provider_issues(session: Session, provider: str) -> list[Issue]:
    """Return the issues a provider owns."""
    q = select(Issue).where(func.lower(Issue.owner) == provider.strip().lower())
    return list(session.scalars(q.order_by(Issue.area, Issue.category)))
