"""Set residents' concerns beside recorded crime, category by category and month by month.

Residents' categories meet police.uk's through the taxonomy's groups: a crime category is its own
police.uk category; the anti-social behaviour types (noise, street drinking…) are recorded by
the police as ``anti-social-behaviour``; the environmental categories (speeding, parking,
litter…) have no recorded-crime counterpart and are shown as such. No Flask.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.crime.police_csv import CRIME_TYPES
from server.models import Area
from server.models.crime import CrimeCount, CrimeImport
from server.models.merge import MentionMonth
from survey_schemas import Taxonomy, default_taxonomy

WINDOW_MONTHS = 12
TREND_MONTHS = 3  # a trend compares the last three months with the three before
TREND_CHANGE = 0.25  # and needs a quarter more (or less) …
TREND_MIN = 3  # … and at least three more (or fewer) to count as a change
ENOUGH = 10  # fewer mentions or crimes than this are too few to compare shares
RECORDED = frozenset(CRIME_TYPES.values())
ASB = "anti-social-behaviour"


def recorded_as(category: str, taxonomy: Taxonomy) -> str | None:
    """Return the police.uk category a residents' category is recorded under, or None."""
    if category in RECORDED:
        return category
    cat = taxonomy.categories.get(category)
    if cat is not None and cat.group == "asb":
        return ASB
    return None


def month_label(month: str) -> str:
    """Return ``YYYY-MM`` in words: ``August 2026``."""
    return date(int(month[:4]), int(month[5:7]), 1).strftime("%B %Y")


def month_of(day: date) -> str:
    """Return ``YYYY-MM`` of a day."""
    return f"{day.year:04d}-{day.month:02d}"


def months_to(last: str, count: int = WINDOW_MONTHS) -> list[str]:
    """Return ``count`` months ending with ``last`` (``YYYY-MM``), oldest first."""
    year, month = int(last[:4]), int(last[5:7])
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


NOT_KNOWN = "not known"  # a recorded trend across a month no file was imported for


def trend(by_month: dict[str, int], months: list[str], known: set[str] | None = None) -> str:
    """Return ``up``, ``down`` or ``steady``: the last three months against the three before.

    ``known``: the months that have figures; when one of the six is missing the trend is
    :data:`NOT_KNOWN` (a month never imported is not a month of no crime).
    """
    if known is not None and not set(months[-2 * TREND_MONTHS :]) <= known:
        return NOT_KNOWN
    recent = sum(by_month.get(m, 0) for m in months[-TREND_MONTHS:])
    before = sum(by_month.get(m, 0) for m in months[-2 * TREND_MONTHS : -TREND_MONTHS])
    change = recent - before
    if abs(change) < TREND_MIN or abs(change) < TREND_CHANGE * max(before, 1):
        return "steady"
    return "up" if change > 0 else "down"


@dataclass(frozen=True)
class Side:
    """One police.uk category: what residents raised and what was recorded, by month."""

    category: str
    label: str
    residents: int
    recorded: int
    residents_share: float
    recorded_share: float
    residents_by_month: dict[str, int]
    recorded_by_month: dict[str, int]
    residents_trend: str
    recorded_trend: str


@dataclass(frozen=True)
class Unrecorded:
    """A residents' category that recorded crime does not count (speeding, litter…)."""

    category: str
    label: str
    residents: int


@dataclass(frozen=True)
class AreaComparison:
    """An area's concerns beside its recorded crime over whole months."""

    area: str
    area_name: str
    months: list[str]
    imported: bool  # any recorded crime imported for these months
    sides: list[Side]
    unrecorded: list[Unrecorded]
    findings: list[str]

    @property
    def since(self) -> str:
        """Return the first month."""
        return self.months[0]

    @property
    def until(self) -> str:
        """Return the last month."""
        return self.months[-1]

    @property
    def period_label(self) -> str:
        """Return the months covered in words: ``December 2025 to November 2026``."""
        return f"{month_label(self.since)} to {month_label(self.until)}"

    @property
    def top_share(self) -> float:
        """Return the largest share shown (what the longest bar of a chart stands for)."""
        return max([0.0, *(max(s.residents_share, s.recorded_share) for s in self.sides)])


def latest_month(session: Session) -> str | None:
    """Return the latest month any recorded crime was imported for."""
    return session.scalar(select(func.max(CrimeImport.month)))


def compare(
    session: Session,
    area: Area,
    months: list[str],
    taxonomy: Taxonomy | None = None,
    lang: str = "en",
) -> AreaComparison:
    """Return residents' mentions beside recorded crime in ``area`` over ``months``."""
    taxonomy = taxonomy or default_taxonomy()
    first = date(int(months[0][:4]), int(months[0][5:7]), 1)
    last = date(int(months[-1][:4]), int(months[-1][5:7]), 1)
    residents: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    unrecorded: dict[str, int] = defaultdict(int)
    q = (
        select(MentionMonth.category, MentionMonth.month, func.sum(MentionMonth.mentions))
        .where(MentionMonth.area == area.code, MentionMonth.month.between(first, last))
        .group_by(MentionMonth.category, MentionMonth.month)
    )
    for category, month, n in session.execute(q):
        target = recorded_as(category, taxonomy)
        if target is None:
            unrecorded[category] += int(n)
        else:
            residents[target][month_of(month)] += int(n)
    recorded: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    q2 = (
        select(CrimeCount.category, CrimeCount.month, func.sum(CrimeCount.count))
        .where(CrimeCount.area == area.code, CrimeCount.month.between(months[0], months[-1]))
        .group_by(CrimeCount.category, CrimeCount.month)
    )
    for category, month, n in session.execute(q2):
        recorded[category][month] += int(n)
    imported_months = set(
        session.scalars(
            select(CrimeImport.month)
            .where(CrimeImport.month.between(months[0], months[-1]))
            .distinct()
        )
    )
    imported = bool(imported_months)

    def label(code: str) -> str:
        cat = taxonomy.categories.get(code)
        return cat.label_in(lang) if cat else code

    total_res = sum(sum(m.values()) for m in residents.values())
    total_rec = sum(sum(m.values()) for m in recorded.values())
    sides = []
    for code in sorted(set(residents) | set(recorded)):
        res, rec = dict(residents.get(code, {})), dict(recorded.get(code, {}))
        r_n, c_n = sum(res.values()), sum(rec.values())
        sides.append(
            Side(
                category=code,
                label=label(code),
                residents=r_n,
                recorded=c_n,
                residents_share=round(r_n / total_res, 4) if total_res else 0.0,
                recorded_share=round(c_n / total_rec, 4) if total_rec else 0.0,
                residents_by_month={m: res.get(m, 0) for m in months},
                recorded_by_month={m: rec.get(m, 0) for m in months},
                residents_trend=trend(res, months),
                recorded_trend=trend(rec, months, imported_months),
            )
        )
    sides.sort(key=lambda s: (-(s.residents + s.recorded), s.category))
    gone = [Unrecorded(c, label(c), n) for c, n in unrecorded.items()]
    gone.sort(key=lambda u: (-u.residents, u.category))
    return AreaComparison(
        area=area.code,
        area_name=area.name,
        months=months,
        imported=imported,
        sides=sides,
        unrecorded=gone,
        findings=findings(sides, total_res, total_rec, imported),
    )


def _pct(share: float) -> str:
    return f"{round(share * 100)}%"


def findings(sides: list[Side], residents: int, recorded: int, imported: bool) -> list[str]:
    """Say in words where residents' concerns and recorded crime disagree most."""
    if not imported:
        return ["No recorded crime has been imported for these months."]
    if residents < ENOUGH or recorded < ENOUGH:
        return [
            f"Too few to compare: {residents} residents' mentions and {recorded} recorded "
            f"crimes (at least {ENOUGH} of each are needed)."
        ]
    out = []
    gaps = sorted(sides, key=lambda s: (s.recorded_share - s.residents_share, s.category))
    over = gaps[0]
    if over.residents_share - over.recorded_share >= 0.05:
        out.append(
            f"{over.label}: {_pct(over.residents_share)} of residents' concerns but "
            f"{_pct(over.recorded_share)} of recorded crime. Residents raise it far more than "
            "it is recorded: it may be under-reported."
        )
    under = gaps[-1]
    if under.recorded_share - under.residents_share >= 0.05:
        out.append(
            f"{under.label}: {_pct(under.recorded_share)} of recorded crime but "
            f"{_pct(under.residents_share)} of residents' concerns. Recorded often, rarely "
            "raised: residents may not see it, or not see it as a problem."
        )
    for s in sides:
        if {s.residents_trend, s.recorded_trend} == {"up", "down"}:
            out.append(
                f"{s.label}: residents' mentions are going {s.residents_trend} while recorded "
                f"crime is going {s.recorded_trend}."
            )
    return out or [
        "Residents' concerns and recorded crime are in step: no share differs by 5 points or more."
    ]
