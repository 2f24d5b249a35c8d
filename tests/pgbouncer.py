"""A real PgBouncer (Debian's ``pgbouncer``) in transaction pooling mode, started by the tests.

:class:`PgBouncer` runs ``pgbouncer`` on a free loopback port in front of the PostgreSQL server
of ``DOORSTEP_TEST_DATABASE_URL``, with small pools so that client connections really share
server connections between transactions. Each :meth:`PgBouncer.add` names a pooled database
whose server connections start in one schema (``connect_query``): the tests' private schemas
work through it without the ``options`` startup parameter, which PgBouncer refuses.

A missing ``pgbouncer`` fails the test that needs it, loudly (``.ci/run`` installs it).
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

PGBOUNCER = os.environ.get("DOORSTEP_PGBOUNCER", "/usr/sbin/pgbouncer")
POOL_SIZE = 3  # server connections per pooled database: fewer than the tests' clients


def pgbouncer_binary() -> str:
    """Return the pgbouncer executable, failing the test loudly when it is not installed."""
    found = shutil.which(PGBOUNCER) or shutil.which("pgbouncer")
    if not found:
        pytest.fail(
            "pgbouncer is not installed: `apt-get install -y pgbouncer` (Debian; .ci/run does it)"
        )
    return found


class PgBouncer:
    """One pgbouncer process and its config folder; :meth:`stop` ends it and removes both."""

    def __init__(self, server_url: str, pool_size: int = POOL_SIZE) -> None:
        self.server = sa.engine.make_url(server_url)
        self.pool_size = pool_size
        self.folder = Path(tempfile.mkdtemp(prefix="doorstep-pgbouncer-"))
        self.folder.chmod(0o755)  # pgbouncer runs as postgres when the tests run as root
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.databases: dict[str, str] = {}
        self._write()
        argv = [pgbouncer_binary(), str(self.folder / "pgbouncer.ini")]
        if os.geteuid() == 0:  # pgbouncer refuses to run as root
            user = "postgres"
            uid = pwd.getpwnam(user).pw_uid
            for path in self.folder.iterdir():
                os.chown(path, uid, -1)
            os.chown(self.folder, uid, -1)
            argv[1:1] = ["-u", user]
        self.log = open(self.folder / "stderr.log", "wb")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)
        self._wait_until_up()

    def _write(self) -> None:
        host, port = self.server.host or "127.0.0.1", self.server.port or 5432
        lines = ["[databases]"]
        for alias, (database, schema) in self._entries().items():
            query = f" connect_query='SET search_path TO {schema}'" if schema else ""
            lines.append(f"{alias} = host={host} port={port} dbname={database}{query}")
        lines += [
            "[pgbouncer]",
            "listen_addr = 127.0.0.1",
            f"listen_port = {self.port}",
            "unix_socket_dir =",
            "auth_type = trust",
            f"auth_file = {self.folder / 'userlist.txt'}",
            "pool_mode = transaction",
            f"default_pool_size = {self.pool_size}",
            "max_client_conn = 500",
            "server_login_retry = 1",
            "pidfile =",
        ]
        (self.folder / "pgbouncer.ini").write_text("\n".join(lines) + "\n")
        user = self.server.username or "postgres"
        (self.folder / "userlist.txt").write_text(f'"{user}" ""\n')
        for path in self.folder.iterdir():
            path.chmod(0o644)

    def _entries(self) -> dict[str, tuple[str, str | None]]:
        base = self.server.database or "postgres"
        out: dict[str, tuple[str, str | None]] = {base: (base, None)}
        for alias, schema in self.databases.items():
            out[alias] = (base, schema)
        return out

    def _wait_until_up(self) -> None:
        for _ in range(200):
            if self.proc.poll() is not None:
                raise RuntimeError(f"pgbouncer exited {self.proc.returncode}: {self.output()}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"pgbouncer never listened: {self.output()}")

    def output(self) -> str:
        """Return what pgbouncer logged so far."""
        return (self.folder / "stderr.log").read_text(errors="replace")

    def url(self, database: str | None = None) -> str:
        """Return the SQLAlchemy URL of ``database`` (default: the server URL's) through here."""
        url = self.server.set(host="127.0.0.1", port=self.port)
        if database is not None:
            url = url.set(database=database)
        return url.render_as_string(hide_password=False)

    def add(self, schema: str) -> str:
        """Pool a database whose connections use ``schema``; return its URL through here."""
        alias = f"db_{schema}"
        self.databases[alias] = schema
        self._write()
        self.proc.send_signal(signal.SIGHUP)  # reload the config: the new entry, pools kept
        deadline = time.monotonic() + 10
        while True:
            engine = sa.create_engine(self.url(alias), connect_args={"prepare_threshold": None})
            try:
                with engine.connect() as conn:
                    conn.execute(sa.text("SELECT 1"))
                return self.url(alias)
            except sa.exc.OperationalError:  # not reloaded yet
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
            finally:
                engine.dispose()

    def remove(self, schema: str) -> None:
        """Stop pooling the schema's database (its server connections are closed)."""
        self.databases.pop(f"db_{schema}", None)
        self._write()
        self.proc.send_signal(signal.SIGHUP)

    def stop(self) -> None:
        """End pgbouncer (SIGINT: at once) and remove its folder."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)
