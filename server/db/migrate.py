"""Schema migrations: Alembic through Flask-Migrate, with revisions in ``server/migrations/``."""

from __future__ import annotations

from flask_migrate import Migrate

# render_as_batch: SQLite cannot ALTER most things, so autogenerate writes batch operations.
migrate = Migrate(render_as_batch=True, compare_type=True)
