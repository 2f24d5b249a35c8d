"""The ``doorstep`` command: ``survey``, ``collector`` and ``server`` groups."""

from __future__ import annotations

from datetime import timedelta

import click

from collector.cli import collector
from server.cli import accounts, collect, contacts, crime, export, reports
from server.cli.common import Config, domain_errors, emit, json_option, pass_config
from survey_schemas.cli import survey
from sync.cli import register_collector_commands


@click.group()
@click.option(
    "--database-url",
    envvar="DOORSTEP_DATABASE_URL",
    help="Server database (default: a SQLite file in the instance folder).",
)
@click.option(
    "--instance",
    envvar="DOORSTEP_INSTANCE",
    type=click.Path(file_okay=False),
    help="Instance folder for the SQLite file, secret key and settings.json.",
)
@click.pass_context
def server(ctx: click.Context, database_url: str | None, instance: str | None) -> None:
    """Run and administer the doorstep server."""
    ctx.obj = Config(database_url, instance)


@server.command()
@click.option(
    "--areas", "areas_csv", type=click.Path(exists=True, dir_okay=False), help="Areas CSV."
)
@click.option("--demo", is_flag=True, help="Load the demo groups and areas.")
@json_option
@pass_config
def init(config: Config, areas_csv: str | None, demo: bool, as_json: bool) -> None:
    """Create or upgrade the database, load the bundled surveys and the areas (safe to rerun)."""
    from flask_migrate import upgrade

    from server.catalogue.deployment import init_deployment
    from server.db import db

    with config.context(), domain_errors():
        upgrade()
        result = init_deployment(db.session, areas_csv=areas_csv, demo=demo)
        db.session.commit()
    emit(
        as_json,
        result,
        lambda: (
            f"database ready; {result['areas_added']} areas added, {result['areas_updated']} "
            f"updated, {result['groups']} groups added, surveys added: "
            f"{', '.join(result['surveys_added']) or 'none'}"
        ),
    )


@server.command("add-survey")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--group",
    metavar="G",
    help="Make a new survey this group's own: only its devices take it [every group's].",
)
@json_option
@pass_config
def add_survey_command(config: Config, path: str, group: str | None, as_json: bool) -> None:
    """Add a released survey version (the same version again is a no-op).

    A survey whose purpose is still an XLSForm import's placeholder is refused. A new version
    stays with its survey's group.
    """
    from server.catalogue.deployment import load_definition
    from server.catalogue.surveys import add_survey, check_ready, whose_survey
    from server.db import db

    with config.context(), domain_errors():
        definition = load_definition(path)
        row, new = add_survey(db.session, definition, group=group)  # validity problems first
        check_ready(definition)  # then e.g. an XLSForm purpose nobody wrote; nothing committed
        db.session.commit()
        data = {
            "survey_id": row.survey_id,
            "version": row.version,
            "added": new,
            "group": row.group.code if row.group is not None else None,
        }
        whose = whose_survey(db.session, row.group_id)
    emit(
        as_json,
        data,
        f"{data['survey_id']} v{data['version']} {'added' if new else 'was already there'}: "
        f"{whose}",
    )


@server.command()
@click.option("--host", envvar="DOORSTEP_HOST", help="Address to listen on [127.0.0.1].")
@click.option("--port", envvar="DOORSTEP_PORT", type=int, help="Port [5000].")
@click.option("--threads", envvar="DOORSTEP_THREADS", type=int, help="Threads per process [8].")
@click.option(
    "--workers",
    envvar="DOORSTEP_WORKERS",
    type=click.IntRange(min=1),
    help="Server processes [1]; above 1 serves with gunicorn.",
)
@pass_config
def serve(
    config: Config, host: str | None, port: int | None, threads: int | None, workers: int | None
) -> None:
    """Serve the API: waitress in one process, or gunicorn with --workers above 1."""
    from server.cli.serving import serve as serve_app

    app = config.app(HOST=host, PORT=port, THREADS=threads, WORKERS=workers)
    cfg = app.config
    how = f"gunicorn, {cfg['WORKERS']} workers" if cfg["WORKERS"] > 1 else "waitress"
    click.echo(f"doorstep server on http://{cfg['HOST']}:{cfg['PORT']}/ ({how}; Ctrl-C stops)")
    serve_app(
        app,
        host=cfg["HOST"],
        port=cfg["PORT"],
        threads=cfg["THREADS"],
        workers=cfg["WORKERS"],
    )


@server.command("create-user")
@click.argument("name")
@click.option("--role", type=click.Choice(["admin", "coordinator", "provider"]), required=True)
@click.option("--group", "groups", multiple=True, help="A group the coordinator serves (repeat).")
@click.option("--password", help="Password for the web dashboard (optional).")
@click.option("--provider", help="Provider name for a provider user (default: NAME).")
@json_option
@pass_config
def create_user_command(
    config: Config,
    name: str,
    role: str,
    groups: tuple[str, ...],
    password: str | None,
    provider: str | None,
    as_json: bool,
) -> None:
    """Create a user and print their API token (shown only this once)."""
    from server.accounts.users import create_user
    from server.db import db

    with config.context(), domain_errors():
        user, token = create_user(
            db.session, name, role, groups=list(groups), password=password, provider=provider
        )
        db.session.commit()
        data = {"user": {"name": user.name, "role": user.role, "groups": list(groups)}}
    emit(
        as_json,
        {**data, "token": token},
        f"created {role} {name}; API token (shown once): {token}",
    )


@server.command("enroll-code")
@click.option("--label", help="A name for the device, e.g. 'Abbey Pi 2'.")
@click.option("--group", help="The group whose areas the device will see (default: all).")
@click.option(
    "--ttl", type=int, envvar="DOORSTEP_ENROLL_CODE_TTL", help="Seconds the code stays valid."
)
@json_option
@pass_config
def enroll_code(
    config: Config, label: str | None, group: str | None, ttl: int | None, as_json: bool
) -> None:
    """Make a single-use, expiring code that enrolls one device."""
    from server.accounts.devices import create_code
    from server.db import db, utcnow

    with config.context(ENROLL_CODE_TTL=ttl) as app, domain_errors():
        code, expires = create_code(
            db.session,
            now=utcnow(),
            ttl_seconds=app.config["ENROLL_CODE_TTL"],
            label=label,
            group=group,
        )
        db.session.commit()
    data = {"code": code, "expires_at": expires.isoformat()}
    emit(as_json, data, f"enrollment code {code} (single use, expires {data['expires_at']})")


@server.command("revoke-device")
@click.argument("device_id")
@json_option
@pass_config
def revoke_device_command(config: Config, device_id: str, as_json: bool) -> None:
    """Revoke a device: its token gets 401 from now on; its responses stay."""
    from server.accounts.devices import revoke_device
    from server.db import db, utcnow

    with config.context(), domain_errors():
        device = revoke_device(db.session, device_id, now=utcnow())
        db.session.commit()
        data = {"device_id": device.id, "revoked_at": device.revoked_at.isoformat()}
    emit(as_json, data, f"revoked device {device_id}")


@server.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
@pass_config
def import_command(config: Config, file: str, as_json: bool) -> None:
    """Import an offline bundle: same outcomes as push; a damaged bundle changes nothing."""
    from server.db import db, utcnow
    from server.intake.bundles import import_bundle

    with config.context() as app, domain_errors():
        days = app.config["PERSONAL_RETENTION_DAYS"]
        retention = timedelta(days=days) if days else None
        result = import_bundle(db.session, file, now=utcnow(), personal_retention=retention)
    emit(
        as_json,
        result,
        lambda: (
            f"{result['count']} responses: {result['accepted']} accepted, "
            f"{result['duplicate']} duplicate, {result['conflict']} conflict, "
            f"{result['rejected']} rejected"
        ),
    )


@server.command("purge-personal")
@json_option
@pass_config
def purge_personal(config: Config, as_json: bool) -> None:
    """Delete consented contact details past their retention (PERSONAL_RETENTION_DAYS)."""
    from server.db import db, utcnow
    from server.intake.retention import purge_expired_personal

    with config.context() as app, domain_errors():
        days = app.config["PERSONAL_RETENTION_DAYS"]
        retention = timedelta(days=days) if days else None
        deleted = purge_expired_personal(db.session, utcnow(), retention)
        db.session.commit()
    emit(
        as_json,
        {"deleted": deleted, "retention_days": days},
        f"deleted {deleted} expired contact details (retention: "
        + (f"{days} days)" if days else "no limit)"),
    )


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "auto_envvar_prefix": "DOORSTEP"}
)
@click.version_option(package_name="doorstep")
def main() -> None:
    """doorstep: offline-first surveys for community safety groups."""


register_collector_commands(collector)
# The server's commands kept in modules of their own.
for commands in (reports, crime, contacts, collect, accounts, export):
    commands.register(server)
main.add_command(survey)
main.add_command(collector)
main.add_command(server)
