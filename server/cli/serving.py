"""Serve the app in production: waitress for one process, gunicorn for several.

One waitress process runs every request on threads of one interpreter, so the GIL caps it at
about one core. With ``workers`` above 1, gunicorn forks that many processes from one
preloaded app: ``sync`` workers for one thread each (a worker takes the next connection only
when it is free, so requests queue once, fairly, in the kernel's accept queue), ``gthread``
workers of ``threads`` threads otherwise. Either way SIGTERM stops the server cleanly:
requests in flight finish, then the process exits 0.
"""

from __future__ import annotations

import gc
import io
import signal
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from server.db import db

# Seconds a stopping server gives requests in flight (a push of 1,000 takes well under this).
GRACEFUL_SECONDS = 20
WORKER_TIMEOUT_SECONDS = 120
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


def _worker_forked(app: Flask) -> None:
    """Ready a forked gunicorn worker: SIGTERM stops it at once until it serves; fresh pools."""
    # Until the worker installs its own handlers it runs the arbiter's, which only queue the
    # signal: a SIGTERM arriving then was lost, and stopping waited out the graceful timeout.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # The preloaded app (Flask, SQLAlchemy, the survey registry) lives as long as the worker:
    # keep it out of the collector's full passes, which a push's many small objects trigger.
    gc.freeze()
    with app.app_context():
        for engine in db.engines.values():
            # close=False: the sockets belong to the parent; the child just forgets them.
            engine.dispose(close=False)


class BodyLimit:
    """Refuse oversized bodies under gunicorn as waitress does: a 413, then a closed connection.

    A chunked body gets a Content-Length first (waitress sets one too): without it werkzeug
    reads a chunked body only up to the size limit and stops there, so the app would see a
    truncated body (400) instead of answering 413. Reading one byte past the limit tells.
    After a 413 the connection is closed, with ``Connection: close`` said: gunicorn drains at
    most 64 KiB of an unread body and otherwise drops a connection it has just called
    keep-alive, which breaks the client's next request on it.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.limit: int = app.config["MAX_BODY_BYTES"]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable:
        """Buffer a chunked body (at most limit + 1 bytes), then call the app."""
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not environ.get("CONTENT_LENGTH"):
            body = environ["wsgi.input"].read(self.limit + 1)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            # werkzeug ignores Content-Length while Transfer-Encoding says chunked.
            del environ["HTTP_TRANSFER_ENCODING"]

        def start(status: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
            if status.startswith("413"):
                # gunicorn's start_response is a method of its response, which can close.
                getattr(getattr(start_response, "__self__", None), "force_close", _no_op)()
            return start_response(status, headers, *exc)

        return self.app(environ, start)


def _no_op() -> None:
    pass


class Gunicorn(BaseApplication):
    """gunicorn embedded: the options come from doorstep's settings, not gunicorn's CLI."""

    def __init__(self, app: Flask, *, host: str, port: int, threads: int, workers: int) -> None:
        self.application = app
        self.options: dict[str, Any] = {
            "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
            "workers": workers,
            # gunicorn itself takes gthread for more than one thread. A one-thread gthread worker
            # would accept connections while busy and queue them behind its running push, while
            # another worker sat idle (on 2 cores: p95 1.4 s against 1.3 s, 10% less throughput).
            # A sync worker answers one request per connection: behind the buffering reverse
            # proxy a deployment has anyway, slow clients cost it nothing.
            "worker_class": "sync",
            "threads": threads,
            # The app is built once in the arbiter (a bad setting fails before any fork);
            # each worker then drops the inherited pools and opens its own connections.
            "preload_app": True,
            "post_fork": lambda arbiter, worker: _worker_forked(app),
            "graceful_timeout": GRACEFUL_SECONDS,
            # gunicorn kills a worker silent for 30 s by default; a worker starved of CPU (a
            # small machine under a burst of pushes) would be killed mid-commit. Be patient.
            "timeout": WORKER_TIMEOUT_SECONDS,
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

    def load(self) -> BodyLimit:
        """Return the app, already built, behind the body limit."""
        return BodyLimit(self.application)
