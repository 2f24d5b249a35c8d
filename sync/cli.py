"""Collector commands that talk to a server: ``enroll`` and ``sync``."""

from __future__ import annotations

import click


def register_collector_commands(group: click.Group) -> None:
    """Add the sync commands to the ``doorstep collector`` group."""
