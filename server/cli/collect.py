"""``doorstep server enroll-collect``: a device for an ODK Collect phone, as a settings QR code."""

from __future__ import annotations

import io

import click

from server.cli.common import Config, domain_errors, emit, json_option, pass_config


@click.command("enroll-collect")
@click.option("--group", required=True, help="The group whose areas and surveys the phone gets.")
@click.option("--label", required=True, help="A name for the phone, e.g. 'Ann's phone'.")
@click.option(
    "--url",
    "public_url",
    envvar="DOORSTEP_PUBLIC_URL",
    help="The address phones reach the server at [PUBLIC_URL, else http://HOST:PORT].",
)
@json_option
@pass_config
def enroll_collect_command(
    config: Config, group: str, label: str, public_url: str | None, as_json: bool
) -> None:
    """Make a device for an ODK Collect phone and print its settings QR code (shown once).

    In Collect: Projects, Add project, scan the code. --json prints {"device_id",
    "server_url", "settings"}; settings is the QR code's text. Revoke it as any device.
    """
    from server.accounts.collect import enroll_collect
    from server.db import db, utcnow

    with config.context(PUBLIC_URL=public_url) as app, domain_errors():
        cfg = app.config
        base = cfg["PUBLIC_URL"] or f"http://{cfg['HOST']}:{cfg['PORT']}"
        data = enroll_collect(db.session, label=label, group=group, server_url=base, now=utcnow())
        db.session.commit()
    emit(as_json, data, lambda: _screen(data, base))


def _screen(data: dict[str, str], base: str) -> str:
    """Return the QR code as text, what to do with it, and a warning for a loopback address."""
    import qrcode

    qr = qrcode.QRCode(border=2)
    qr.add_data(data["settings"])
    out = io.StringIO()
    qr.print_ascii(out=out, invert=True)
    lines = [
        out.getvalue().rstrip("\n"),
        f"device {data['device_id']}: in ODK Collect, add a project and scan this code "
        "(shown only now; it holds the phone's key).",
        f"settings: {data['settings']}",
    ]
    host = base.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]
    if host in ("127.0.0.1", "localhost", "[::1]", "0.0.0.0"):
        lines.append(
            f"warning: {base} cannot be reached from a phone; pass --url with the address "
            "phones use (or set DOORSTEP_PUBLIC_URL)"
        )
    return "\n".join(lines)


def register(server: click.Group) -> None:
    """Add the command to the ``doorstep server`` group."""
    server.add_command(enroll_collect_command)
