"""``doorstep collector``: run the field collector and look after its store."""

from __future__ import annotations

import click


@click.group()
def collector() -> None:
    """Run the field collector (web app, local API) and manage its data."""
