"""What every ``doorstep server`` command shares: the app it runs in, errors, and ``--json``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from flask import Flask

from server.exceptions import DoorstepError


class Config:
    """The server group's options, handed to each subcommand."""

    def __init__(self, database_url: str | None, instance: str | None) -> None:
        self.database_url = database_url
        self.instance = instance

    def app(self, **extra: Any) -> Flask:
        """Create the app with the command's settings on top of env and instance settings."""
        from server import create_app

        config: dict[str, Any] = {k: v for k, v in extra.items() if v is not None}
        if self.database_url:
            config["DATABASE_URL"] = self.database_url
        if self.instance:
            config["INSTANCE_PATH"] = str(Path(self.instance).resolve())
        try:
            return create_app(config)
        except ValueError as error:  # a bad setting: say which, without a traceback
            raise click.ClickException(str(error)) from None

    @contextmanager
    def context(self, **extra: Any) -> Iterator[Flask]:
        """Yield the app inside its app context; close its database connections after."""
        from server.db import db

        app = self.app(**extra)
        with app.app_context():
            try:
                yield app
            finally:
                db.session.remove()
                db.engine.dispose()


pass_config = click.make_pass_decorator(Config)


@contextmanager
def domain_errors() -> Iterator[None]:
    """Turn domain errors into one clean line (no traceback) and exit status 1."""
    try:
        yield
    except DoorstepError as error:
        problems = error.details.get("problems") if isinstance(error.details, dict) else None
        lines = [error.message, *(problems or [])]
        raise click.ClickException("\n".join(lines)) from None


def emit(as_json: bool, data: dict[str, Any], text: str | Callable[[], str]) -> None:
    """Print one JSON object for scripts, or a line for people."""
    if as_json:
        click.echo(json.dumps(data, sort_keys=True, default=str))
    else:
        click.echo(text() if callable(text) else text)


json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
