"""Set up a deployment: groups and areas from CSV or the demo set, and the bundled surveys."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.demo import demo_areas
from server.catalogue.surveys import add_bundled_surveys
from server.crime.records import lsoas_of, parse_lsoas, set_lsoas
from server.exceptions import InvalidInput
from server.feed import record_change
from server.models import Area, Group

REQUIRED_COLUMNS = ("code", "name", "group")


def read_areas_csv(path: str | Path) -> list[dict[str, Any]]:
    """Read ``code,name,group[,group_name,households,streets,lsoa]`` rows.

    ``streets`` are split on ``;``; ``lsoa`` holds the area's LSOA codes split on spaces.
    """
    problems: list[str] = []
    rows: list[dict[str, Any]] = []
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InvalidInput(f"{path}: missing column(s) {', '.join(missing)}")
        for line, raw in enumerate(reader, start=2):
            row: dict[str, Any] = {k: (raw.get(k) or "").strip() for k in REQUIRED_COLUMNS}
            if not all(row.values()):
                problems.append(f"{path}:{line}: code, name and group are all needed")
                continue
            if raw.get("group_name"):
                row["group_name"] = raw["group_name"].strip()
            households = (raw.get("households") or "").strip()
            if households:
                if not households.isdigit():
                    problems.append(f"{path}:{line}: households must be a whole number")
                    continue
                row["households"] = int(households)
            streets = (raw.get("streets") or "").strip()
            row["streets"] = [s.strip() for s in streets.split(";") if s.strip()]
            if "lsoa" in (reader.fieldnames or []):
                try:
                    row["lsoa"] = parse_lsoas(raw.get("lsoa") or "")
                except InvalidInput as error:
                    problems.append(f"{path}:{line}: {error.message}")
                    continue
            rows.append(row)
    if problems:
        raise InvalidInput("the areas file has problems", details={"problems": problems})
    return rows


def upsert_areas(session: Session, rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Create or update groups and areas; log each changed area for pull. Return counts."""
    counts = {"groups": 0, "areas_added": 0, "areas_updated": 0}
    groups = {g.code: g for g in session.scalars(select(Group))}
    for row in rows:
        group = groups.get(row["group"])
        if group is None:
            group = Group(code=row["group"], name=row.get("group_name") or row["group"])
            session.add(group)
            groups[group.code] = group
            counts["groups"] += 1
        area = session.scalar(select(Area).where(Area.code == row["code"]))
        wanted = {
            "name": row["name"],
            "group": group,
            "households": row.get("households"),
            "streets": list(row.get("streets") or []),
        }
        new_lsoas = "lsoa" in row and (
            area is None or lsoas_of(session, [area])[area.code] != row["lsoa"]
        )
        if area is None:
            area = Area(code=row["code"], **wanted)
            session.add(area)
            counts["areas_added"] += 1
        elif any(getattr(area, k) != v for k, v in wanted.items()) or new_lsoas:
            for k, v in wanted.items():
                setattr(area, k, v)
            counts["areas_updated"] += 1
        else:
            continue
        session.flush()
        if new_lsoas:
            set_lsoas(session, area, row["lsoa"])
        record_change(session, "area", row["code"], area=row["code"])
    return counts


def init_deployment(
    session: Session, *, areas_csv: str | Path | None = None, demo: bool = False
) -> dict[str, Any]:
    """Load the bundled surveys and the areas; safe to run again. Return what changed."""
    rows: list[dict[str, Any]] = []
    if demo:
        rows.extend(demo_areas())
    if areas_csv:
        rows.extend(read_areas_csv(areas_csv))
    counts = upsert_areas(session, rows)
    surveys = add_bundled_surveys(session)
    return {**counts, "surveys_added": [f"{s.survey_id} v{s.version}" for s in surveys]}


def load_definition(path: str | Path) -> dict[str, Any]:
    """Read a survey definition file as JSON."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InvalidInput(f"{path}: {error}") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}: a survey definition is a JSON object")
    return data
