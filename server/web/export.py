"""Export: a coordinator downloads every response they may see as CSV, XLSX or JSON."""

from __future__ import annotations

import tempfile
from typing import Any

from flask import Blueprint, Response, render_template, request, send_file, stream_with_context

from server.auth import area_for, group_for, visible_areas, visible_groups
from server.db import db
from server.exports.responses import MEDIA_TYPES, plan_export, write_csv, write_json, write_xlsx
from server.schemas import ExportQuery
from server.web import auth
from server.web.forms import load_form

bp = Blueprint("export", __name__, url_prefix="/export")


@bp.get("/")
def index() -> Any:
    """Show the export form: a group or an area, the collection days, the format."""
    me = auth.require_role("admin", "coordinator")
    return render_template(
        "dash/export.html",
        groups=[(g.code, g.name) for g in visible_groups(me)],
        areas=[(a.code, a.name) for a in visible_areas(me)],
        errors={},
        args={},
    )


@bp.get("/responses")
def download() -> Any:
    """Stream the responses asked for as a file; the form again, with errors, when bad."""
    me = auth.require_role("admin", "coordinator")
    q, errors = load_form(ExportQuery(), request.args)
    if errors:
        page = render_template(
            "dash/export.html",
            groups=[(g.code, g.name) for g in visible_groups(me)],
            areas=[(a.code, a.name) for a in visible_areas(me)],
            errors=errors,
            args=request.args,
        )
        return page, 400
    if q["area"]:
        codes, name = [area_for(me, q["area"]).code], q["area"]
    elif q["group"]:
        codes, name = [a.code for a in group_for(me, q["group"]).areas], q["group"]
    else:
        codes, name = [a.code for a in visible_areas(me)], "responses"
    export = plan_export(db.session, codes, q["since"], q["until"])
    fmt = q["format"]
    filename = f"{name}-responses.{fmt}"
    if fmt == "xlsx":
        # openpyxl's write-only workbook streams rows to disk; the finished zip is sent from there
        spool = tempfile.TemporaryFile()
        write_xlsx(db.session, export, spool)
        spool.seek(0)
        sent = send_file(
            spool, mimetype=MEDIA_TYPES[fmt], as_attachment=True, download_name=filename
        )
        sent.call_on_close(spool.close)
        return sent
    chunks = (write_csv if fmt == "csv" else write_json)(db.session, export)
    return Response(
        stream_with_context(chunks),
        mimetype=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
