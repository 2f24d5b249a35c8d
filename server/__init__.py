"""doorstep server: the Flask app factory."""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response
from werkzeug.middleware.proxy_fix import ProxyFix

from server import settings
from server.issues.priorities import weights_from

# Self-contained pages (the public notice, the printable agenda) carry their own <style>, so
# they print offline; the CSP names each block by its hash instead of allowing inline style.
_STYLE_BLOCK = re.compile(r"<style>(.*?)</style>", re.DOTALL)
_TEMPLATES = Path(__file__).parent / "templates"


def _style_hashes() -> list[str]:
    """Return a CSP source for each fixed <style> block of the server's own page templates."""
    found = []
    for template in sorted(_TEMPLATES.glob("*.html")):
        for block in _STYLE_BLOCK.findall(template.read_text(encoding="utf-8")):
            digest = base64.b64encode(hashlib.sha256(block.encode("utf-8")).digest()).decode()
            found.append(f"'sha256-{digest}'")
    return found


def content_security_policy() -> str:
    """Return the one CSP of every server answer: no script at all, no framing."""
    return "; ".join(
        (
            "default-src 'none'",
            " ".join(("style-src 'self'", *_style_hashes())),
            "img-src 'self' data:",
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        )
    )


def _security_headers(app: Flask) -> None:
    """Put the security headers on every answer: dashboard pages, API JSON, errors, files."""
    csp = content_security_policy()

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


def _configure(app: Flask, test_config: Mapping[str, Any] | None) -> None:
    """Apply defaults, then the instance file and environment, then the test config."""
    app.config.from_mapping(settings.defaults())
    app.config.update(settings.from_instance(app.instance_path))
    app.config.update(settings.from_env())
    if test_config is not None:
        app.config.update(test_config)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = settings.default_database_url(app.instance_path)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = settings.persistent_secret(app.instance_path)
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    # A database error's message (which the 500 handler logs) and SQL echo would otherwise
    # carry the statement's parameters: residents' contact details, token hashes.
    options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    options.setdefault("hide_parameters", True)
    # Refuse a NaN, infinite or negative PRIORITY_* weight now, not at the first ranking.
    weights_from(app.config)
    if app.config["PROXY_HOPS"] < 0:
        raise ValueError(f"DOORSTEP_PROXY_HOPS: {app.config['PROXY_HOPS']!r} must be 0 or more")
    # Flask checks Content-Length against this before a view runs (413 for honest clients).
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_BODY_BYTES"]


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure the doorstep server app."""
    instance = os.environ.get("DOORSTEP_INSTANCE") or (test_config or {}).get("INSTANCE_PATH")
    app = Flask(__name__, instance_path=instance, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    _configure(app, test_config)

    from server import db as dbmod
    from server import errors
    from server.db.migrate import migrate

    dbmod.init_app(app)
    migrate.init_app(app, dbmod.db, directory=os.path.join(os.path.dirname(__file__), "migrations"))
    errors.register(app)
    _security_headers(app)

    from server.api import register_blueprints

    register_blueprints(app)
    from server.api.priorities import register as register_merge  # merge, meetings, reach, public

    register_merge(app)
    from server.web import register as register_web  # the coordinator dashboard

    register_web(app)
    hops = app.config["PROXY_HOPS"]
    if hops:
        # Trust exactly this many proxies' headers: more would let a client forge its address.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    return app
