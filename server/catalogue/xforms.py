"""The XForms a device is served (DESIGN: OpenRosa contract), rendered once and kept (no Flask).

A device's form offers its group's areas (every area for a device of no group) and every method
of the survey. The bytes of one (survey version, areas) are rendered by pyxform once and kept,
so the form list's ``md5:`` hash is over exactly the bytes the download serves, and the form
list of 20 surveys costs 20 dictionary look-ups after the first request.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.catalogue.surveys import finder_for, registry_for
from server.models import Area
from survey_schemas import Survey
from survey_schemas.xform import XFormError, render_xform
from sync.openrosa import form_hash

__all__ = ["Form", "device_areas", "form_for", "offered_forms"]

log = logging.getLogger(__name__)
_KEPT = 512  # forms kept: 20 surveys x 25 groups' area lists
_FORMS: OrderedDict[tuple[object, ...], Form | None] = OrderedDict()
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Form:
    """One survey version as an XForm: its exact bytes and their form-list hash."""

    survey: Survey
    xml: bytes
    hash: str


def device_areas(session: Session, group_id: int | None) -> list[tuple[str, str]]:
    """Return ``(code, name)`` of the areas a device of ``group_id`` works in (None: all)."""
    query = select(Area.code, Area.name).order_by(Area.code)
    if group_id is not None:
        query = query.where(Area.group_id == group_id)
    return [(code, name) for code, name in session.execute(query)]


def offered_forms(session: Session, group_id: int | None) -> list[Form]:
    """Return the form of the latest version of each survey a device of ``group_id`` answers.

    Ordered by survey id. A survey that cannot be an XForm (see docs/odk-collect.md) is left
    out and logged; a device with no areas is offered nothing.
    """
    find = finder_for(session, group_id)
    areas = tuple(device_areas(session, group_id))
    latest: dict[str, Survey] = {}
    for survey in registry_for(session):
        if find(survey.id, survey.version) is None:
            continue
        if survey.id not in latest or survey.version > latest[survey.id].version:
            latest[survey.id] = survey
    forms = (_form(latest[sid], areas) for sid in sorted(latest))
    return [form for form in forms if form is not None]


def form_for(session: Session, group_id: int | None, survey_id: str, version: int) -> Form | None:
    """Return the form of one survey version a device of ``group_id`` may answer, or None."""
    survey = finder_for(session, group_id)(survey_id, version)
    if survey is None:
        return None
    return _form(survey, tuple(device_areas(session, group_id)))


def _form(survey: Survey, areas: tuple[tuple[str, str], ...]) -> Form | None:
    """Return the kept form of ``survey`` offering ``areas``, rendering it the first time."""
    if not areas:
        return None
    key = (survey.id, survey.version, survey.content_hash, areas)
    with _LOCK:
        if key in _FORMS:
            _FORMS.move_to_end(key)
            return _FORMS[key]
    try:
        xml = render_xform(survey, areas)
        form: Form | None = Form(survey, xml, form_hash(xml))
    except XFormError as error:
        log.warning("%s v%s is not offered to ODK clients: %s", survey.id, survey.version, error)
        form = None
    with _LOCK:
        _FORMS[key] = form
        while len(_FORMS) > _KEPT:
            _FORMS.popitem(last=False)
    return form
