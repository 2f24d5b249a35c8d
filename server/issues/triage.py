"""The triage queue: free text waits until a coordinator maps it to a category or dismisses it.

A decision is a :class:`~server.models.merge.TriageRule` keyed by the text's normalised form and
the group of the text's area, so it applies to every identical text already waiting in that
group's areas and to every one that arrives there later; another group's identical text waits
for that group's own decision. A mapped text counts as a mention of its category in its response
(once, like any mention).
No Flask here.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.exceptions import InvalidInput, NotFound
from server.issues.aggregates import refresh
from server.issues.scrub import normalise
from server.models import Area
from server.models.merge import TriageItem, TriageRule


@dataclass(frozen=True)
class QueueEntry:
    """Identical texts waiting in one area, shown once with how many said it."""

    item_id: int
    area: str
    text: str
    count: int
    first_day: str
    status: str
    category: str | None

    def as_dict(self) -> dict[str, object]:
        """Return the JSON shape of the triage API."""
        return {
            "id": self.item_id,
            "area": self.area,
            "text": self.text,
            "count": self.count,
            "first_day": self.first_day,
            "status": self.status,
            "category": self.category,
        }


def queue(
    session: Session, areas: Collection[str], status: str = "pending", limit: int = 200
) -> list[QueueEntry]:
    """Return the texts in ``areas`` with ``status``, grouped by area and normalised text."""
    if not areas:
        return []
    q = (
        select(
            func.min(TriageItem.id),
            TriageItem.area,
            func.count(),
            func.min(TriageItem.day),
            TriageItem.norm_hash,
            func.max(TriageItem.category),
        )
        .where(TriageItem.area.in_(sorted(areas)), TriageItem.status == status)
        .group_by(TriageItem.area, TriageItem.norm_hash)
        .order_by(func.count().desc(), func.min(TriageItem.id))
        .limit(limit)
    )
    rows = list(session.execute(q))
    ids = [r[0] for r in rows]
    q_text = select(TriageItem.id, TriageItem.text).where(TriageItem.id.in_(ids))
    texts = {i: t for i, t in session.execute(q_text)} if rows else {}
    return [QueueEntry(r[0], r[1], texts[r[0]], r[2], r[3].isoformat(), status, r[5]) for r in rows]


def item_in(session: Session, item_id: int, areas: Collection[str] | None) -> TriageItem:
    """Return a triage item the caller may see (``areas`` None: any), else :class:`NotFound`."""
    item = session.get(TriageItem, item_id)
    if item is None or (areas is not None and item.area not in areas):
        raise NotFound(f"no triage item {item_id}", details={"id": item_id})
    return item


def decide(
    session: Session,
    item: TriageItem,
    category: str | None,
    *,
    known: Collection[str],
    user_id: int | None,
    now: datetime,
) -> int:
    """Map the item's text to ``category`` (None: not an issue); return the texts it settled.

    The decision is the group's whose area the item is in: it applies to every item with the
    same normalised text in that group's areas, and identical texts arriving there later follow
    it without anyone's help. Other groups' texts are left for them to decide.
    """
    if category is not None and category not in known:
        raise InvalidInput("unknown category", details={"category": [f"unknown {category!r}"]})
    group = session.scalar(select(Area.group_id).where(Area.code == item.area))
    if group is None:  # an area since removed: the decision is for this text alone
        same = [item]
    else:
        rule = session.get(TriageRule, (item.norm_hash, group))
        if rule is None:
            rule = TriageRule(norm_hash=item.norm_hash, group_id=group, norm=normalise(item.text))
            session.add(rule)
        rule.category, rule.decided_by, rule.decided_at = category, user_id, now
        areas = select(Area.code).where(Area.group_id == group)
        q = select(TriageItem).where(
            TriageItem.norm_hash == item.norm_hash, TriageItem.area.in_(areas)
        )
        same = list(session.scalars(q))
    status = "dismissed" if category is None else "mapped"
    for it in same:
        it.status, it.category = status, category
    session.flush()
    refresh(session, [it.response_id for it in same])
    return len(same)


def pending_count(session: Session, areas: Collection[str]) -> int:
    """Return how many texts wait for a decision in ``areas``."""
    if not areas:
        return 0
    q = select(func.count()).where(
        TriageItem.area.in_(sorted(areas)), TriageItem.status == "pending"
    )
    return int(session.scalar(q) or 0)
