"""``doorstep server`` commands for coordinators: priorities, agenda, rebuild, meeting records."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import click
from sqlalchemy import func, select

from server.exceptions import DoorstepError
from survey_schemas import METHODS, default_taxonomy


@contextmanager
def _app() -> Iterator[object]:
    """Yield inside an app context built from ``DOORSTEP_*`` settings; domain errors exit 1."""
    from server import create_app

    # the server group's options (--database-url, --instance) ride on the click context
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_object(object) if ctx else None
    app = obj.app() if hasattr(obj, "app") else create_app()  # type: ignore[union-attr]
    from server.db import db

    with app.app_context():
        try:
            yield app
        except DoorstepError as error:
            raise click.ClickException(f"{error.message} {error.details or ''}".strip()) from None
        finally:
            # a command is one short process; close its connections rather than leave them to gc
            db.session.remove()
            db.engine.dispose()


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _today(app: object) -> date:
    from server.clock import now

    return now().date()


@click.command("priorities")
@click.option("--area", required=True, help="Area code.")
@click.option("--since", help="First day (YYYY-MM-DD); default 90 days before --until.")
@click.option("--until", help="Last day (YYYY-MM-DD); default today.")
@click.option("--method", type=click.Choice(METHODS), help="Only responses of this method.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "md", "csv", "json"]),
    default="table",
    show_default=True,
)
def priorities_cmd(
    area: str, since: str | None, until: str | None, method: str | None, fmt: str
) -> None:
    """Print an area's ranked issues (the same figures as the API)."""
    from server.db import db
    from server.issues.formats import format_priorities
    from server.issues.priorities import area_priorities, weights_from
    from server.models import Area
    from server.period import period_asked

    with _app() as app:
        row = db.session.scalar(select(Area).where(Area.code == area))
        if row is None:
            raise click.ClickException(f"no area {area!r}")
        period = period_asked(_day(since), _day(until), _today(app))
        doc = area_priorities(db.session, row, period, method, weights_from(app.config))  # type: ignore[attr-defined]
        click.echo(format_priorities(doc, fmt), nl=False)


@click.command("agenda")
@click.option("--group", required=True, help="Group (CSG) code.")
@click.option("--date", "on", help="Meeting day (YYYY-MM-DD); default today.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "html", "csv", "json"]),
    default="md",
    show_default=True,
)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), help="Write to a file.")
def agenda_cmd(group: str, on: str | None, fmt: str, as_json: bool, out: str | None) -> None:
    """Generate a meeting agenda in the ward-panel order (overdue priorities first)."""
    from server.db import db
    from server.issues.priorities import weights_from
    from server.meetings.agenda import build_agenda
    from server.meetings.agenda_render import render
    from server.meetings.escalation import thresholds_from
    from server.models import Group

    with _app() as app:
        g = db.session.scalar(select(Group).where(Group.code == group))
        if g is None:
            raise click.ClickException(f"no group {group!r}")
        today = _today(app)
        agenda = build_agenda(
            db.session,
            g,
            _day(on) or today,
            weights=weights_from(app.config),  # type: ignore[attr-defined]
            today=today,
            thresholds=thresholds_from(app.config),  # type: ignore[attr-defined]
        )
        text = render(agenda, "json" if as_json else fmt)
        if out:
            with open(out, "w", encoding="utf-8") as fh:
                fh.write(text)
            click.echo(f"wrote {out}", err=True)
        else:
            click.echo(text, nl=False)


@click.command("rebuild")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def rebuild_cmd(as_json: bool) -> None:
    """Recompute the merge aggregates and triage queue from the stored responses."""
    from tqdm import tqdm

    from server.db import db
    from server.issues.aggregates import rebuild
    from server.models import Response

    with _app():
        total = db.session.scalar(select(func.count()).select_from(Response)) or 0
        with tqdm(total=total, unit="resp", disable=as_json, leave=False) as bar:
            counted = rebuild(db.session, progress=bar.update)
        db.session.commit()
        if as_json:
            click.echo(json.dumps({"responses": total, "counted": counted}))
        else:
            click.echo(f"rebuilt from {total} responses ({counted} counted, the rest corrected)")


@click.command("agree")
@click.option("--area", required=True, help="Area code.")
@click.option("--category", required=True, help="Issue category code.")
@click.option("--owner", required=True, help="The provider who owns it.")
@click.option("--report-back", required=True, help="Report-back date (YYYY-MM-DD).")
@click.option("--date", "on", help="Day agreed (YYYY-MM-DD); default today.")
@click.option("--note", default="", help="Note for the log.")
def agree_cmd(
    area: str, category: str, owner: str, report_back: str, on: str | None, note: str
) -> None:
    """Record an agreed priority with its owner and report-back date."""
    from server.db import db
    from server.meetings.accountability import agree, meeting_on
    from server.models import Area

    with _app() as app:
        row = db.session.scalar(select(Area).where(Area.code == area))
        if row is None:
            raise click.ClickException(f"no area {area!r}")
        if category not in default_taxonomy():
            raise click.ClickException(f"unknown category {category!r}")
        day = _day(on) or _today(app)
        issue = agree(
            db.session,
            row,
            category,
            owner=owner,
            report_back=_day(report_back),  # type: ignore[arg-type]
            on=day,
            meeting=meeting_on(db.session, row.group, day),
            note=note,
        )
        db.session.commit()
        click.echo(f"issue {issue.id}: {category} in {area} agreed, owner {owner}")


@click.command("issue-status")
@click.argument("issue_id", type=int)
@click.argument(
    "status", type=click.Choice(["open", "agreed", "in_progress", "resolved", "closed"])
)
@click.option("--note", required=True, help="What happened (dated today unless --date).")
@click.option("--date", "on", help="Day of the change (YYYY-MM-DD).")
@click.option("--report-back", help="A new report-back date (YYYY-MM-DD).")
def status_cmd(
    issue_id: int, status: str, note: str, on: str | None, report_back: str | None
) -> None:
    """Move an issue to a new status with a dated note."""
    from server.db import db
    from server.meetings.accountability import entry_day, set_status
    from server.models import Issue

    with _app() as app:
        issue = db.session.get(Issue, issue_id)
        if issue is None:
            raise click.ClickException(f"no issue {issue_id}")
        set_status(
            db.session,
            issue,
            status,
            on=entry_day(None, _day(on), _today(app)),
            note=note,
            report_back=_day(report_back),
        )
        db.session.commit()
        click.echo(f"issue {issue_id} is now {status}")


@click.command("issue-action")
@click.argument("issue_id", type=int)
@click.argument("text")
@click.option("--date", "on", help="Day of the action (YYYY-MM-DD).")
def action_cmd(issue_id: int, text: str, on: str | None) -> None:
    """Log a dated action on an issue."""
    from server.db import db
    from server.meetings.accountability import add_action, entry_day
    from server.models import Issue

    with _app() as app:
        issue = db.session.get(Issue, issue_id)
        if issue is None:
            raise click.ClickException(f"no issue {issue_id}")
        add_action(db.session, issue, on=entry_day(None, _day(on), _today(app)), text=text)
        db.session.commit()
        click.echo(f"logged on issue {issue_id}")


def register(group: click.Group) -> None:
    """Add the coordinator commands to the ``doorstep server`` group."""
    for cmd in (priorities_cmd, agenda_cmd, rebuild_cmd, agree_cmd, status_cmd, action_cmd):
        group.add_command(cmd)
