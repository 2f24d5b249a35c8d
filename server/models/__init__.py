"""The server's tables, one module per idea; every module in this package is loaded here.

A teammate adds tables by dropping a module into this package (e.g. ``server/models/merge.py``):
it is imported below, so ``db.metadata`` and Alembic autogenerate see it without other edits.
"""

from __future__ import annotations

import importlib
import pkgutil

from server.models.core import ApiToken, Area, Group, SurveyVersion, User, user_groups
from server.models.devices import Device, EnrollmentCode
from server.models.feed import ChangeLog, Issue, ServerState
from server.models.responses import PersonalDetail, Response, ResponseConflict
from server.models.sessions import SessionEpoch
from server.models.throttle import FailedAttempt

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "ApiToken",
    "Area",
    "ChangeLog",
    "Device",
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
