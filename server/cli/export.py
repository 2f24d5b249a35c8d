"""``doorstep server export``: every response of a group or an area as CSV, XLSX or JSON."""

from __future__ import annotations

import sys
from datetime import date

import click

from server.cli.common import Config, domain_errors, emit, pass_config


def _day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=name) from None


@click.command("export")
@click.option("--group", help="Group (CSG) code: every area of the group.")
@click.option("--area", help="One area's code.")
@click.option("--since", help="First collection day (YYYY-MM-DD).")
@click.option("--until", help="Last collection day (YYYY-MM-DD), included.")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "xlsx", "json"]), default="csv", show_default=True
)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), help="Write to a file.")
@click.option("--json", "as_json", is_flag=True, help="With --out: print a JSON summary.")
@pass_config
def export_command(
    config: Config,
    group: str | None,
    area: str | None,
    since: str | None,
    until: str | None,
    fmt: str,
    out: str | None,
    as_json: bool,
) -> None:
    """Stream every response of a group or an area: one column per question, no personal data."""
    from server.accounts.users import get_group
    from server.crime.records import area_by_code
    from server.db import db
    from server.exports.responses import plan_export, write_csv, write_json, write_xlsx

    if (group is None) == (area is None):
        raise click.UsageError("Give either --group or --area.")
    first, last = _day(since, "--since"), _day(until, "--until")
    if first and last and first > last:
        raise click.UsageError("--since is after --until.")
    if fmt == "xlsx" and out is None and sys.stdout.isatty():
        raise click.UsageError("An XLSX workbook is binary: give --out FILE.")
    with config.context(), domain_errors():
        if group:
            codes = [a.code for a in get_group(db.session, group).areas]
        else:
            codes = [area_by_code(db.session, area or "").code]
        export = plan_export(db.session, codes, first, last)
        rows = 0
        if fmt == "xlsx":
            if out:
                with open(out, "wb") as fh:
                    rows = write_xlsx(db.session, export, fh)
            else:
                rows = write_xlsx(db.session, export, sys.stdout.buffer)
        else:
            chunks = (write_csv if fmt == "csv" else write_json)(db.session, export)
            stream = open(out, "w", encoding="utf-8", newline="") if out else None
            try:
                for chunk in chunks:
                    if stream:
                        stream.write(chunk)
                    else:
                        click.echo(chunk, nl=False)
            finally:
                if stream:
                    stream.close()
    if out:
        summary = {"out": out, "format": fmt, "columns": len(export.header)}
        if fmt == "xlsx":
            summary["responses"] = rows
        emit(as_json, summary, f"wrote {out}")


def register(group: click.Group) -> None:
    """Add ``export`` to ``doorstep server``."""
    group.add_command(export_command)
