"""``doorstep server disable-user``, ``revoke-token``, ``set-password``, ``remove-from-group``.

Offboarding from the command line; the dashboard's Users page does the same for an admin.
"""

from __future__ import annotations

import click

from server.cli.common import Config, domain_errors, emit, json_option, pass_config


@click.command("disable-user")
@click.argument("name")
@json_option
@pass_config
def disable_user_command(config: Config, name: str, as_json: bool) -> None:
    """Disable a user: no sign-in, and every session and API token of theirs ends now."""
    from server import clock
    from server.accounts.offboarding import disable_user, get_user
    from server.db import db

    with config.context(), domain_errors():
        done = disable_user(db.session, get_user(db.session, name), now=clock.now())
        db.session.commit()
    emit(
        as_json,
        done,
        f"disabled {name}; {done['tokens_revoked']} API token(s) revoked; sessions ended",
    )


@click.command("revoke-token")
@click.argument("name")
@click.option("--new", "replace", is_flag=True, help="Make a new API token (shown once).")
@json_option
@pass_config
def revoke_token_command(config: Config, name: str, replace: bool, as_json: bool) -> None:
    """Revoke every API token of a user (their scripts get 401 from now on)."""
    from server import clock
    from server.accounts.offboarding import get_user, revoke_tokens
    from server.db import db

    with config.context(), domain_errors():
        user = get_user(db.session, name)
        done = revoke_tokens(db.session, user, now=clock.now(), replace=replace)
        db.session.commit()
    text = f"{name}: {done['tokens_revoked']} API token(s) revoked"
    if done["token"]:
        text += f"; new API token (shown once): {done['token']}"
    emit(as_json, done, text)


@click.command("set-password")
@click.argument("name")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="The new dashboard password (asked for when not given).",
)
@json_option
@pass_config
def set_password_command(config: Config, name: str, password: str, as_json: bool) -> None:
    """Set a user's dashboard password; their sessions end in every browser."""
    from server.accounts.offboarding import get_user, set_password
    from server.db import db

    with config.context(), domain_errors():
        done = set_password(db.session, get_user(db.session, name), password)
        db.session.commit()
    emit(as_json, done, f"password of {name} set; their sessions ended")


@click.command("remove-from-group")
@click.argument("name")
@click.argument("group")
@json_option
@pass_config
def remove_from_group_command(config: Config, name: str, group: str, as_json: bool) -> None:
    """Take a user out of a group: from their next request they see nothing of it."""
    from server.accounts.offboarding import get_user, remove_from_group
    from server.db import db

    with config.context(), domain_errors():
        done = remove_from_group(db.session, get_user(db.session, name), group)
        db.session.commit()
    left = ", ".join(done["groups"]) or "no group"
    emit(as_json, done, f"{name} removed from {group}; now in {left}")


def register(group: click.Group) -> None:
    """Add the offboarding commands to ``doorstep server``."""
    for command in (
        disable_user_command,
        revoke_token_command,
        set_password_command,
        remove_from_group_command,
    ):
        group.add_command(command)
