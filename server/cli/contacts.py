"""``doorstep server contact-key`` (new, list, retire) and ``follow-up``: sealed contact details.

A passphrase comes from ``--passphrase-file`` (its first line) or a hidden prompt; it is used
for that one run and never stored, printed or logged.
"""

from __future__ import annotations

from pathlib import Path

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
        key = new_contact_key(db.session, group, passphrase, now=utcnow())
        kid = key.kid
        db.session.commit()
    emit(
        as_json,
        {"kid": kid, "group": group_code},
        f"contact key {kid} made for {group_code}; its devices get it at their next sync",
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


def register(group: click.Group) -> None:
    """Add the contact-key commands to ``doorstep server``."""
    group.add_command(contact_key)
