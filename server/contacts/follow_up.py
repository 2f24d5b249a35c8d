"""The follow-up list: consented residents whose area has news since they were surveyed.

For each one: what they raised, what became of their area's issues since ("you said, we did"),
their contact details opened with the group's passphrase, and who has contacted them. The
details are opened in memory for the one list asked for and returned to the caller; nothing
here stores, caches or logs them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from collector.sealing import SealError, open_field
from server.catalogue.surveys import finder_for
from server.contacts.keys import open_private_keys
from server.exceptions import InvalidInput, NotFound
from server.issues.facts import response_facts
from server.meetings.accountability import notes
from server.models import Area, Group, Issue, PersonalDetail, Response
from server.models.contacts import ContactMark

__all__ = ["CHANNELS", "News", "Resident", "follow_up_list", "mark_contacted"]

CHANNELS = ("phone", "email", "letter", "in_person")
NEWS_KINDS = ("status", "action", "public")


@dataclass(frozen=True)
class News:
    """What became of one of the area's issues since the resident was surveyed."""

    category: str
    status: str
    owner: str | None
    we_did: str | None  # the public "you said, we did" text
    actions: tuple[str, ...]  # what was logged since, oldest first
    raised: bool  # the resident raised this category


@dataclass
class Resident:
    """One consented resident on the follow-up list, their details opened."""

    response_id: str
    area: str
    surveyed_on: date
    details: dict[str, str]
    channel: str | None
    raised: list[str]
    news: list[News]
    unopened: int = 0  # details sealed to a key this passphrase does not open
    contacted: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Return the resident as ``--format json`` prints them."""
        return {
            "response_id": self.response_id,
            "area": self.area,
            "surveyed_on": self.surveyed_on.isoformat(),
            "details": self.details,
            "channel": self.channel,
            "raised": self.raised,
            "news": [n.__dict__ | {"actions": list(n.actions)} for n in self.news],
            "unopened": self.unopened,
            "contacted": self.contacted,
        }


def preferred_channel(details: dict[str, str]) -> str | None:
    """Return how to reach a resident: by phone, else email, from the details they gave."""
    for channel in ("phone", "email"):
        if any(channel in name and value for name, value in details.items()):
            return channel
    return None


def _open(
    data: dict[str, Any], keys: dict[str, X25519PrivateKey], rid: str
) -> tuple[dict[str, str], int]:
    opened: dict[str, str] = {}
    unopened = 0
    for name, sealed in sorted(data.items()):
        key = keys.get(sealed.get("kid")) if isinstance(sealed, dict) else None
        try:
            if key is None:
                raise SealError(name)
            opened[name] = open_field(sealed, key, rid, name)
        except SealError:
            unopened += 1
    return opened, unopened


def _listed(now: datetime) -> tuple[Any, ...]:
    """The details on the list: consented, and not past their expiry (not yet purged)."""
    return (
        PersonalDetail.consent.is_(True),
        or_(PersonalDetail.expires_at.is_(None), PersonalDetail.expires_at > now),
    )


def follow_up_list(
    session: Session,
    group: Group,
    passphrase: str,
    *,
    now: datetime,
    since: date | None = None,
) -> list[Resident]:
    """Return the group's consented residents whose area has news, details opened.

    ``since``: only news from that day on (e.g. since the last meeting). A wrong passphrase is
    :class:`~server.exceptions.WrongPassphrase` and nothing is read.
    """
    keys = open_private_keys(session, group, passphrase)
    codes = select(Area.code).where(Area.group_id == group.id)
    issues = list(session.scalars(select(Issue).where(Issue.area.in_(codes))))
    log = notes(session, [i.id for i in issues])
    by_area: dict[str, list[Issue]] = {}
    for issue in issues:
        by_area.setdefault(issue.area, []).append(issue)
    rows = session.execute(
        select(Response, PersonalDetail.data)
        .join(PersonalDetail, PersonalDetail.response_id == Response.id)
        .where(
            Response.area.in_(codes),
            *_listed(now),
        )
        .order_by(Response.collected_at, Response.id)
    ).all()
    find = finder_for(session, None)
    marks = _marks(session, [r.id for r, _ in rows])
    out: list[Resident] = []
    for response, data in rows:
        surveyed = response.collected_at.date()
        survey = find(response.survey_id, response.survey_version)
        raised = sorted(response_facts(survey, response.answers).mentions) if survey else []
        frm = max(surveyed, since) if since else surveyed
        news = []
        for issue in by_area.get(response.area, []):
            later = [n for n in log.get(issue.id, []) if n.kind in NEWS_KINDS and n.on >= frm]
            if later:
                news.append(
                    News(
                        issue.category,
                        issue.status,
                        issue.owner,
                        issue.public_text,
                        tuple(n.text for n in later if n.kind == "action"),
                        issue.category in raised,
                    )
                )
        if not news:
            continue
        news.sort(key=lambda n: (not n.raised, n.category))
        details, unopened = _open(data or {}, keys, response.id)
        out.append(
            Resident(
                response.id,
                response.area,
                surveyed,
                details,
                preferred_channel(details),
                raised,
                news,
                unopened,
                marks.get(response.id, []),
            )
        )
    return out


def _marks(session: Session, ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    wanted = list(ids)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        query = (
            select(ContactMark)
            .where(ContactMark.response_id.in_(chunk))
            .order_by(ContactMark.marked_at, ContactMark.id)
        )
        for m in session.scalars(query):
            out.setdefault(m.response_id, []).append(
                {"by": m.user, "at": m.marked_at.isoformat(), "channel": m.channel}
            )
    return out


def mark_contacted(
    session: Session, group: Group, response_id: str, *, by: str, channel: str, now: datetime
) -> ContactMark:
    """Log that ``by`` contacted the resident of ``response_id`` (of ``group``) by ``channel``."""
    if channel not in CHANNELS:
        raise InvalidInput(
            f"the channel must be one of {', '.join(CHANNELS)}", details={"channel": [channel]}
        )
    found = session.scalar(
        select(Response.id)
        .join(PersonalDetail, PersonalDetail.response_id == Response.id)
        .join(Area, Area.code == Response.area)
        .where(Response.id == response_id, Area.group_id == group.id, *_listed(now))
    )
    if found is None:
        raise NotFound(f"no resident {response_id!r} on this group's list")
    mark = ContactMark(response_id=found, user=by, channel=channel, marked_at=now)
    session.add(mark)
    session.flush()
    return mark
