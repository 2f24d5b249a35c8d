"""CSRF protection of both apps' HTML forms, one way: Flask-WTF's ``CSRFProtect``.

Every POST (PUT, PATCH, DELETE) must carry the session's token, which each form sends in a hidden
field: ``<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">``. A refused one
raises :class:`CSRFError` (400), which each app shows as its own page. The JSON APIs are exempt:
they are called by scripts with bearer tokens or from this machine, and a browser can only reach
them with ``Content-Type: application/json``, which no form of another site can send.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Blueprint, Flask
from flask_wtf.csrf import CSRFError, CSRFProtect

__all__ = ["CSRFError", "protect_forms"]


def protect_forms(app: Flask, apis: Iterable[Blueprint]) -> None:
    """Check the CSRF token of every state-changing request but those to the ``apis``."""
    # A token lasts as long as its session, so a form left open through a meeting still posts.
    app.config["WTF_CSRF_TIME_LIMIT"] = None
    # The token is the check. Flask-WTF would also want a same-host Referer over HTTPS, which the
    # collector's pages never send (Referrer-Policy: no-referrer) and which a proxy that
    # rewrites Host would make fail.
    app.config["WTF_CSRF_SSL_STRICT"] = False
    csrf = CSRFProtect(app)
    for api in apis:
        csrf.exempt(api)
