"""Areas' LSOAs and imported recorded-crime counts (no Flask).

An import replaces each (force, month) it holds whole, so importing a file again, or a corrected
file for the same force and month, never counts anything twice.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import Session

from server.crime.police_csv import CrimeCounts, NotStreetLevel, count_files
from server.exceptions import InvalidInput, NotFound
from server.models import Area
from server.models.crime import AreaLsoa, CrimeCount, CrimeImport

# England (E01) and Wales (W01) LSOA codes: a letter, "01" and six digits.
LSOA_CODE = re.compile(r"[EW]01\d{6}\Z")
MAX_LSOAS = 500  # per area: a ward has a handful, a large town a few hundred
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])\Z")


def parse_lsoas(text: str | Iterable[str]) -> list[str]:
    """Return the LSOA codes of ``text`` (space separated) or a list; refuse bad ones."""
    codes = text.split() if isinstance(text, str) else [c.strip() for c in text]
    codes = [c.upper() for c in codes if c]
    bad = [c for c in codes if not LSOA_CODE.match(c)]
    if bad:
        raise InvalidInput(
            f"{bad[0]!r} is not an LSOA code (like E01026123)", details={"lsoa": bad[:20]}
        )
    if len(codes) > MAX_LSOAS:
        raise InvalidInput(f"an area can have at most {MAX_LSOAS} LSOAs")
    return sorted(set(codes))


def set_lsoas(session: Session, area: Area, codes: Sequence[str]) -> list[str]:
    """Make ``codes`` the LSOAs of ``area``; refuse one that lies in another area."""
    codes = parse_lsoas(codes)
    if codes:
        taken = session.execute(
            select(AreaLsoa.lsoa, Area.code)
            .join(Area, Area.id == AreaLsoa.area_id)
            .where(AreaLsoa.lsoa.in_(codes), AreaLsoa.area_id != area.id)
        ).first()
        if taken is not None:
            raise InvalidInput(
                f"LSOA {taken[0]} is already in area {taken[1]}: an LSOA is in one area only",
                details={"lsoa": [taken[0]]},
            )
    session.execute(delete(AreaLsoa).where(AreaLsoa.area_id == area.id))
    session.add_all(AreaLsoa(lsoa=code, area_id=area.id) for code in codes)
    session.flush()
    return codes


def lsoas_of(session: Session, areas: Iterable[Area]) -> dict[str, list[str]]:
    """Return each area's LSOA codes by area code."""
    by_id = {a.id: a.code for a in areas}
    out: dict[str, list[str]] = {code: [] for code in by_id.values()}
    q = select(AreaLsoa.area_id, AreaLsoa.lsoa).where(AreaLsoa.area_id.in_(by_id))
    for area_id, lsoa in session.execute(q.order_by(AreaLsoa.lsoa)):
        out[by_id[area_id]].append(lsoa)
    return out


def areas_by_lsoa(session: Session) -> dict[str, str]:
    """Return the area code of every mapped LSOA."""
    q = select(AreaLsoa.lsoa, Area.code).join(Area, Area.id == AreaLsoa.area_id)
    return {lsoa: area for lsoa, area in session.execute(q)}


def import_crime(
    session: Session, files: Sequence[tuple[str, TextIO]], *, now: datetime
) -> dict[str, Any]:
    """Count street-level CSVs and store the counts, replacing each (force, month) whole.

    Nothing is stored when a file is not a street-level CSV (:class:`InvalidInput` naming the
    first column that differs). Return the report of the contract's ``--json``.
    """
    try:
        counts = count_files(files, areas_by_lsoa(session))
    except NotStreetLevel as error:
        raise InvalidInput(str(error)) from None
    _replace(session, counts, source=", ".join(name for name, _ in files), now=now)
    return report(counts)


def _replace(session: Session, counts: CrimeCounts, *, source: str, now: datetime) -> None:
    months = sorted(counts.months)
    for chunk in (months[i : i + 500] for i in range(0, len(months), 500)):
        pairs = tuple_(CrimeCount.force, CrimeCount.month).in_(chunk)
        session.execute(delete(CrimeCount).where(pairs))
        session.execute(
            delete(CrimeImport).where(tuple_(CrimeImport.force, CrimeImport.month).in_(chunk))
        )
    per_month: dict[tuple[str, str], int] = defaultdict(int)
    rows = []
    for (force, month, area, category), n in counts.counts.items():
        rows.append(
            {"force": force, "month": month, "area": area, "category": category, "count": n}
        )
        per_month[(force, month)] += n
    if rows:
        session.execute(CrimeCount.__table__.insert(), rows)
    if months:
        session.execute(
            CrimeImport.__table__.insert(),
            [
                {
                    "force": force,
                    "month": month,
                    "rows": counts.month_rows[(force, month)],
                    "stored": per_month[(force, month)],
                    "source": source[:300],
                    "imported_at": now,
                }
                for force, month in months
            ],
        )


def report(counts: CrimeCounts) -> dict[str, Any]:
    """Return what an import found, as the CLI's ``--json`` prints it."""
    return {
        "rows": counts.rows,
        "stored": counts.stored(),
        "outside_areas": counts.outside_areas,
        "unknown_types": dict(sorted(counts.unknown_types.items())),
        "malformed": counts.malformed_lines,
        "malformed_rows": counts.malformed,
        "months": [{"force": f, "month": m} for f, m in sorted(counts.months)],
    }


def area_crime(session: Session, area: Area, since: str, until: str) -> dict[str, Any]:
    """Return an area's recorded crime by category and month from ``since`` to ``until``."""
    for name, value in (("since", since), ("until", until)):
        if not MONTH.match(value):
            raise InvalidInput(f"{name} must be a month (YYYY-MM)", details={name: ["YYYY-MM"]})
    if since > until:
        raise InvalidInput("since is after until", details={"since": ["on or before until"]})
    q = (
        select(CrimeCount.category, CrimeCount.month, CrimeCount.count)
        .where(CrimeCount.area == area.code, CrimeCount.month >= since, CrimeCount.month <= until)
        .order_by(CrimeCount.category, CrimeCount.month)
    )
    by_category: dict[str, dict[str, int]] = defaultdict(dict)
    for category, month, n in session.execute(q):
        by_category[category][month] = by_category[category].get(month, 0) + n
    categories = [
        {"category": c, "count": sum(months.values()), "by_month": months}
        for c, months in by_category.items()
    ]
    categories.sort(key=lambda c: (-c["count"], c["category"]))
    return {"area": area.code, "since": since, "until": until, "categories": categories}


def area_by_code(session: Session, code: str) -> Area:
    """Return the area with ``code``, or :class:`NotFound`."""
    area = session.scalar(select(Area).where(Area.code == code))
    if area is None:
        raise NotFound(f"no area {code!r}")
    return area
