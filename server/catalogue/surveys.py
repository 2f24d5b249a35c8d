"""Survey versions the server knows: add them (logged for pull) and build a registry (no Flask).

A survey is every group's (bundled, or added by an admin) or one group's own (added by its
coordinator): only that group's devices take it, and only its coordinators add its versions.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.accounts.users import get_group
from server.exceptions import AlreadyExists, Forbidden, InvalidInput
from server.feed import hold_feed_lock, record_change
from server.models import Group, SurveyVersion
from survey_schemas import (
    Survey,
    SurveyError,
    SurveyRegistry,
    VersionConflict,
    bundled_files,
    load_survey,
    load_survey_file,
)
from survey_schemas.readiness import unready_problems

Find = Callable[[Any, Any], Survey | None]
Owners = dict[tuple[str, int], int]
_CACHE: OrderedDict[tuple[Any, ...], tuple[SurveyRegistry, Owners]] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def add_survey(
    session: Session,
    definition: dict[str, Any],
    *,
    group: str | None = None,
    allowed: Collection[int] | None = None,
) -> tuple[SurveyVersion, bool]:
    """Add a released survey version; return it and whether it was new.

    ``group`` (a group's code) makes a new survey that group's own; without it the survey is
    every group's. A new version stays with its survey's group. ``allowed`` are the ids of the
    groups the person adding it coordinates (None: an admin): they add only their groups' own
    surveys, else :class:`Forbidden`. The same version again with the same content is a no-op;
    with other content it is :class:`AlreadyExists` (a released version is never edited).
    """
    try:
        survey = load_survey(definition)
    except SurveyError as error:
        raise InvalidInput(
            "the survey is not valid", details={"problems": error.problems}
        ) from None
    # Two first uploads of one id at once must not give its versions two groups: wait for
    # any other writer of the feed (which every new version is) before looking.
    hold_feed_lock(session)
    owner = _owner(session, survey.id, group, allowed)
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
        group_id=owner,
    )
    session.add(row)
    session.flush()
    record_change(session, "survey", row.id, group_id=owner)
    return row, True


def _owner(
    session: Session, survey_id: str, group: str | None, allowed: Collection[int] | None
) -> int | None:
    """Return the id of the group a version of ``survey_id`` belongs to (None: every group).

    A new survey is ``group``'s (a coordinator must name one of theirs). A new version stays
    with its survey's group: a coordinator's choice of group does not move it (they may hold
    several, and the form always names one); an admin naming another group is told.
    """
    chosen = get_group(session, group) if group is not None else None
    first = session.execute(
        select(SurveyVersion.group_id)
        .where(SurveyVersion.survey_id == survey_id)
        .order_by(SurveyVersion.id)
        .limit(1)
    ).first()
    if first is None:  # a new survey
        if allowed is not None and (chosen is None or chosen.id not in allowed):
            raise Forbidden("choose one of your groups: the survey will be its own")
        return chosen.id if chosen is not None else None
    released: int | None = first[0]
    if allowed is not None:
        if released in allowed:
            return released
        if released is None:
            whose, who = "every group's survey", "an admin"
        else:
            whose, who = "another group's survey", "that group's coordinators or an admin"
        raise Forbidden(
            f"{survey_id} is {whose}; only {who} can add a version of it. "
            "To ask something else, give your survey its own id",
            details={"survey_id": survey_id},
        )
    if chosen is not None and chosen.id != released:
        raise InvalidInput(
            f"{survey_id} is {whose_survey(session, released)}; its new versions stay with it",
            details={"survey_id": survey_id, "group": group},
        )
    return released


def whose_survey(session: Session, group_id: int | None) -> str:
    """Say whose a survey is: "every group's survey" or "<group name>'s own survey"."""
    owner = session.get(Group, group_id) if group_id is not None else None
    return f"{owner.name}'s own survey" if owner is not None else "every group's survey"


def check_ready(definition: dict[str, Any]) -> None:
    """Raise :class:`InvalidInput` if a survey may not be used yet (a placeholder purpose)."""
    problems = unready_problems(definition)
    if problems:
        raise InvalidInput("the survey is not ready to be used", details={"problems": problems})


def add_bundled_surveys(session: Session) -> list[SurveyVersion]:
    """Add every survey version shipped with doorstep that is not there yet; return the new ones.

    Every bundled version is added, oldest first, so that responses collected with an earlier
    one are still accepted by a server set up after the later one came out.
    """
    added = []
    for path in bundled_files():
        survey = load_survey_file(path)
        row, new = add_survey(session, dict(survey.definition))
        if new:
            added.append(row)
    return added


def registry_for(session: Session) -> SurveyRegistry:
    """Return a registry of every survey version ever added (cached until one is added)."""
    return _catalogue(session)[0]


def finder_for(session: Session, group_id: int | None) -> Find:
    """Return a lookup of the survey versions a device of ``group_id`` (None: any) may answer.

    Another group's own survey is unknown to it, as it never pulls one.
    """
    registry, owners = _catalogue(session)
    if group_id is None or not owners:
        return registry.find

    def find(survey_id: Any, version: Any) -> Survey | None:
        survey = registry.find(survey_id, version)
        if survey is None or owners.get(survey.key, group_id) != group_id:
            return None
        return survey

    return find


def _catalogue(session: Session) -> tuple[SurveyRegistry, Owners]:
    """Return the registry and each group-owned version's group (cached until one is added)."""
    rows = session.execute(select(SurveyVersion.id, SurveyVersion.content_hash))
    key = (str(session.get_bind().url), *sorted((sid, digest) for sid, digest in rows))
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    registry = SurveyRegistry()
    owners: Owners = {}
    for row in session.scalars(select(SurveyVersion).order_by(SurveyVersion.id)):
        try:
            registry.add(dict(row.definition))
        except VersionConflict:  # pragma: no cover - the unique constraint forbids it
            continue
        if row.group_id is not None:
            owners[(row.survey_id, row.version)] = row.group_id
    with _CACHE_LOCK:
        _CACHE[key] = (registry, owners)
        while len(_CACHE) > 8:
            _CACHE.popitem(last=False)
    return registry, owners
