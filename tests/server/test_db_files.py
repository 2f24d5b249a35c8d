"""The server's SQLite database holds contact details: its files are readable by the owner only."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from server import create_app
from server.db import db


def test_a_new_sqlite_database_and_its_wal_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "doorstep.db"
    old = os.umask(0o022)  # a usual umask would leave a new file world-readable
    try:
        app = create_app(
            {"DATABASE_URL": f"sqlite:///{path}", "INSTANCE_PATH": str(tmp_path / "i")}
        )
        with app.app_context():
            db.create_all()
            db.session.execute(db.text("SELECT 1"))
            wal = Path(f"{path}-wal")
            assert wal.exists()  # WAL mode: written while the connection is open
            for f in (path, wal):
                assert stat.S_IMODE(f.stat().st_mode) & 0o077 == 0, (f, oct(f.stat().st_mode))
            db.engine.dispose()
    finally:
        os.umask(old)
