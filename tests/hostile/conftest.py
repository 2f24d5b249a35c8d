"""The server fixtures (app on SQLite and PostgreSQL, live server on loopback)."""

from tests.server.conftest import (  # noqa: F401
    app,
    clock,
    database_url,
    live_server,
)
