"""The coordinator dashboard: server-rendered pages over the same services as the API.

One parent blueprint (``web``) carries what every page shares: sign-in required, no caching, and
HTML error pages; each page area is a child blueprint module. Every form post carries the CSRF
token, which ``create_app`` has Flask-WTF check (``collector/csrf.py``).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import HTTPException

from collector.csrf import CSRFError
from server.errors import status_for
from server.exceptions import DoorstepError, InvalidToken

bp = Blueprint(
    "web",
    __name__,
    url_prefix="/dashboard",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

# No inline script or style anywhere: charts are inline SVG with presentation attributes only.
# The security headers (CSP, nosniff, framing) and the session cookie are set app-wide, in
# server/__init__.py.


@bp.after_request
def _no_store(response: Response) -> Response:
    """Keep dashboard pages out of caches."""
    if request.endpoint != "web.static":
        # Pages show people's issues: keep them out of shared caches and the back-button cache.
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(DoorstepError)
def _domain_error(error: DoorstepError) -> Response | tuple[str, int]:
    """Show a domain error as a page; an unknown session goes back to sign-in."""
    if isinstance(error, InvalidToken):
        return redirect(url_for("web.auth.sign_in", next=request.full_path))
    status = status_for(error)
    return render_template("dash/error.html", status=status, message=error.message), status


@bp.errorhandler(CSRFError)
def _csrf_error(error: CSRFError) -> tuple[str, int]:
    """Refuse a form post without this session's token, saying what to do."""
    message = (
        "This form has expired or did not come from this site. Go back, reload the page and "
        "try again."
    )
    return render_template("dash/error.html", status=400, message=message), 400


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> tuple[str, int]:
    """Show an HTTP error (404, 413) as a page, not JSON."""
    status = error.code or 500
    return render_template("dash/error.html", status=status, message=error.description), status


@bp.errorhandler(Exception)
def _unexpected(error: Exception) -> tuple[str, int]:
    """Show a failure as a page (and log it), not the API's JSON body."""
    current_app.logger.exception("dashboard page failed", exc_info=error)
    message = "The page could not be shown. Nothing you saved before was lost."
    return render_template("dash/error.html", status=500, message=message), 500


# The dashboard's pages are children of ``web`` (sign-in, no-store and error pages apply to all
# of them); they are attached once, at import: a blueprint cannot change once registered.
from server.web import (  # noqa: E402
    areas,
    auth,
    contacts,
    crime,
    devices,
    export,
    home,
    issues,
    meetings,
    reach,
    surveys,
    triage,
    users,
)

auth.init(bp)
for _module in (
    auth,
    home,
    areas,
    triage,
    issues,
    meetings,
    devices,
    export,
    surveys,
    crime,
    reach,
    contacts,
    users,
):
    bp.register_blueprint(_module.bp)
