"""The server's tables, one module per idea, each imported here by name.

A new module of tables must be imported below too: ``db.metadata`` (and so Alembic's
autogenerate and ``create_all``) knows only the tables of imported modules.
``tests/test_layers.py`` fails when a module of this package is not imported here.
"""

from __future__ import annotations

from server.models import crime, meetings, merge, reach  # noqa: F401 (their tables)
from server.models.contacts import ContactKey, ContactMark
from server.models.core import ApiToken, Area, Group, SurveyVersion, User, user_groups
from server.models.devices import Device, EnrollmentCode
from server.models.feed import ChangeLog, Issue, ServerState
from server.models.responses import PersonalDetail, Response, ResponseConflict
from server.models.sessions import EndedSession, SessionEpoch
from server.models.throttle import FailedAttempt

__all__ = [
    "ApiToken",
    "Area",
    "ChangeLog",
    "ContactKey",
    "ContactMark",
    "Device",
    "EndedSession",
    "EnrollmentCode",
    "FailedAttempt",
    "Group",
    "Issue",
    "PersonalDetail",
    "Response",
    "ResponseConflict",
    "ServerState",
    "SessionEpoch",
    "SurveyVersion",
    "User",
    "user_groups",
]
