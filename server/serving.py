"""Serve the app in production: waitress for one process, gunicorn for several.

One waitress process runs every request on threads of one interpreter, so the GIL caps it at
about one core. With ``workers`` above 1, gunicorn forks that many processes (``gthread``
workers, each with ``threads`` threads) from one preloaded app. Either way SIGTERM stops the
server cleanly: requests in flight finish, then the process exits 0.
"""

from __future__ import annotations

import signal
from types import FrameType
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from .db import db

# Seconds a stopping server gives requests in flight (a push of 1,000 takes well under this).
GRACEFUL_SECONDS = 20
# waitress refuses bodies above this much over the app's limit before buffering them; the
# margin lets the app itself answer 413 with the JSON error body for anything in between.
BODY_MARGIN = 65536


def serve(app: Flask, *, host: str, port: int, threads: int, workers: int) -> None:
    """Serve ``app`` on ``host:port`` until SIGTERM or Ctrl-C."""
    if workers > 1:
        Gunicorn(app, host=host, port=port, threads=threads, workers=workers).run()
    else:
        serve_waitress(app, host=host, port=port, threads=threads)


def serve_waitress(app: Flask, *, host: str, port: int, threads: int) -> None:
    """Serve with waitress in this process; SIGTERM ends it like Ctrl-C (exit status 0)."""
    from waitress.server import create_server

    server = create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        max_request_body_size=app.config["MAX_BODY_BYTES"] + BODY_MARGIN,
        ident="doorstep",
    )
    signal.signal(signal.SIGTERM, _raise_exit)
    # run() catches SystemExit/KeyboardInterrupt and shuts its worker threads down.
    server.run()
    server.close()


def _raise_exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def _dispose_engines(app: Flask) -> None:
    """Drop the connection pools a forked worker inherited, without closing the parent's."""
    with app.app_context():
        for engine in db.engines.values():
            # close=False: the sockets belong to the parent; the child just forgets them.
            engine.dispose(close=False)


class Gunicorn(BaseApplication):
    """gunicorn embedded: the options come from doorstep's settings, not gunicorn's CLI."""

    def __init__(self, app: Flask, *, host: str, port: int, threads: int, workers: int) -> None:
        self.application = app
        self.options: dict[str, Any] = {
            "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",
            "threads": threads,
            # The app is built once in the arbiter (a bad setting fails before any fork);
            # each worker then drops the inherited pools and opens its own connections.
            "preload_app": True,
            "post_fork": lambda arbiter, worker: _dispose_engines(app),
            "graceful_timeout": GRACEFUL_SECONDS,
            # A control socket at a fixed per-user path would clash between two servers.
            "control_socket_disable": True,
            "proc_name": "doorstep",
            # No access log: like waitress, nothing about requests is written by default.
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "warning",
        }
        super().__init__()

    def load_config(self) -> None:
        """Hand the options to gunicorn's config."""
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        """Return the app, already built."""
        return self.application
