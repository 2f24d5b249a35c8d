"""CSRF protection: one random token per session, checked on every state-changing request."""

from __future__ import annotations

import hmac
import secrets

from flask import Blueprint, abort, request, session
from markupsafe import Markup, escape

FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def token() -> str:
    """Return this session's CSRF token, making one on first use."""
    value = session.get(FIELD)
    if not isinstance(value, str) or not value:
        value = secrets.token_urlsafe(32)
        session[FIELD] = value
    return value


def field() -> Markup:
    """Return the hidden input every dashboard form carries."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, escape(token()))


def rotate() -> None:
    """Give the session a fresh token (after sign-in, so a planted token stops working)."""
    session[FIELD] = secrets.token_urlsafe(32)


def check() -> None:
    """Refuse a POST whose form token does not match the session's (400)."""
    if request.method in SAFE_METHODS:
        return
    expected = session.get(FIELD)
    sent = request.form.get(FIELD, "")
    if not isinstance(expected, str) or not expected or not hmac.compare_digest(expected, sent):
        abort(
            400,
            "This form has expired or did not come from this site. Go back, reload the "
            "page and try again.",
        )


def init(bp: Blueprint) -> None:
    """Check the token before every dashboard view and offer ``csrf_field()`` to templates."""
    bp.before_request(check)
    bp.context_processor(lambda: {"csrf_field": field})
