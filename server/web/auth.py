"""Sign-in and sign-out, the signed-in user, role checks, and the failed sign-in limits."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from marshmallow import ValidationError

from collector.redirects import safe_next
from server import clock
from server.accounts import throttle
from server.accounts.sessions import end_session, new_session_id, session_epoch
from server.accounts.users import check_password
from server.auth import session_user
from server.db import db
from server.exceptions import Forbidden, TooManyAttempts
from server.models import User
from server.schemas import SignInSchema
from server.web import trust

bp = Blueprint("auth", __name__)
PUBLIC_ENDPOINTS = frozenset({"web.auth.sign_in", "web.static"})
# Defaults; the SIGNIN_* settings override them (server/settings.py).
MAX_USER_FAILURES = 5
MAX_ADDRESS_FAILURES = 20
MAX_NEW_CLIENT_FAILURES = 50
FAILURE_WINDOW = 15 * 60


def web_user() -> User | None:
    """Return the user signed in through the browser session, if any."""
    if "web_user" not in g:
        user = session_user()  # server.auth's: the API takes the session by the same rule
        g.web_user = user
        if user is not None:
            g.user = user  # server.auth.current_user() then agrees with the dashboard
    return g.web_user


def user() -> User:
    """Return the signed-in user (views run only after :func:`require_sign_in`)."""
    found = web_user()
    assert found is not None
    return found


def require_role(*roles: str) -> User:
    """Return the signed-in user if their role is one of ``roles``, else :class:`Forbidden`."""
    found = user()
    if found.role not in roles:
        raise Forbidden("This page is not available to your account.")
    return found


def require_sign_in() -> Response | None:
    """Send anyone not signed in to the sign-in page, remembering where they were going."""
    if request.endpoint in PUBLIC_ENDPOINTS or web_user() is not None:
        return None
    return redirect(url_for("web.auth.sign_in", next=request.full_path))


def _limits() -> tuple[int, int, int, float]:
    cfg = current_app.config
    return (
        int(cfg.get("SIGNIN_MAX_FAILURES") or MAX_USER_FAILURES),
        int(cfg.get("SIGNIN_MAX_ADDRESS_FAILURES") or MAX_ADDRESS_FAILURES),
        int(cfg.get("SIGNIN_MAX_NEW_CLIENT_FAILURES") or MAX_NEW_CLIENT_FAILURES),
        float(cfg.get("SIGNIN_FAILURE_WINDOW") or FAILURE_WINDOW),
    )


def _limited(
    username: str, client: trust.Client, now: datetime
) -> AbstractContextManager[throttle.Attempt]:
    """Count a sign-in attempt while it is checked: per (username, client), and for a client
    that has never signed in as this user, per address and for all such clients together.

    Raises :class:`TooManyAttempts` if any of them is over its limit.
    """
    per_client, per_address, per_new_clients, window = _limits()
    name = username.strip().lower()
    limits: list[throttle.Limit] = [("signin-client", f"{name}\n{client.key}", per_client)]
    if not client.trusted:
        address = request.remote_addr or "unknown"
        limits += [
            ("signin-address", address, per_address),
            ("signin-new-clients", name, per_new_clients),
        ]
    return throttle.attempt(db.session, limits, window, now)


def _too_many(error: TooManyAttempts) -> str:
    """Return the sign-in page's words for a refused attempt."""
    wait = max(1, round(int(error.details.get("retry_after", 60)) / 60))
    return (
        "Too many failed sign-ins for this username from this browser or network. "
        f"Wait {wait} minute{'s' if wait != 1 else ''} and try again."
    )


def next_page(target: str | None) -> str:
    """Return where a sign-in goes next: ``target`` if it is a plain dashboard path, else home."""
    home = url_for("web.home.index")
    # request.full_path ends in "?" when there is no query; the check itself is the collector's.
    return safe_next((target or "").rstrip("?"), home, within="/dashboard/")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    """Show the sign-in form; sign the user in with a username and password."""
    errors: dict[str, str] = {}
    form = {"username": request.form.get("username", "")}
    status, headers = 200, {}
    if request.method == "POST":
        raw = {k: v for k, v in request.form.items() if k in ("username", "password") and v}
        try:
            data = SignInSchema().load(raw)
        except ValidationError as error:
            errors = {k: v[0] for k, v in error.messages_dict.items()}
            status = 400
        else:
            signed_in = False
            client = trust.client_for(data["username"])
            try:
                with _limited(data["username"], client, clock.now()) as attempt:
                    found = check_password(db.session, data["username"], data["password"])
                    if found is None:
                        attempt.fail()  # kept in the database: every worker counts it
                        errors = {"username": "The username or password is not right"}
                        status = 400
                    else:
                        # A fresh session: nothing planted before sign-in survives it, not
                        # even the CSRF token (Flask-WTF makes a new one for the next form).
                        session.clear()
                        session.permanent = True
                        session["user_id"] = found.id
                        session["epoch"] = session_epoch(db.session, found.id)
                        session["sid"] = new_session_id()
                        signed_in = True
            except TooManyAttempts as error:
                errors, status = {"username": _too_many(error)}, 429
                headers["Retry-After"] = str(error.details.get("retry_after", 1))
            if signed_in:
                answer = redirect(next_page(request.args.get("next")))
                trust.remember(answer, client, data["username"])
                return answer
    page = render_template("dash/sign_in.html", errors=errors, form=form)
    return page, status, headers


@bp.post("/sign-out")
def sign_out() -> Response:
    """Sign out of this browser: end this session (and any copy of its cookie), no other."""
    found = web_user()
    if found is not None:
        # A signed cookie copied elsewhere would outlive session.clear(); the ended id stops it.
        lifetime = current_app.permanent_session_lifetime
        end_session(db.session, session["sid"], found.id, now=clock.now(), lifetime=lifetime)
        db.session.commit()
    session.clear()
    return redirect(url_for("web.auth.sign_in", signed_out=1))


def init(parent: Blueprint) -> None:
    """Require sign-in on every dashboard page but the sign-in page and the stylesheet."""
    parent.before_request(require_sign_in)
    parent.context_processor(lambda: {"me": web_user()})
