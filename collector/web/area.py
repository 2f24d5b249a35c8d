"""The "our area" page: issues and "you said, we did" for an area, as last pulled (offline)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for

from collector.web import common, i18n
from survey_schemas import default_taxonomy

bp = Blueprint("area", __name__, url_prefix="/area")


@bp.get("/")
def choose() -> Any:
    """Go to the volunteer's area, or the one picked in the form."""
    vol = common.volunteer() or {}
    code = request.args.get("area") or vol.get("area") or common.store().areas()[0]["code"]
    return redirect(url_for("area.show", code=code))


@bp.get("/<code>")
def show(code: str) -> Any:
    """Show what residents raised and what was done about it, so volunteers can say honestly."""
    found = common.area(code)
    if found is None:
        abort(404)
    lang = common.lang()
    taxonomy = default_taxonomy()
    issues = []
    for issue in common.store().area_issues(code):
        category = issue.get("category")
        known = taxonomy.categories.get(category) if isinstance(category, str) else None
        status = str(issue.get("status") or "open")
        status_key = f"status_{status}"
        issues.append(
            {
                "title": known.label_in(lang) if known else str(category or "—"),
                "status": common.t(status_key) if status_key in i18n.STRINGS["en"] else status,
                "owner": issue.get("owner"),
                "we_did": issue.get("public_text") or issue.get("we_did"),
                "updated": str(issue.get("updated_at") or "")[:10],
                "remit": common.t(f"remit_{known.remit}") if known else None,
            }
        )
    return render_template("area.html", area=found, issues=issues, areas=common.store().areas())
