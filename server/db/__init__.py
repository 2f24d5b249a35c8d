"""The database handle: Flask-SQLAlchemy on SQLAlchemy 2 typed models, SQLite or PostgreSQL."""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# Named constraints so Alembic can alter and drop them on every database (SQLite batch mode too).
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The declarative base every doorstep model derives from (through ``db.Model``)."""

    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)

SQLITE_BUSY_TIMEOUT_MS = 30_000


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store aware times in UTC; refuse naive ones, which would be ambiguous."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return the stored time as an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """Return the current time in UTC (tests replace the app's clock, not this)."""
    return datetime.now(UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Turn on WAL, foreign keys and a busy timeout for every new SQLite connection."""
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # WAL with synchronous=NORMAL is durable across application crashes; FULL adds power-loss
    # safety for the last commits, which the server (acknowledging pushes) must promise.
    cur.execute("PRAGMA synchronous=FULL")
    # A 32 MiB page cache (SQLite's default is 2 MiB) keeps the indexes that random ids and
    # the aggregates touch in memory as the database grows; the WAL is folded back into the
    # database every ~40 MB instead of every ~4 MB, so a page written by each batch (an
    # index's inner pages, this month's aggregates) is copied back once per many batches.
    cur.execute("PRAGMA cache_size=-32768")
    cur.execute("PRAGMA wal_autocheckpoint=10000")
    cur.close()


def _owner_only(path: str | None) -> None:
    """Create a new SQLite database file readable by its owner only (it holds contact details).

    SQLite gives the -wal and -shm files the database file's permissions. An existing file is
    left as it is; a missing folder is SQLite's error to report.
    """
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    with contextlib.suppress(FileExistsError, FileNotFoundError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def configure_engine(engine: Engine) -> None:
    """Install the per-connection settings an engine needs for its database."""
    if engine.dialect.name == "sqlite":
        _owner_only(engine.url.database)
        event.listen(engine, "connect", _sqlite_pragmas)


def init_app(app: Flask) -> None:
    """Bind ``db`` to the app and configure its engine."""
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
