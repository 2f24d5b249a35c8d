"""The pages around the modes: the start page, the language switch, the service worker."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)

from collector.redirects import safe_next
from collector.web import common

bp = Blueprint(
    "shell",
    __name__,
    static_folder="static",
    static_url_path="/assets",
    template_folder="templates",
)


@bp.get("/")
def index() -> Any:
    """Send each person to where they work: the kiosk, sign in, or their doors."""
    if common.kiosk_mode() and not session.get("kiosk_unlocked"):
        return redirect(url_for("kiosk.start"))
    if common.volunteer() is None:
        return redirect(url_for("doorstep.signin"))
    return redirect(url_for("doorstep.door"))


@bp.get("/lang/<code>")
def set_language(code: str) -> Any:
    """Switch the language of the pages (and of the survey texts), then go back."""
    if code in common.languages():
        session["lang"] = code
    return redirect(safe_next(request.args.get("next"), url_for("shell.index")))


@bp.get("/sw.js")
def service_worker() -> Any:
    """Serve the service worker from the root, so its scope is the whole app."""
    response = send_from_directory(bp.static_folder or "static", "sw.js", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/ping")
def ping() -> Any:
    """Answer 204: lets a phone check it can still reach the collector before it submits."""
    return "", 204, {"Cache-Control": "no-store"}


@bp.get("/favicon.ico")
def favicon() -> Any:
    """Answer the browser's icon request with nothing (there is no icon to fetch)."""
    return "", 204, {"Cache-Control": "max-age=86400"}


@bp.get("/offline")
def offline() -> Any:
    """Show what a phone sees when it has lost the collector and has no copy of the page."""
    return render_template("offline.html")
