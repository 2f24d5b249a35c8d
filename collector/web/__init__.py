"""The collector's web pages for phones and touchscreens: doorstep, kiosk, meeting, our area.

``register(app)`` adds the blueprints, the HTML error pages, the cache rules and the
kiosk lock. Pages are plain server-rendered forms that work without JavaScript; ``app.js``
adds live relevance and offline safety, ``sw.js`` keeps the page when Wi-Fi drops.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Flask,
    abort,
    g,
    get_flashed_messages,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as WerkzeugResponse

from collector.csrf import CSRFError, protect_forms
from collector.storage.durable import StorageError, StorageFull
from collector.web import area, common, doorstep, forms, i18n, kiosk, meeting, shell, throttle

__all__ = ["register", "storage_page"]

# Sent by static/outbox.js with a queued form.
OUTBOX_HEADER = "X-Doorstep-Outbox"
# Pages a locked kiosk may show: its own screens, the files they need and the language switch.
KIOSK_OPEN = frozenset(
    {
        "shell.static",
        "shell.service_worker",
        "shell.ping",
        "shell.set_language",
        "shell.offline",
        "shell.favicon",
    }
)


def register(app: Flask) -> None:
    """Add the web pages, error pages, cache rules and kiosk lock to the collector app."""
    for module in (shell, doorstep, kiosk, meeting, area):
        app.register_blueprint(module.bp)
    throttle.init_app(app)
    app.before_request(_kiosk_lock)
    protect_forms(app, apis=[app.blueprints["api"]])  # after the kiosk lock: a locked page is 404
    app.after_request(_headers)
    app.context_processor(_page_context)
    for code in (400, 403, 404, 405, 413, 500):
        app.register_error_handler(code, _error_page)


def _kiosk_lock() -> Any:
    """Keep a kiosk on its own screens: everything else redirects to its start (or is 404)."""
    if not common.kiosk_mode() or session.get("kiosk_unlocked"):
        return None
    if request.path.startswith("/api/"):
        return None  # the API hides stored data in kiosk mode itself
    endpoint = request.endpoint or ""
    if endpoint.startswith("kiosk.") or endpoint in KIOSK_OPEN:
        return None
    if request.method != "GET" or not request.accept_mimetypes.accept_html:
        abort(404)  # only a person's page visit is sent back to the start
    return redirect(url_for("kiosk.start"))


def _headers(response: WerkzeugResponse) -> WerkzeugResponse:
    """Say which pages may be kept for offline use (security headers: see collector/app.py)."""
    if request.headers.get(OUTBOX_HEADER) and response.status_code in (301, 302, 303, 307, 308):
        # A form sent from the phone's queue (static/outbox.js): say where the page would go
        # and whether the form's action was done, instead of a redirect fetch() cannot read.
        answer = jsonify(next=response.location, done=bool(g.get("outbox_done")))
        answer.headers["Cache-Control"] = "no-store"
        return answer
    if response.mimetype == "text/html":
        # A page with a one-off message ("Saved") or a kiosk page must never come back from
        # a cache: an old "Saved" would be a lie, and a kiosk must not replay anyone's screen.
        keep = not (g.get("no_store") or g.get("flashed") or common.kiosk_mode())
        response.headers["Cache-Control"] = "no-cache" if keep else "no-store"
    return response


def _flashes() -> list[tuple[str, str]]:
    messages = get_flashed_messages(with_categories=True)
    if messages:
        g.flashed = True
    return messages


def _page_context() -> dict[str, Any]:
    lang = common.lang()
    kiosk_locked = common.kiosk_mode() and not session.get("kiosk_unlocked")
    return {
        "t": common.t,
        "lang": lang,
        "dir": i18n.direction(lang),
        "languages": [(code, i18n.language_name(code)) for code in common.languages()],
        "counts": None if kiosk_locked else common.store().status(),
        "kiosk_locked": kiosk_locked,
        "volunteer": common.volunteer(),
        "flashes": _flashes,
        "pick": lambda texts: i18n.pick(texts, lang),
        "error_items": forms.summary,
        "simple_errors": _simple_errors,
        "area_options": lambda: [(a["code"], a["name"]) for a in common.store().areas()],
        "idle_seconds": common.settings().kiosk_idle_seconds,
        "kiosk_exit": bool(common.settings().kiosk_exit_pin),
    }


def _simple_errors(
    errors: dict[str, str], targets: dict[str, str], only: list[str] | None = None
) -> list[tuple[str, str]]:
    """Return error-summary links for a page's own fields (name, area...)."""
    return [(targets.get(k, k), v) for k, v in errors.items() if only is None or k in only]


def storage_page(e: StorageError) -> Any:
    """Say the save failed and why, with the posted answers kept in the page to send again.

    A full disk (or another storage fault) leaves the store as it was, so the same form can be
    sent again once space is freed; its response id makes a repeat harmless.
    """
    full = isinstance(e, StorageFull)
    common.no_store()
    page = render_template(
        "storage_error.html",
        full=full,
        action=request.path,
        fields=list(request.form.items(multi=True)),
        resend=request.method == "POST",
    )
    return page, (507 if full else 503)


def _error_page(e: HTTPException) -> Any:
    """Answer a page error with a readable page in the person's language."""
    code = e.code or 500
    if code == 404:
        title, body = "not_found", "not_found_body"
    elif isinstance(e, CSRFError):
        title, body = "not_allowed", "err_form"
    elif code < 500:
        title, body = "not_allowed", "error_body"
    else:
        title, body = "error", "error_body"
    common.no_store()
    return render_template("error.html", title_key=title, body_key=body, code=code), code
