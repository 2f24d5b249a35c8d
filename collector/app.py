"""The collector's Flask application factory (the flaskr pattern)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping
from typing import Any

from flask import Flask, request
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from collector import api, context, web
from collector.settings import SETTINGS, Settings, plain_http_warning
from collector.storage.durable import StorageError
from collector.store import ResponseStore

__all__ = ["CollectorFlask", "close_app", "create_app"]

_SETTING_NAMES = frozenset(s.name for s in SETTINGS) | {"local_key"}
# Script only from the app's own files (app.js, sw.js): no inline script, no framing.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class CollectorFlask(Flask):
    """Flask whose errors under ``/api/`` always use the one JSON error body."""

    def handle_http_exception(self, e: HTTPException) -> Any:
        """Answer API errors in JSON, whatever HTML error pages the web app registers."""
        if request.path.startswith("/api/") and e.code is not None:
            return api.http_error(e)
        return super().handle_http_exception(e)

    def handle_exception(self, e: Exception) -> Any:
        """Answer an unexpected API failure with the JSON error body (after logging it)."""
        if request.path.startswith("/api/") and not self.config.get("PROPAGATE_EXCEPTIONS"):
            self.log_exception(sys.exc_info())
            return api.http_error(InternalServerError())
        return super().handle_exception(e)


def create_app(config: Settings | Mapping[str, Any] | None = None) -> CollectorFlask:
    """Create the collector app: settings, then the store, then the API and the web pages.

    ``config`` is a :class:`Settings`, or a mapping whose setting names (``data``, ``kiosk``,
    ...) become settings and whose other keys (``TESTING``...) go to ``app.config``.
    """
    if isinstance(config, Settings):
        settings, extra = config, {}
    else:
        given = dict(config or {})
        settings = Settings.load({k: v for k, v in given.items() if k in _SETTING_NAMES})
        extra = {k: v for k, v in given.items() if k not in _SETTING_NAMES}
    app = CollectorFlask(__name__)
    app.config.from_mapping(
        SECRET_KEY=settings.secret_key(),
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
    )
    app.config[context.SETTINGS] = settings
    app.config.update(extra)
    app.extensions[context.STORE] = store = ResponseStore(settings.data)
    device = store.device()
    if device is not None and (warning := plain_http_warning(device.server_url)):
        app.logger.warning(warning)
    app.extensions["doorstep_stopping"] = threading.Event()

    app.register_blueprint(api.bp)
    web.register(app)
    app.register_error_handler(StorageError, _storage_error)
    app.after_request(_security_headers)
    return app


def _storage_error(e: StorageError) -> Any:
    """Answer a failed write: the JSON error body under /api/, else a page keeping the form."""
    if request.path.startswith("/api/"):
        return api.storage_error(e)
    return web.storage_page(e)


def _security_headers(response: Response) -> Response:
    """Put the security headers on every answer: pages, API JSON, errors and files."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def close_app(app: Flask) -> None:
    """Stop background jobs and close the app's store."""
    app.extensions["doorstep_stopping"].set()
    app.extensions[context.STORE].close()
