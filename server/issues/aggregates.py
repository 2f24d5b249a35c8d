"""Keep the merge aggregates in step with stored responses, and rebuild them from scratch.

No Flask here: every function takes a SQLAlchemy session and leaves committing to the caller, so
ingest (``server.intake.ingest``) counts what it accepts with :func:`apply_responses` in the same
transaction that stores the responses.

A response *counts* unless another stored response names it in ``replaces`` (a correction) from
within its remit: a device of a group corrects only responses in its group's areas.
Its contribution is: one respondent in (area, day, method); one mention per category it names,
through a choice or through free text a triage rule maps; its equality answers.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, delete, or_, select
from sqlalchemy.orm import Session, aliased

from server.catalogue.surveys import registry_for
from server.db.bulk import Write, among, write_tables
from server.issues.facts import Facts, day_of, response_facts
from server.issues.scrub import normalise
from server.models import Area, Device, Response
from server.models.merge import (
    EqualityDay,
    MentionDay,
    MentionMonth,
    RespondentDay,
    RespondentMonth,
    ResponseMention,
    TriageItem,
    TriageRule,
)
from survey_schemas import Survey

Lookup = Callable[[str, int], Survey | None]
REBUILD_FLUSH = 50_000  # aggregate keys held in memory before a rebuild writes them
MENTION_COUNTERS = ("mentions", "severity_sum", "severity_count")


def norm_hash(text: str) -> str:
    """Return the triage key of a text: sha256 of its normalised form."""
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


def survey_lookup(session: Session) -> Lookup:
    """Return ``lookup(survey_id, version)`` over every survey version the server has seen."""
    return registry_for(session).find


@dataclass(frozen=True, slots=True)
class Item:
    """A stored response reduced to what the aggregates need."""

    id: str
    area: str
    method: str
    day: date
    survey_id: str
    survey_version: int
    answers: Mapping[str, Any]
    replaces: str | None


def _get(row: Any, name: str) -> Any:
    return row[name] if isinstance(row, Mapping) else getattr(row, name)


_ITEM_FIELDS = ("id", "area", "method", "collected_at", "survey_id", "survey_version", "answers",
                "replaces")  # fmt: skip


def as_item(row: Any) -> Item:
    """Return an :class:`Item` from a Response, a mapping or any object with its fields."""
    # the ingest hook's rows are plain dicts, read as they are
    got = row if type(row) is dict else {n: _get(row, n) for n in _ITEM_FIELDS if _has(row, n)}
    replaces = got.get("replaces")
    return Item(
        id=str(got["id"]),
        area=got["area"],
        method=got["method"],
        day=day_of(got["collected_at"]),
        survey_id=got["survey_id"],
        survey_version=int(got["survey_version"]),
        answers=got["answers"] or {},
        replaces=str(replaces) if replaces else None,
    )


def _has(row: Any, name: str) -> bool:
    return name in row if isinstance(row, Mapping) else hasattr(row, name)


class Deltas:
    """Signed changes to the three aggregate tables, applied as upserts in key order."""

    def __init__(self) -> None:
        self.mentions: dict[tuple[str, date, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
        self.respondents: dict[tuple[str, date, str], int] = defaultdict(int)
        self.equality: dict[tuple[str, date, str, str, str], int] = defaultdict(int)

    def add(self, it: Item, mentions: Mapping[str, int | None], facts: Facts, sign: int) -> None:
        """Add (``sign`` 1) or take away (-1) one response's contribution."""
        self.respondents[(it.area, it.day, it.method)] += sign
        for code, sev in mentions.items():
            cell = self.mentions[(it.area, it.day, code, it.method)]
            cell[0] += sign
            if sev is not None:
                cell[1] += sign * sev
                cell[2] += sign
        for question, value in facts.equality:
            self.equality[(it.area, it.day, it.method, question, value[:100])] += sign

    def apply(self, session: Session, first: Sequence[Write] = ()) -> None:
        """Write the changes, after the ``first`` writes, in one statement on PostgreSQL.

        Sorted keys keep concurrent writers from deadlocking.
        """
        m = [
            {
                "area": k[0],
                "day": k[1],
                "category": k[2],
                "method": k[3],
                "mentions": v[0],
                "severity_sum": v[1],
                "severity_count": v[2],
            }
            for k, v in sorted(self.mentions.items())
            if any(v)
        ]
        r = [
            {"area": k[0], "day": k[1], "method": k[2], "respondents": v}
            for k, v in sorted(self.respondents.items())
            if v
        ]
        # month rollups: a long period reads whole months here and only its edge days above
        mm: dict[tuple[str, date, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
        for (area, day, code, method), v in self.mentions.items():
            cell = mm[(area, day.replace(day=1), code, method)]
            for i in range(3):
                cell[i] += v[i]
        rm: dict[tuple[str, date, str], int] = defaultdict(int)
        for (area, day, method), v in self.respondents.items():
            rm[(area, day.replace(day=1), method)] += v
        mrows = [
            {
                "area": k[0],
                "month": k[1],
                "category": k[2],
                "method": k[3],
                "mentions": v[0],
                "severity_sum": v[1],
                "severity_count": v[2],
            }
            for k, v in sorted(mm.items())
            if any(v)
        ]
        rrows = [
            {"area": k[0], "month": k[1], "method": k[2], "respondents": v}
            for k, v in sorted(rm.items())
            if v
        ]
        e = [
            {
                "area": k[0],
                "day": k[1],
                "method": k[2],
                "question": k[3],
                "value": k[4],
                "respondents": v,
            }
            for k, v in sorted(self.equality.items())
            if v
        ]
        # every row built first, then one statement: the rows stay locked from the first
        # upsert until the commit, so no Python (nor any wait for the GIL) runs in between
        write_tables(
            session,
            [
                *first,
                (MentionDay.__table__, m, MENTION_COUNTERS),
                (RespondentDay.__table__, r, ("respondents",)),
                (MentionMonth.__table__, mrows, MENTION_COUNTERS),
                (RespondentMonth.__table__, rrows, ("respondents",)),
                (EqualityDay.__table__, e, ("respondents",)),
            ],
        )
        areas = sorted({k[0] for k, v in self.respondents.items() if v < 0})
        if areas:
            # a retraction can leave zero rows behind; a rebuild would not have them
            session.execute(
                delete(MentionDay).where(MentionDay.area.in_(areas), MentionDay.mentions == 0)
            )
            session.execute(
                delete(RespondentDay).where(
                    RespondentDay.area.in_(areas), RespondentDay.respondents == 0
                )
            )
            session.execute(
                delete(EqualityDay).where(EqualityDay.area.in_(areas), EqualityDay.respondents == 0)
            )
            session.execute(
                delete(MentionMonth).where(MentionMonth.area.in_(areas), MentionMonth.mentions == 0)
            )
            session.execute(
                delete(RespondentMonth).where(
                    RespondentMonth.area.in_(areas), RespondentMonth.respondents == 0
                )
            )


def _rules(session: Session, hashes: Iterable[str]) -> dict[tuple[str, str], str | None]:
    """Return ``(area, norm_hash) → category`` for the decisions the areas' groups made.

    A decision is its group's (``TriageRule.group_id``): identical text in another group's area
    waits for that group's own decision.
    """
    hashes = sorted(set(hashes))
    found: dict[int, dict[str, str | None]] = defaultdict(dict)
    for i in range(0, len(hashes), 500):
        q = select(TriageRule.group_id, TriageRule.norm_hash, TriageRule.category).where(
            among(session, TriageRule.norm_hash, hashes[i : i + 500])
        )
        for group, h, category in session.execute(q):
            found[group][h] = category
    if not found:
        return {}
    areas = session.execute(select(Area.code, Area.group_id).where(Area.group_id.in_(found)))
    return {(code, h): c for code, group in areas for h, c in found[group].items()}


def corrected(
    session: Session, targets: Sequence[str] | None = None, *, not_by: Sequence[str] = ()
) -> Select[tuple[str | None]]:
    """Select the ids (among ``targets``) that a stored correction, not one of ``not_by``, replaces.

    A correction from a group's device replaces only a response in that group's areas: ingest
    refuses one naming a stored response of another group, and this holds for the response
    that arrives after the correction naming it. A device with no group (or a bundle from a
    device this server never enrolled) corrects any response.
    """
    fix, old = aliased(Response), aliased(Response)
    q = (
        select(fix.replaces)
        .join(old, old.id == fix.replaces)
        .outerjoin(Device, Device.id == fix.device_id)
        .outerjoin(Area, Area.code == old.area)
        .where(
            fix.replaces != fix.id, or_(Device.group_id.is_(None), Device.group_id == Area.group_id)
        )
    )
    if targets is not None:
        q = q.where(among(session, fix.replaces, targets))
    if not_by:
        q = q.where(among(session, fix.id, not_by, negate=True))
    return q


def _replaced_ids(session: Session, ids: Sequence[str]) -> set[str]:
    """Return which of ``ids`` some stored correction replaces."""
    out: set[str] = set()
    for i in range(0, len(ids), 500):
        out.update(r for r in session.scalars(corrected(session, ids[i : i + 500])) if r)
    return out


def _mentions_of(facts: Facts, texts: Iterable[tuple[str | None, int | None]]) -> dict:
    """Return category → severity: choices first, then categories mapped from free text."""
    mentions: dict[str, int | None] = dict(facts.mentions)
    for category, severity in texts:
        if category is not None and category not in mentions:
            mentions[category] = severity
    return mentions


def apply_responses(session: Session, rows: Iterable[Any], lookup: Lookup | None = None) -> int:
    """Add newly stored responses to the aggregates and the triage queue; return how many count.

    Call it once per response, after the responses are in the session (flushed), in the same
    transaction. Corrections take the response they replace out of the aggregates.
    """
    items = [as_item(r) for r in rows]
    if not items:
        return 0
    lookup = lookup or survey_lookup(session)
    ids = [it.id for it in items]
    replaced_now = _replaced_ids(session, ids)
    named = sorted({it.replaces for it in items if it.replaces and it.replaces != it.id})
    if named:
        batch = set(ids)
        # the targets this batch's corrections replace (within their remit) ...
        targets = set(session.scalars(corrected(session, named)))
        # ... but those some earlier correction had replaced already stopped counting
        already = set(session.scalars(corrected(session, named, not_by=sorted(batch))))
        retract(session, sorted(t for t in targets if t and t not in already | batch), lookup)
    counted = [it for it in items if it.id not in replaced_now]
    _contribute(session, counted, lookup, new=True)
    return len(counted)


def _contribute(
    session: Session, items: list[Item], lookup: Lookup, *, new: bool, into: Deltas | None = None
) -> None:
    """Add items' contributions; with ``new``, create their triage items first.

    With ``into``, the aggregate changes are collected there for the caller to apply.
    """
    if not items:
        return
    facts = {}
    for it in items:
        survey = lookup(it.survey_id, it.survey_version)
        facts[it.id] = response_facts(survey, it.answers) if survey else Facts({})
    texts: dict[str, list[tuple[str | None, int | None]]] = defaultdict(list)
    writes: list[Write] = []
    if new:
        hashes = {it.id: [norm_hash(t.text) for t in facts[it.id].texts] for it in items}
        rules = _rules(session, (h for hs in hashes.values() for h in hs))
        triage = []
        for it in items:
            for t, h in zip(facts[it.id].texts, hashes[it.id], strict=True):
                status = "pending" if (it.area, h) not in rules else "dismissed"
                category = rules.get((it.area, h))
                if category is not None:
                    status = "mapped"
                    texts[it.id].append((category, t.severity))
                triage.append(
                    {
                        "response_id": it.id,
                        "question": t.question,
                        "area": it.area,
                        "day": it.day,
                        "method": it.method,
                        "text": t.text,
                        "norm_hash": h,
                        "severity": t.severity,
                        "status": status,
                        "category": category,
                    }
                )
        writes.append((TriageItem.__table__, triage, ()))
    else:
        q = select(TriageItem.response_id, TriageItem.category, TriageItem.severity).where(
            TriageItem.response_id.in_([it.id for it in items]), TriageItem.status == "mapped"
        )
        for rid, category, severity in session.execute(q):
            texts[rid].append((category, severity))
    deltas = into if into is not None else Deltas()
    mention_rows = []
    for it in items:
        f = facts[it.id]
        mentions = _mentions_of(f, texts.get(it.id, ()))
        deltas.add(it, mentions, f, 1)
        for code, sev in mentions.items():
            source = "choice" if code in f.mentions else "text"
            mention_rows.append(
                {
                    "response_id": it.id,
                    "category": code,
                    "area": it.area,
                    "day": it.day,
                    "method": it.method,
                    "severity": sev,
                    "source": source,
                }
            )
    writes.append((ResponseMention.__table__, mention_rows, ()))
    if into is None:
        deltas.apply(session, writes)  # one round trip for everything this batch adds
    else:
        write_tables(session, writes)


def _load_items(session: Session, ids: Sequence[str]) -> list[Item]:
    out = []
    for i in range(0, len(ids), 500):
        q = select(Response).where(Response.id.in_(ids[i : i + 500]))
        out += [as_item(r) for r in session.scalars(q)]
    return out


def retract(session: Session, ids: Sequence[str], lookup: Lookup, *, drop_triage: bool = True):
    """Take stored responses out of the aggregates (a correction replaced them)."""
    items = _load_items(session, list(ids))
    if not items:
        return
    got = [it.id for it in items]
    mentions: dict[str, dict[str, int | None]] = defaultdict(dict)
    q = select(ResponseMention.response_id, ResponseMention.category, ResponseMention.severity)
    for rid, code, sev in session.execute(q.where(ResponseMention.response_id.in_(got))):
        mentions[rid][code] = sev
    deltas = Deltas()
    for it in items:
        survey = lookup(it.survey_id, it.survey_version)
        facts = response_facts(survey, it.answers) if survey else Facts({})
        deltas.add(it, mentions.get(it.id, {}), facts, -1)
    deltas.apply(session)
    session.execute(delete(ResponseMention).where(ResponseMention.response_id.in_(got)))
    if drop_triage:
        session.execute(delete(TriageItem).where(TriageItem.response_id.in_(got)))


def refresh(session: Session, ids: Sequence[str], lookup: Lookup | None = None) -> None:
    """Recount responses whose triage decisions changed (their text mentions may differ)."""
    lookup = lookup or survey_lookup(session)
    ids = sorted(set(ids))
    retract(session, ids, lookup, drop_triage=False)
    _contribute(session, _load_items(session, ids), lookup, new=False)


def clear(session: Session) -> None:
    """Delete every derived row (aggregates, mentions, triage items); rules stay."""
    for model in (
        MentionDay,
        RespondentDay,
        MentionMonth,
        RespondentMonth,
        EqualityDay,
        ResponseMention,
        TriageItem,
    ):
        session.execute(delete(model))


def rebuild(session: Session, batch: int = 5000, progress: Callable[[int], Any] | None = None):
    """Recompute every aggregate and the triage queue from the stored responses; return counted."""
    lookup = survey_lookup(session)
    clear(session)
    replaced = corrected(session)
    q = (
        select(
            Response.id,
            Response.area,
            Response.method,
            Response.collected_at,
            Response.survey_id,
            Response.survey_version,
            Response.answers,
        )
        .where(Response.id.not_in(replaced))
        # area order keeps each area's day rows together, so few upserts hit the same key twice
        .order_by(Response.area, Response.id)
        .execution_options(yield_per=batch)
    )
    total = 0
    chunk: list[Item] = []
    deltas = Deltas()
    for row in session.execute(q):
        chunk.append(as_item(row._mapping))
        if len(chunk) >= batch:
            _contribute(session, chunk, lookup, new=True, into=deltas)
            total += len(chunk)
            if progress:
                progress(len(chunk))
            chunk = []
            if len(deltas.mentions) > REBUILD_FLUSH:
                deltas.apply(session)
                deltas = Deltas()
    _contribute(session, chunk, lookup, new=True, into=deltas)
    deltas.apply(session)
    total += len(chunk)
    if progress and chunk:
        progress(len(chunk))
    return total
