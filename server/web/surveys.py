"""Surveys: list surveys and their versions; upload a new version as JSON or XLSForm."""

from __future__ import annotations

import os
import tempfile
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from collector.json_text import loads
from survey_schemas.readiness import write_purpose
from survey_schemas.xlsform import XLSFormError, convert_xlsform

from ..db import db
from ..exceptions import AlreadyExists, InvalidInput
from ..models import SurveyVersion
from ..surveys import add_survey, check_ready
from . import auth

bp = Blueprint("surveys", __name__, url_prefix="/surveys")
MANAGERS = ("admin", "coordinator")
MAX_UPLOAD = 2 * 1024 * 1024


def _title(definition: dict[str, Any]) -> str:
    title = definition.get("title")
    return (title.get("en") or next(iter(title.values()), "")) if isinstance(title, dict) else ""


def _listing() -> list[dict[str, Any]]:
    """Return each survey with its versions, newest version first."""
    rows = db.session.scalars(
        select(SurveyVersion).order_by(SurveyVersion.survey_id, SurveyVersion.version.desc())
    )
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = out.setdefault(
            row.survey_id, {"id": row.survey_id, "title": _title(row.definition), "versions": []}
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


def _page(problems: list[str] | None = None, status: int = 200) -> Any:
    page = render_template("dash/surveys.html", surveys=_listing(), problems=problems or [])
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
    """List every survey and its versions."""
    auth.require_role(*MANAGERS)
    return _page()


@bp.post("/")
def upload() -> Any:
    """Add a new survey version from a JSON file or an XLSForm."""
    auth.require_role(*MANAGERS)
    upload = request.files.get("survey")
    if upload is None or not upload.filename:
        return _page(["Choose a survey file (.json or .xlsx)"], 400)
    purpose = request.form.get("purpose", "").strip()
    try:
        definition = _definition(upload)
        if purpose:
            definition = write_purpose(definition, purpose)
        check_ready(definition)
        row, new = add_survey(db.session, definition)
    except (InvalidInput, AlreadyExists) as error:
        db.session.rollback()
        problems = error.details.get("problems") if isinstance(error.details, dict) else None
        return _page(list(problems) if problems else [error.message], 400)
    db.session.commit()
    verb = "added" if new else "was already there, unchanged"
    flash(f"{row.survey_id} version {row.version} {verb}.")
    return redirect(url_for("web.surveys.index"))
