"""Survey versions the server knows: add them (logged for pull) and build a registry (no Flask)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey_schemas import (
    SurveyError,
    SurveyRegistry,
    VersionConflict,
    bundled_dir,
    load_survey,
    load_survey_file,
)
from survey_schemas.readiness import unready_problems

from .exceptions import AlreadyExists, InvalidInput
from .feed import record_change
from .models import SurveyVersion

_CACHE: OrderedDict[tuple[Any, ...], SurveyRegistry] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def add_survey(session: Session, definition: dict[str, Any]) -> tuple[SurveyVersion, bool]:
    """Add a released survey version; return it and whether it was new.

    The same version again with the same content is a no-op; with other content it is
    :class:`AlreadyExists` (a released version is never edited).
    """
    try:
        survey = load_survey(definition)
    except SurveyError as error:
        raise InvalidInput(
            "the survey is not valid", details={"problems": error.problems}
        ) from None
    existing = session.scalar(
        select(SurveyVersion).where(
            SurveyVersion.survey_id == survey.id, SurveyVersion.version == survey.version
        )
    )
    if existing is not None:
        if existing.content_hash == survey.content_hash:
            return existing, False
        raise AlreadyExists(
            f"{survey.id} version {survey.version} is already released with other content; "
            "publish the change as a new version",
            details={"survey_id": survey.id, "version": survey.version},
        )
    row = SurveyVersion(
        survey_id=survey.id,
        version=survey.version,
        definition=dict(survey.definition),
        content_hash=survey.content_hash,
    )
    session.add(row)
    session.flush()
    record_change(session, "survey", row.id)
    return row, True


def check_ready(definition: dict[str, Any]) -> None:
    """Raise :class:`InvalidInput` if a survey may not be used yet (a placeholder purpose)."""
    problems = unready_problems(definition)
    if problems:
        raise InvalidInput("the survey is not ready to be used", details={"problems": problems})


def add_bundled_surveys(session: Session) -> list[SurveyVersion]:
    """Add every survey shipped with doorstep that is not there yet; return the new ones."""
    added = []
    for path in sorted(bundled_dir().glob("*.json")):
        survey = load_survey_file(path)
        row, new = add_survey(session, dict(survey.definition))
        if new:
            added.append(row)
    return added


def registry_for(session: Session) -> SurveyRegistry:
    """Return a registry of every survey version ever added (cached until one is added)."""
    rows = session.execute(select(SurveyVersion.id, SurveyVersion.content_hash))
    key = (str(session.get_bind().url), *sorted((sid, digest) for sid, digest in rows))
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    registry = SurveyRegistry()
    for row in session.scalars(select(SurveyVersion).order_by(SurveyVersion.id)):
        try:
            registry.add(dict(row.definition))
        except VersionConflict:  # pragma: no cover - the unique constraint forbids it
            continue
    with _CACHE_LOCK:
        _CACHE[key] = registry
        while len(_CACHE) > 8:
            _CACHE.popitem(last=False)
    return registry
