"""``doorstep server import-crime`` and ``map-lsoa``: recorded crime beside residents' concerns."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click

from server.cli.common import Config, domain_errors, emit, json_option, pass_config


@click.command("import-crime")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@json_option
@pass_config
def import_crime_command(config: Config, files: tuple[str, ...], as_json: bool) -> None:
    """Import data.police.uk street-level CSVs; a (force, month) imported again is replaced."""
    from server.crime.records import import_crime
    from server.db import db, utcnow

    with config.context(), domain_errors(), contextlib.ExitStack() as stack:
        streams = [
            (Path(f).name, stack.enter_context(open(f, newline="", encoding="utf-8-sig")))
            for f in files
        ]
        found = import_crime(db.session, streams, now=utcnow())
        db.session.commit()
    emit(as_json, found, lambda: _summary(found))


def _summary(found: dict) -> str:
    months = ", ".join(f"{m['force']} {m['month']}" for m in found["months"]) or "none"
    lines = [
        f"{found['rows']} rows read; {found['stored']} counted in areas; "
        f"{found['outside_areas']} in no area; months replaced: {months}"
    ]
    if found["unknown_types"]:
        names = ", ".join(f"{k!r} ({v})" for k, v in found["unknown_types"].items())
        lines.append(f"warning: unknown crime types counted as other-crime: {names}")
    if found["malformed_rows"]:
        lines.append(f"{found['malformed_rows']} malformed rows were skipped:")
        lines += [f"  {line}" for line in found["malformed"]]
    return "\n".join(lines)


@click.command("map-lsoa")
@click.argument("area")
@click.argument("codes", nargs=-1)
@json_option
@pass_config
def map_lsoa_command(config: Config, area: str, codes: tuple[str, ...], as_json: bool) -> None:
    """Set the LSOA codes an area covers (none clears them); an LSOA is in one area only."""
    from server.crime.records import area_by_code, set_lsoas
    from server.db import db

    with config.context(), domain_errors():
        row = area_by_code(db.session, area)
        mapped = set_lsoas(db.session, row, codes)
        db.session.commit()
    emit(
        as_json,
        {"area": area, "lsoa": mapped},
        f"{area}: {' '.join(mapped) if mapped else 'no LSOAs'}",
    )


def register(group: click.Group) -> None:
    """Add the recorded-crime commands to ``doorstep server``."""
    group.add_command(import_crime_command)
    group.add_command(map_lsoa_command)
