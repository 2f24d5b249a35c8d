"""The server fixtures (app on SQLite and PostgreSQL, live server on loopback)."""

from tests.server.conftest import app, clock, database_url, live_server  # noqa: F401
