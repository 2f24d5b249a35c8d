"""Surveys: list surveys and their versions; upload a new version as JSON or XLSForm.

A coordinator sees every group's surveys and their own groups' ones, and adds only the latter.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from collector.json_text import loads
from server.auth import visible_group_ids, visible_groups
from server.catalogue.surveys import add_survey, check_ready, whose_survey
from server.db import db
from server.exceptions import AlreadyExists, Forbidden, InvalidInput, NotFound
from server.models import SurveyVersion, User
from server.schemas import UploadForm
from server.web import auth
from server.web.forms import load_form
from survey_schemas.readiness import write_purpose
from survey_schemas.xlsform import XLSFormError, convert_xlsform

bp = Blueprint("surveys", __name__, url_prefix="/surveys")
MANAGERS = ("admin", "coordinator")
MAX_UPLOAD = 2 * 1024 * 1024


def _title(definition: dict[str, Any]) -> str:
    title = definition.get("title")
    return (title.get("en") or next(iter(title.values()), "")) if isinstance(title, dict) else ""


def _listing(me: User) -> list[dict[str, Any]]:
    """Return each survey ``me`` may see with its versions, newest version first."""
    query = (
        select(SurveyVersion)
        .options(selectinload(SurveyVersion.group))
        .order_by(SurveyVersion.survey_id, SurveyVersion.version.desc())
    )
    groups = visible_group_ids(me)
    if groups is not None:
        query = query.where(SurveyVersion.group_id.is_(None) | SurveyVersion.group_id.in_(groups))
    out: dict[str, dict[str, Any]] = {}
    for row in db.session.scalars(query):
        entry = out.setdefault(
            row.survey_id,
            {
                "id": row.survey_id,
                "title": _title(row.definition),
                "group": row.group.name if row.group is not None else None,
                "versions": [],
            },
        )
        entry["versions"].append(
            {
                "version": row.version,
                "added_at": row.added_at,
                "questions": len(row.definition.get("questions", [])),
                "methods": ", ".join(row.definition.get("methods", [])),
            }
        )
    return list(out.values())


def _upload_group(me: User, chosen: str | None) -> str | None:
    """Return the group code a survey is added for: as chosen, else a coordinator's only one."""
    if chosen or me.role == "admin" or len(me.groups) != 1:
        return chosen or None
    return me.groups[0].code


def _page(me: User, problems: list[str] | None = None, status: int = 200) -> Any:
    page = render_template(
        "dash/surveys.html",
        surveys=_listing(me),
        groups=[(g.code, g.name) for g in visible_groups(me)],
        every_group=me.role == "admin",
        chosen=request.form.get("group", ""),
        problems=problems or [],
    )
    return page, status


def _definition(upload: FileStorage) -> dict[str, Any]:
    """Read an uploaded JSON definition or convert an XLSForm; problems are InvalidInput."""
    name = upload.filename or "upload"
    raw = upload.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        raise InvalidInput(f"{name}: the file is larger than {MAX_UPLOAD // 1024 // 1024} MB")
    if name.lower().endswith((".xlsx", ".xls")):
        # Keep the file's own name: XLSForm ids default to it, and problems quote it.
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, secure_filename(name) or "survey.xlsx")
            with open(path, "wb") as fh:
                fh.write(raw)
            try:
                return convert_xlsform(path)
            except XLSFormError as error:
                raise InvalidInput(
                    "the XLSForm cannot be imported", details={"problems": error.problems}
                ) from None
    try:
        data = loads(raw)  # a RecursionError from deep nesting is a ValueError here
    except ValueError as error:
        raise InvalidInput(f"{name}: not a JSON file: {error}") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{name}: a survey definition is a JSON object")
    return data


@bp.get("/")
def index() -> Any:
    """List the surveys the signed-in person may see, with their versions."""
    return _page(auth.require_role(*MANAGERS))


@bp.post("/")
def upload() -> Any:
    """Add a new survey version from a JSON file or an XLSForm."""
    me = auth.require_role(*MANAGERS)
    upload = request.files.get("survey")
    if upload is None or not upload.filename:
        return _page(me, ["Choose a survey file (.json or .xlsx)"], 400)
    raw = {"purpose": request.form.get("purpose", "").strip(), "group": request.form.get("group")}
    form, errors = load_form(UploadForm(), raw)
    if errors:
        return _page(me, [f"{name.capitalize()}: {why}" for name, why in errors.items()], 400)
    try:
        definition = _definition(upload)
        if form["purpose"]:
            definition = write_purpose(definition, form["purpose"])
        check_ready(definition)
        row, new = add_survey(
            db.session,
            definition,
            group=_upload_group(me, form["group"]),
            allowed=visible_group_ids(me),
        )
    except (InvalidInput, AlreadyExists, Forbidden, NotFound) as error:
        db.session.rollback()
        problems = error.details.get("problems") if isinstance(error.details, dict) else None
        return _page(me, list(problems) if problems else [error.message], 400)
    db.session.commit()
    verb = "added" if new else "was already there, unchanged"
    flash(
        f"{row.survey_id} version {row.version} {verb}: {whose_survey(db.session, row.group_id)}."
    )
    return redirect(url_for("web.surveys.index"))
