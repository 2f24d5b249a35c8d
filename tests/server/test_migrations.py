"""The Alembic revisions build exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from server import create_app
from server.db import db


def test_upgrade_builds_the_models_schema_with_no_differences(
    database_url: str, tmp_path: Path
) -> None:
    app = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": database_url})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_as_batch": True}
            )
            diffs = compare_metadata(context, db.metadata)
        db.engine.dispose()
    named = [_describe(d) for d in diffs]
    assert named == [], "models and migrations differ: add a revision (see docs/server-dev.md)"


def _describe(diff: object) -> str:
    """Return a short readable name for one autogenerate difference."""
    if isinstance(diff, tuple):
        return f"{diff[0]} {getattr(diff[1], 'name', diff[1])}"
    return "; ".join(_describe(d) for d in diff)  # a list of column modifications


def test_downgrade_to_base_removes_every_table(database_url: str, tmp_path: Path) -> None:
    app = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": database_url})
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        db.engine.dispose()
    assert tables == set()


def test_aggregate_tables_leave_room_for_in_page_updates(database_url: str, tmp_path: Path) -> None:
    # What the models ask of PostgreSQL (fillfactor 70), the revisions give too.
    from server.models.merge import AGGREGATE_TABLE, MentionDay

    app = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": database_url})
    with app.app_context():
        upgrade()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                got = conn.exec_driver_sql(
                    "SELECT relname, reloptions FROM pg_class WHERE relname IN ('mention_days',"
                    " 'respondent_days', 'mention_months', 'respondent_months', 'equality_days',"
                    " 'response_mentions')"
                ).all()
            assert dict(got) == {
                **dict.fromkeys(
                    ["mention_days", "respondent_days", "mention_months", "respondent_months",
                     "equality_days"], ["fillfactor=70"]
                ),
                "response_mentions": None,
            }  # fmt: skip
        db.engine.dispose()
    assert MentionDay.__table__.dialect_options["postgresql"]["with"] == {"fillfactor": 70}
    assert AGGREGATE_TABLE["postgresql_with"] == {"fillfactor": 70}
