"""The ``doorstep`` command: ``survey``, ``collector`` and ``server`` groups."""

from __future__ import annotations

import click

from collector.cli import collector
from survey_schemas.cli import survey
from sync.cli import register_collector_commands


@click.group()
def server() -> None:
    """Run and administer the doorstep server."""


@click.group(context_settings={"help_option_names": ["-h", "--help"], "auto_envvar_prefix": "DOORSTEP"})
@click.version_option(package_name="doorstep")
def main() -> None:
    """doorstep: offline-first surveys for community safety groups."""


register_collector_commands(collector)
main.add_command(survey)
main.add_command(collector)
main.add_command(server)
