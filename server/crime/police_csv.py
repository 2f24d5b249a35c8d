"""Read data.police.uk street-level CSVs into counts by force, month, area and category.

The files (one per force and month, or a force's year in one archive) carry one row per crime or
anti-social behaviour incident, located at an anonymised snap point with the LSOA it falls in.
Only the counts are kept: a row is counted under the area whose LSOA it names, in the police.uk
category slug of its crime type. Pure logic on a text stream, one row at a time (bounded memory
whatever the file's length); no database.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TextIO

#: The exact header of a street-level CSV (data.police.uk "street" files).
HEADER = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)
# A file is one reporting force's ("Reported by"): British Transport Police report crimes that
# fall within territorial forces, so "Falls within" cannot say whose file it is.
MONTH, FORCE, LSOA, CRIME_TYPE = 1, 2, 7, 9

#: police.uk crime types and their category slugs (the taxonomy's codes for recorded crime).
CRIME_TYPES: Mapping[str, str] = {
    "Anti-social behaviour": "anti-social-behaviour",
    "Bicycle theft": "bicycle-theft",
    "Burglary": "burglary",
    "Criminal damage and arson": "criminal-damage-arson",
    "Drugs": "drugs",
    "Other theft": "other-theft",
    "Possession of weapons": "possession-of-weapons",
    "Public order": "public-order",
    "Robbery": "robbery",
    "Shoplifting": "shoplifting",
    "Theft from the person": "theft-from-the-person",
    "Vehicle crime": "vehicle-crime",
    "Violence and sexual offences": "violent-crime",
    "Other crime": "other-crime",
}
UNKNOWN_TYPE = "other-crime"
MONTH_FORMAT = re.compile(r"\d{4}-(0[1-9]|1[0-2])\Z")
#: Malformed rows are all counted; the first ones are named by line.
MALFORMED_SHOWN = 50
MAX_FIELD = 10_000  # a street-level field is short; a longer one is a broken file


class NotStreetLevel(ValueError):
    """The file is not a data.police.uk street-level CSV (its header differs), or is broken."""


@dataclass
class CrimeCounts:
    """What reading one or more files found."""

    rows: int = 0
    counts: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)
    outside_areas: int = 0
    unknown_types: Counter[str] = field(default_factory=Counter)
    malformed: int = 0
    malformed_lines: list[str] = field(default_factory=list)
    months: set[tuple[str, str]] = field(default_factory=set)
    month_rows: Counter[tuple[str, str]] = field(default_factory=Counter)
    counted_malformed: int = 0  # malformed rows already in ``rows``

    def stored(self) -> int:
        """Return how many rows were counted under an area."""
        return sum(self.counts.values())

    def bad_row(self, where: str) -> None:
        """Count a malformed row, naming the first ones."""
        self.malformed += 1
        if len(self.malformed_lines) < MALFORMED_SHOWN:
            self.malformed_lines.append(where)


def check_header(header: list[str] | None, name: str) -> None:
    """Refuse a header that is not exactly the street-level one, naming the first difference."""
    got = [h.strip() for h in header or []]
    if got and got[0].startswith("\ufeff"):
        got[0] = got[0][1:]
    for i, expected in enumerate(HEADER):
        if i >= len(got):
            raise NotStreetLevel(f"{name}: column {i + 1} should be {expected!r} but is missing")
        if got[i] != expected:
            raise NotStreetLevel(
                f"{name}: column {i + 1} should be {expected!r} but is {got[i]!r}; "
                "this is not a data.police.uk street-level file"
            )
    if len(got) > len(HEADER):
        raise NotStreetLevel(f"{name}: unexpected column {len(HEADER) + 1} {got[len(HEADER)]!r}")


def count_file(
    stream: TextIO, name: str, areas_by_lsoa: Mapping[str, str], into: CrimeCounts
) -> None:
    """Count one street-level CSV into ``into``: by (force, month, area, category).

    Rows are first counted by their raw (force, month, area, crime type) — a tuple and a dict
    lookup per row; each distinct key (a few hundred: bounded by the areas, not the rows) is
    then checked and placed once.
    """
    csv.field_size_limit(MAX_FIELD)
    reader = csv.reader(stream)
    area_of = areas_by_lsoa.get
    raw: Counter[tuple[str, str, str | None, str]] = Counter()
    good_months: set[str] = set()
    width = len(HEADER)
    try:
        check_header(next(reader, None), name)
        for row in reader:
            if len(row) != width or row[MONTH] not in good_months:
                if not _well_formed(row, reader.line_num, name, into):
                    continue
                good_months.add(row[MONTH])
            elif not row[FORCE] or not row[CRIME_TYPE]:
                _well_formed(row, reader.line_num, name, into)
                continue
            raw[(row[FORCE], row[MONTH], area_of(row[LSOA]), row[CRIME_TYPE])] += 1
    except csv.Error as error:  # an unterminated quote, an over-long field: not a whole file
        raise NotStreetLevel(f"{name}:{reader.line_num}: the file is broken ({error})") from None
    into.rows += sum(raw.values()) + into.malformed - into.counted_malformed
    into.counted_malformed = into.malformed
    for (force, month, area, crime_type), n in raw.items():
        force, crime_type = force.strip(), crime_type.strip()
        if force and crime_type:
            _place(force, month, area, crime_type, n, into)
        else:  # blank but not empty: rare enough to name without line numbers
            into.malformed += n
            into.counted_malformed += n
            into.malformed_lines.append(f"{name}: {n} rows with a blank force or crime type")


def _well_formed(row: list[str], line: int, name: str, into: CrimeCounts) -> bool:
    """Say whether a row can be counted; count and name it as malformed if not."""
    if len(row) != len(HEADER):
        into.bad_row(f"{name}:{line}: {len(row)} columns, not {len(HEADER)}")
        return False
    if not MONTH_FORMAT.match(row[MONTH]):
        into.bad_row(f"{name}:{line}: month {row[MONTH][:20]!r} is not YYYY-MM")
        return False
    if not row[FORCE].strip() or not row[CRIME_TYPE].strip():
        what = "force (Reported by)" if not row[FORCE].strip() else "crime type"
        into.bad_row(f"{name}:{line}: no {what}")
        return False
    return True


def _place(
    force: str, month: str, area: str | None, crime_type: str, n: int, into: CrimeCounts
) -> None:
    into.months.add((force, month))
    into.month_rows[(force, month)] += n
    category = CRIME_TYPES.get(crime_type)
    if category is None:
        into.unknown_types[crime_type[:100]] += n
        category = UNKNOWN_TYPE
    if area is None:
        into.outside_areas += n
        return
    into.counts[(force, month, area, category)] += n


def count_files(
    files: Iterable[tuple[str, TextIO]], areas_by_lsoa: Mapping[str, str]
) -> CrimeCounts:
    """Count every ``(name, stream)``; a wrong header stops all with :class:`NotStreetLevel`."""
    counts = CrimeCounts()
    for name, stream in files:
        count_file(stream, name, areas_by_lsoa, counts)
    return counts
