"""``doorstep server contact-key`` (new, list, retire) and ``follow-up``: sealed contact details.

A passphrase comes from ``--passphrase-file`` (its first line) or a hidden prompt; it is used
for that one run and never stored, printed or logged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from server.cli.common import Config, domain_errors, emit, json_option, pass_config


def read_passphrase(path: str | None, *, confirm: bool) -> str:
    """Return the passphrase from the file's first line, or from a hidden prompt."""
    if path:
        text = Path(path).read_text(encoding="utf-8")
        lines = text.splitlines()
        return lines[0] if lines else ""
    return click.prompt(
        "Passphrase", hide_input=True, confirmation_prompt=confirm, prompt_suffix=": "
    )


passphrase_option = click.option(
    "--passphrase-file",
    type=click.Path(exists=True, dir_okay=False),
    help="Read the passphrase from this file's first line (otherwise it is asked for).",
)


@click.group("contact-key")
def contact_key() -> None:
    """Groups' contact keys: residents' contact details are sealed to them on the device."""


@contact_key.command("new")
@click.option("--group", "group_code", required=True, help="The group's code.")
@passphrase_option
@json_option
@pass_config
def new_command(
    config: Config, group_code: str, passphrase_file: str | None, as_json: bool
) -> None:
    """Make a contact key for a group; its devices get the public key at their next sync.

    The private key is kept only wrapped by the passphrase, which is never stored: lose the
    passphrase and the details sealed to this key can never be read.
    """
    from server.accounts.users import get_group
    from server.contacts.keys import new_contact_key
    from server.db import db, utcnow

    passphrase = read_passphrase(passphrase_file, confirm=True)
    with config.context(), domain_errors():
        group = get_group(db.session, group_code)
        key, sealed = new_contact_key(db.session, group, passphrase, now=utcnow())
        kid = key.kid
        db.session.commit()
    emit(
        as_json,
        {"kid": kid, "group": group_code},
        f"contact key {kid} made for {group_code}; its devices get it at their next sync"
        + (
            f"; {sealed} residents' details stored in the clear are now sealed to it"
            if sealed
            else ""
        ),
    )


@contact_key.command("list")
@click.option("--group", "group_code", help="Only this group's keys.")
@json_option
@pass_config
def list_command(config: Config, group_code: str | None, as_json: bool) -> None:
    """List contact keys, newest first: kid, group, made, retired."""
    from server.accounts.users import get_group
    from server.contacts.keys import group_keys
    from server.db import db

    with config.context(), domain_errors():
        ids = None if group_code is None else [get_group(db.session, group_code).id]
        keys = [
            {
                "kid": k.kid,
                "group": k.group.code,
                "created_at": k.created_at.isoformat(),
                "retired_at": k.retired_at.isoformat() if k.retired_at else None,
            }
            for k in group_keys(db.session, ids)
        ]
    lines = [
        f"{k['kid']}  {k['group']}  made {k['created_at'][:10]}"
        + (f"  retired {k['retired_at'][:10]}" if k["retired_at"] else "  active")
        for k in keys
    ]
    emit(as_json, {"keys": keys}, "\n".join(lines) or "no contact keys")


@contact_key.command("retire")
@click.argument("kid")
@json_option
@pass_config
def retire_command(config: Config, kid: str, as_json: bool) -> None:
    """Retire a key: its wrapped private key and every detail sealed to it are deleted for good."""
    from server.contacts.keys import retire_contact_key
    from server.db import db, utcnow

    with config.context(), domain_errors():
        key, gone = retire_contact_key(db.session, kid, now=utcnow())
        group = key.group.code
        db.session.commit()
    emit(
        as_json,
        {"kid": kid, "group": group, "details_deleted": gone},
        f"contact key {kid} retired; {gone} residents' sealed details deleted",
    )


@click.command("follow-up")
@click.option("--group", "group_code", required=True, help="The group's code.")
@passphrase_option
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Only news from this day on (YYYY-MM-DD), e.g. since the last meeting.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@pass_config
def follow_up_command(
    config: Config, group_code: str, passphrase_file: str | None, since: Any, fmt: str
) -> None:
    """List consented residents whose area has news since they were surveyed, to tell them.

    Their contact details are opened with the group's passphrase for this run only and printed
    to standard output, nowhere else. A wrong passphrase is refused and shows nothing.
    """
    from server.accounts.users import get_group
    from server.contacts.follow_up import follow_up_list
    from server.db import db, utcnow

    passphrase = read_passphrase(passphrase_file, confirm=False)
    with config.context(), domain_errors():
        group = get_group(db.session, group_code)
        day = since.date() if since else None
        residents = follow_up_list(db.session, group, passphrase, now=utcnow(), since=day)
    if fmt == "json":
        rows = [r.to_json() for r in residents]
        click.echo(json.dumps({"group": group_code, "residents": rows}, sort_keys=True))
        return
    from server.issues.formats import csv_text

    click.echo(csv_text(CSV_COLUMNS, (csv_row(r) for r in residents)), nl=False)


CSV_COLUMNS = (
    "response_id", "area", "surveyed_on", "name", "phone", "email", "channel",
    "raised", "you_said_we_did", "contacted",
)  # fmt: skip


def csv_row(r: Any) -> list[str]:
    """Return one resident as a CSV row (``csv_text`` defuses cells that look like formulas)."""

    def pick(part: str) -> str:
        return next((v for k, v in r.details.items() if part in k), "")

    news = "; ".join(
        f"{n.category}: {n.status}" + (f" - {n.we_did}" if n.we_did else "") for n in r.news
    )
    contacted = "; ".join(f"{m['at'][:10]} {m['by']} ({m['channel']})" for m in r.contacted)
    cells = [
        r.response_id, r.area, r.surveyed_on.isoformat(), pick("name"), pick("phone"),
        pick("email"), r.channel or "", " ".join(r.raised), news, contacted,
    ]  # fmt: skip
    return cells


def register(group: click.Group) -> None:
    """Add the contact-key and follow-up commands to ``doorstep server``."""
    group.add_command(contact_key)
    group.add_command(follow_up_command)
