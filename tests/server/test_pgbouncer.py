"""The force-wide deployment's database path: PostgreSQL behind PgBouncer in transaction pooling.

A real PgBouncer (Debian's package; missing, these tests fail) with pools smaller than the
number of clients, so one client's transactions run on whichever server connection is free.
Run whenever a test PostgreSQL is given. With ``DOORSTEP_TEST_PGBOUNCER=1`` every server test
that takes ``database_url`` also runs through it (``.ci/run`` does this for the ingest, push,
merge, feed and migration tests).
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from server import create_app
from server.cli import main as doorstep
from server.db import db, utcnow
from server.intake.ingest import ingest_batch
from server.issues.aggregates import rebuild
from server.models import Response
from server.models.merge import MentionDay, RespondentDay
from tests.conftest import database_urls
from tests.pgbouncer import PgBouncer

from .conftest import make_response

pytestmark = pytest.mark.skipif(
    "postgresql" not in database_urls(), reason="needs DOORSTEP_TEST_DATABASE_URL (PostgreSQL)"
)


@pytest.fixture
def pooled(tmp_path: Path) -> Iterator[tuple[PgBouncer, str]]:
    """Yield a PgBouncer (pools of 2) and the URL of a fresh schema through it."""
    admin = sa.create_engine(os.environ["DOORSTEP_TEST_DATABASE_URL"])
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    bouncer = PgBouncer(os.environ["DOORSTEP_TEST_DATABASE_URL"], pool_size=2)
    try:
        yield bouncer, bouncer.add(schema)
    finally:
        bouncer.stop()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _app(url: str, tmp_path: Path) -> Any:
    return create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "t"})


def test_clients_share_server_connections_and_statements_are_never_prepared(
    pooled: tuple[PgBouncer, str], tmp_path: Path
) -> None:
    bouncer, url = pooled
    app = _app(url, tmp_path)
    with app.app_context():
        conns = [db.engine.connect() for _ in range(5)]
        pids = set()
        # more rounds than psycopg's prepare threshold (5): a statement prepared on one server
        # connection would be missing on the next ("prepared statement … does not exist")
        for _ in range(8):
            for conn in conns:
                pids.add(conn.execute(sa.text("SELECT pg_backend_pid()")).scalar())
                conn.commit()
        for conn in conns:
            conn.close()
        assert 1 <= len(pids) <= bouncer.pool_size  # five clients, at most two server sessions
        prepared = db.session.execute(sa.text("SELECT count(*) FROM pg_prepared_statements"))
        assert prepared.scalar() == 0
        db.session.remove()
        db.engine.dispose()


def test_init_migrates_and_loads_through_pgbouncer(
    pooled: tuple[PgBouncer, str], tmp_path: Path
) -> None:
    _, url = pooled
    env = {"DOORSTEP_DATABASE_URL": url, "DOORSTEP_INSTANCE": str(tmp_path)}
    result = CliRunner(env=env).invoke(doorstep, ["server", "init", "--demo"])
    assert result.exit_code == 0, result.output
    app = _app(url, tmp_path)
    with app.app_context():
        tables = sa.inspect(db.engine).get_table_names()
        assert {"responses", "mention_days", "alembic_version"} <= set(tables)
        db.engine.dispose()


def test_concurrent_pushes_through_pgbouncer_store_once_and_count_exactly(
    pooled: tuple[PgBouncer, str], tmp_path: Path
) -> None:
    from server.catalogue.deployment import upsert_areas
    from server.catalogue.surveys import add_survey

    from .conftest import AREAS, TEST_SURVEY

    _, url = pooled
    app = _app(url, tmp_path)
    with app.app_context():
        db.create_all()
        add_survey(db.session, dict(TEST_SURVEY))
        upsert_areas(db.session, AREAS)
        db.session.commit()
        db.session.remove()
    batches = [[make_response(area=a) for _ in range(60)] for a in ("abbey", "elm-park")]
    # four pushes at once (each batch twice) on two server connections: every id stored once
    outcomes: list[list[str]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def push(items: list[dict[str, Any]]) -> None:
        try:
            with app.app_context():
                start.wait()
                got = ingest_batch(db.session, items, now=utcnow())
                outcomes.append([o.status for o in got])
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=push, args=(b,)) for b in batches * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    accepted = sum(s == "accepted" for got in outcomes for s in got)
    duplicates = sum(s == "duplicate" for got in outcomes for s in got)
    assert (accepted, duplicates) == (120, 120)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 120
        before = _aggregates()
        rebuild(db.session)
        db.session.commit()
        assert _aggregates() == before  # the incremental counts equal a rebuild's
        db.session.remove()
        db.engine.dispose()


def _aggregates() -> tuple[list[Any], list[Any]]:
    """Return the day aggregates' rows, sorted."""
    return (
        sorted(tuple(r) for r in db.session.execute(sa.select(*RespondentDay.__table__.c))),
        sorted(tuple(r) for r in db.session.execute(sa.select(*MentionDay.__table__.c))),
    )
