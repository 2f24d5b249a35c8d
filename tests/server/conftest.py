"""Server fixtures: the app over SQLite and PostgreSQL, clients, a live waitress server, tokens."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from server import create_app
from server.accounts.devices import create_code, enroll
from server.accounts.users import create_user
from server.catalogue.deployment import upsert_areas
from server.catalogue.surveys import add_survey
from server.db import db
from tests import factories
from tests.conftest import database_urls
from tests.pgbouncer import PgBouncer
from tests.waitress_thread import WaitressThread

TEST_SURVEY: dict[str, Any] = {
    **factories.survey(
        "test-safety",
        factories.concerns(
            {"speeding": "speeding", "litter": "litter", "other": None}, required=True
        ),
        factories.severity(),
    ),
    "title": {"en": "Test survey"},
    "purpose": {"en": "To test the server."},
}
AREAS = [
    {"code": "abbey", "name": "Abbey", "group": "northfield", "group_name": "Northfield CSG"},
    {"code": "bell-green", "name": "Bell Green", "group": "northfield"},
    {"code": "elm-park", "name": "Elm Park", "group": "riverside", "group_name": "Riverside CSG"},
]


class Clock:
    """A clock a test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


make_response = factories.wire_response


def _postgres_url(schema: str) -> str:
    """Return the test PostgreSQL URL with its search_path set to a private schema."""
    base = os.environ["DOORSTEP_TEST_DATABASE_URL"]
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def _empty_database(
    kind: str, tmp_path: Any, bouncer: PgBouncer | None = None, seed: bool = False
) -> Iterator[str]:
    """Yield an empty database: a SQLite file, or a private schema on the test PostgreSQL.

    With ``bouncer``, the schema's URL goes through that PgBouncer; ``seed`` fills it first
    (straight to PostgreSQL: the setup is not what is under test).
    """
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'doorstep.db'}"
        return
    # A private schema: other test runs may share the database at the same time.
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(os.environ["DOORSTEP_TEST_DATABASE_URL"])
    with admin.begin() as conn:  # fails loudly when PostgreSQL is down: no skip
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        if seed:
            _seed(_postgres_url(schema))
        yield bouncer.add(schema) if bouncer is not None else _postgres_url(schema)
    finally:
        if bouncer is not None:
            bouncer.remove(schema)
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _seed(url: str) -> None:
    """Create every table and add the test survey and the three areas."""
    engine = sa.create_engine(url)
    try:
        db.metadata.create_all(engine)
        with Session(engine) as session:
            add_survey(session, dict(TEST_SURVEY))
            upsert_areas(session, AREAS)
            session.commit()
    finally:
        engine.dispose()


class PreparedDatabases:
    """Seeded databases made once per test session and handed to each test as new.

    Building the tables for every test cost more than most test bodies. SQLite: a seeded file
    is copied into the test's folder. PostgreSQL: one seeded schema per session is emptied and
    seeded again after each test (rows deleted, sequences restarted), or rebuilt when a test
    left it unusable.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sqlite_template: Path | None = None
        self.pg_schema: str | None = None
        self.pg_dirty = False

    def sqlite(self, tmp_path: Path) -> str:
        if self.sqlite_template is None:
            template = self.root / "template.db"
            _seed(f"sqlite:///{template}")
            self.sqlite_template = template
        target = tmp_path / "doorstep.db"
        shutil.copyfile(self.sqlite_template, target)
        return f"sqlite:///{target}"

    def postgresql(self) -> str:
        admin = sa.create_engine(os.environ["DOORSTEP_TEST_DATABASE_URL"])
        try:
            if self.pg_schema is None:
                self.pg_schema = f"s_{uuid.uuid4().hex[:12]}"
                with admin.begin() as conn:  # fails loudly when PostgreSQL is down: no skip
                    conn.execute(sa.text(f'CREATE SCHEMA "{self.pg_schema}"'))
                _seed(_postgres_url(self.pg_schema))
            elif self.pg_dirty and not self._reset():
                with admin.begin() as conn:
                    conn.execute(sa.text(f'DROP SCHEMA "{self.pg_schema}" CASCADE'))
                    conn.execute(sa.text(f'CREATE SCHEMA "{self.pg_schema}"'))
                _seed(_postgres_url(self.pg_schema))
        finally:
            admin.dispose()
        self.pg_dirty = True
        return _postgres_url(self.pg_schema)

    def _reset(self) -> bool:
        """Empty the session's schema and seed it again; False when that failed."""
        assert self.pg_schema is not None
        engine = sa.create_engine(_postgres_url(self.pg_schema))
        try:
            with engine.begin() as conn:
                conn.execute(sa.text("SET LOCAL lock_timeout = '5s'"))
                names = set(sa.inspect(conn).get_table_names())
                if names != {t.name for t in db.metadata.sorted_tables}:
                    return False  # a test added or dropped tables: rebuild
                for table in reversed(db.metadata.sorted_tables):
                    conn.execute(table.delete())
                sequences = conn.execute(
                    sa.text(
                        "SELECT sequence_name FROM information_schema.sequences"
                        " WHERE sequence_schema = current_schema()"
                    )
                ).scalars()
                for name in sequences:
                    conn.execute(sa.text(f'ALTER SEQUENCE "{name}" RESTART'))
                session = Session(bind=conn)
                add_survey(session, dict(TEST_SURVEY))
                upsert_areas(session, AREAS)
                session.flush()
            return True
        except sa.exc.DBAPIError:
            return False
        finally:
            engine.dispose()

    def close(self) -> None:
        if self.pg_schema is not None:
            admin = sa.create_engine(os.environ["DOORSTEP_TEST_DATABASE_URL"])
            with admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{self.pg_schema}" CASCADE'))
            admin.dispose()


def _server_databases() -> list[str]:
    """Return the databases the server tests run on: with ``DOORSTEP_TEST_PGBOUNCER=1`` (and a
    test PostgreSQL), also that PostgreSQL behind a real PgBouncer in transaction pooling."""
    urls = database_urls()
    if "postgresql" in urls and os.environ.get("DOORSTEP_TEST_PGBOUNCER") == "1":
        urls.append("pgbouncer")
    return urls


@pytest.fixture(scope="session")
def pgbouncer() -> Iterator[PgBouncer]:
    """Yield one PgBouncer (transaction pooling) in front of the test PostgreSQL."""
    bouncer = PgBouncer(os.environ["DOORSTEP_TEST_DATABASE_URL"])
    try:
        yield bouncer
    finally:
        bouncer.stop()


@pytest.fixture(params=_server_databases())
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, prepared_databases: PreparedDatabases
) -> Iterator[str]:
    """Yield the test's database: seeded when the test uses the app, else empty.

    With ``app`` the database already has every table, the test survey and the three areas.
    Without it (migrations, ``init``, server processes), it is empty.
    """
    if request.param == "pgbouncer":  # a schema of its own, through PgBouncer
        bouncer = request.getfixturevalue("pgbouncer")
        seed = "app" in request.fixturenames
        yield from _empty_database("postgresql", tmp_path, bouncer, seed=seed)
    elif "app" not in request.fixturenames:
        yield from _empty_database(request.param, tmp_path)
    elif request.param == "sqlite":
        yield prepared_databases.sqlite(tmp_path)
    else:
        yield prepared_databases.postgresql()


@pytest.fixture
def clock() -> Clock:
    """Return the hand-moved clock the app uses."""
    return Clock()


@pytest.fixture
def app(database_url: str, tmp_path: Any, clock: Clock) -> Iterator[Flask]:
    """Yield the app on a database holding the test survey and three areas in two groups."""
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test",
            "CLOCK": clock,
        }
    )
    with app.app_context():
        if not sa.inspect(db.engine).get_table_names():  # a module's own empty database_url
            _seed(database_url)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Return a test client of the app."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask, database_url: str, tmp_path: Any) -> CliRunner:
    """Return a CLI runner whose commands use the app's database and instance folder."""
    return CliRunner(
        env={
            "DOORSTEP_DATABASE_URL": database_url,
            "DOORSTEP_INSTANCE": str(tmp_path / "instance"),
            "DOORSTEP_SECRET_KEY": "test",
        }
    )


@contextlib.contextmanager
def serve_in_thread(app: Flask) -> Iterator[str]:
    """Serve ``app`` with waitress on a loopback port in a thread; yield its base URL."""
    served = WaitressThread(app)
    try:
        yield served.url
    finally:
        served.stop()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """Yield the base URL of the app served by waitress on a loopback port, in a thread."""
    with serve_in_thread(app) as url:
        yield url


def device_token(app: Flask, group: str | None = None, label: str = "laptop") -> tuple[str, str]:
    """Enroll a device (optionally tied to a group); return ``(device_id, token)``."""
    with app.app_context():
        now = app.config["CLOCK"]()
        code, _ = create_code(db.session, now=now, ttl_seconds=3600, group=group)
        device_id, token = enroll(db.session, code, label, now=now)
        db.session.commit()
    return device_id, token


def user_token(app: Flask, name: str, role: str = "coordinator", group: str | None = None) -> str:
    """Create a user (a coordinator of ``group`` by default); return their API token."""
    with app.app_context():
        _, token = create_user(db.session, name, role, groups=[group] if group else None)
        db.session.commit()
    return token


def bearer(token: str) -> dict[str, str]:
    """Return the Authorization header for a token."""
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def device(app: Flask) -> str:
    """Return the token of an enrolled device with no group (sees every area)."""
    return device_token(app)[1]
