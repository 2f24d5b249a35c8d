"""doorstep server: the Flask app factory."""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, redirect, url_for
from jinja2 import StrictUndefined
from werkzeug.middleware.proxy_fix import ProxyFix

from server import settings
from server.issues.priorities import weights_from
from server.meetings.escalation import thresholds_from

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
    if (
        app.config["DATABASE_URL"].startswith("postgresql")
        and not app.config["DATABASE_PREPARED_STATEMENTS"]
    ):
        # PgBouncer in transaction pooling mode hands each transaction any server connection:
        # a statement prepared on one would be missing on the next (DESIGN "Deployment at scale").
        options.setdefault("connect_args", {}).setdefault("prepare_threshold", None)
    # Refuse a NaN, infinite or negative PRIORITY_* weight now, not at the first ranking.
    weights_from(app.config)
    thresholds_from(app.config)  # and an ESCALATION_* threshold below 1
    if app.config["PROXY_HOPS"] < 0:
        raise ValueError(f"DOORSTEP_PROXY_HOPS: {app.config['PROXY_HOPS']!r} must be 0 or more")
    # Flask checks Content-Length against this before a view runs (413 for honest clients).
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_BODY_BYTES"]
    # The dashboard's session cookie: script cannot read it, other sites do not send it, and
    # it is Secure behind HTTPS (a setting: over plain HTTP it would never come back).
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = bool(app.config["SECURE_COOKIES"])
    # A signed-in session lasts SESSION_HOURS (Flask's own default would be 31 days).
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=app.config["SESSION_HOURS"])


class OptionalUndefined(StrictUndefined):
    """Jinja's StrictUndefined, except that ``{% if name %}`` may test an optional name.

    Printing, iterating, comparing or reading an attribute of a missing name still fails.
    """

    def __bool__(self) -> bool:
        return False


def _blueprints() -> tuple[Blueprint, ...]:
    """Return every blueprint of the server, in the order they are registered."""
    from server.api import (
        areas,
        crime,
        devices,
        health,
        meetings,
        openapi,
        priorities,
        reach,
        responses,
        sync,
        triage,
    )
    from server.openrosa import views as openrosa
    from server.web import bp as dashboard
    from server.web import public

    return (
        # the JSON API under /api/v1
        health.bp,
        openapi.bp,
        devices.bp,
        sync.bp,
        reach.bp,
        areas.bp,
        priorities.bp,
        crime.bp,
        responses.bp,
        triage.bp,
        meetings.bp,
        # ODK Collect, Enketo and ODK Web Forms (OpenRosa 1.0) under /openrosa/key/<token>
        openrosa.bp,
        # pages: the public "you said, we did" page and the coordinator dashboard
        public.bp,
        dashboard,
    )


def _root() -> Response:
    """Send visitors of the bare server address to the dashboard."""
    return redirect(url_for("web.home.index"))


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure the doorstep server app."""
    instance = os.environ.get("DOORSTEP_INSTANCE") or (test_config or {}).get("INSTANCE_PATH")
    app = Flask(__name__, instance_path=instance, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    _configure(app, test_config)
    # A name a template prints but no view passes fails (in the tests), not as a blank.
    app.jinja_env.undefined = OptionalUndefined

    from collector.csrf import protect_forms
    from server import db as dbmod
    from server import errors
    from server.api import IdConverter
    from server.db.migrate import migrate
    from server.openrosa.logs import redact_tokens

    dbmod.init_app(app)
    migrate.init_app(app, dbmod.db, directory=os.path.join(os.path.dirname(__file__), "migrations"))
    errors.register(app)
    _security_headers(app)
    # Before any rule is added, so every <int:> route (API and dashboard) is bounded.
    app.url_map.converters["int"] = IdConverter
    blueprints = _blueprints()
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    # Every form post carries the session's CSRF token; the API takes bearer tokens instead.
    # OpenRosa clients post multipart forms with the device's key in the URL, no session.
    apis = [b for b in blueprints if (b.url_prefix or "").startswith(("/api/", "/openrosa/"))]
    protect_forms(app, apis=apis)
    redact_tokens(app)
    app.add_url_rule("/", "web_root", _root)
    hops = app.config["PROXY_HOPS"]
    if hops:
        # Trust exactly this many proxies' headers: more would let a client forge its address.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    return app
