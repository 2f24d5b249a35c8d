"""What the server's OpenAPI document says of each API route: auth, inputs and answers.

Request bodies and query parameters come from the marshmallow schemas the views load with;
answers come from the wire schemas (``sync/wire.py``) or, where a view builds a plain dict,
from the output schemas below, which say the same shape once.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from collector.api.openapi import Converter, Op
from server.schemas import (
    ActionSchema,
    ActivitySchema,
    AgendaQuery,
    AgreeSchema,
    CrimeQuery,
    DecisionSchema,
    MeetingSchema,
    PeriodQuery,
    PublicSchema,
    QueueQuery,
    ResponsesQuery,
    StatusSchema,
)
from survey_schemas import ResponseSchema
from sync import wire

DEVICE, USER, NONE = "deviceToken", "apiToken", "none"
# Every route behind a token can answer these; each operation adds its own.
AUTH_ERRORS = (401, 403)
BODY_ERRORS = (400, 413, 415)

SECURITY_SCHEMES = {
    DEVICE: {
        "type": "http",
        "scheme": "bearer",
        "description": "a device token from POST /api/v1/devices/enroll",
    },
    USER: {
        "type": "http",
        "scheme": "bearer",
        "description": "a user's API token from `doorstep server create-user` (or the "
        "dashboard's signed-in session); x-roles lists the roles that may call",
    },
}


class AreaListSchema(Schema):
    """``{"areas": [...]}``."""

    areas = fields.List(fields.Nested(wire.AreaWireSchema), required=True)


class LogEntrySchema(Schema):
    """One dated entry of an issue's action log."""

    on = fields.Str(required=True)
    kind = fields.Str(required=True)
    from_ = fields.Str(data_key="from", allow_none=True)
    to = fields.Str(allow_none=True)
    text = fields.Str(allow_none=True)


class TrackedIssueSchema(Schema):
    """An issue with its plan, overdue flag and log."""

    id = fields.Int(required=True)
    area = fields.Str(required=True)
    category = fields.Str(required=True)
    status = fields.Str(required=True)
    owner = fields.Str(required=True, allow_none=True)
    public_text = fields.Str(required=True, allow_none=True)
    agreed_on = fields.Str(required=True, allow_none=True)
    report_back = fields.Str(required=True, allow_none=True)
    overdue = fields.Bool(required=True)
    log = fields.List(fields.Nested(LogEntrySchema), required=True)


class IssueListSchema(Schema):
    """``{"issues": [...]}``."""

    issues = fields.List(fields.Nested(TrackedIssueSchema), required=True)


class MeetingRecordSchema(Schema):
    """A stored meeting as the API answers it."""

    date = fields.Str(required=True)
    apologies = fields.List(fields.Str(), required=True)
    minutes = fields.Str(required=True)
    aob = fields.List(fields.Str(), required=True)
    next_date = fields.Str(required=True, allow_none=True)


class MeetingListSchema(Schema):
    """``{"meetings": [...]}``, newest first."""

    meetings = fields.List(fields.Nested(MeetingRecordSchema), required=True)


class PrioritySchema(Schema):
    """One ranked issue of an area."""

    category = fields.Str(required=True)
    label = fields.Str(required=True)
    mentions = fields.Int(required=True)
    respondents = fields.Int(required=True)
    share = fields.Float(required=True)
    mean_severity = fields.Float(required=True, allow_none=True)
    score = fields.Float(required=True)
    trend = fields.Str(required=True)
    previous = fields.Dict(required=True)
    by_method = fields.Dict(keys=fields.Str(), values=fields.Int(), required=True)
    respondents_by_method = fields.Dict(keys=fields.Str(), values=fields.Int(), required=True)
    status = fields.Str(required=True)
    owner = fields.Str(required=True, allow_none=True)
    quotes = fields.List(fields.Raw(), required=True)


class PrioritiesSchema(Schema):
    """An area's ranked issues over a period."""

    area = fields.Dict(required=True)
    since = fields.Str(required=True)
    until = fields.Str(required=True)
    method = fields.Str(required=True, allow_none=True)
    respondents = fields.Int(required=True)
    respondents_by_method = fields.Dict(keys=fields.Str(), values=fields.Int(), required=True)
    priorities = fields.List(fields.Nested(PrioritySchema), required=True)


class ReachSchema(Schema):
    """An area's reach ledger by method, and who was reached."""

    area = fields.Str(required=True)
    since = fields.Str(required=True)
    until = fields.Str(required=True)
    methods = fields.List(fields.Dict(), required=True)
    reached = fields.List(fields.Dict(), required=True)


class ActivityStoredSchema(Schema):
    """The session and door ids the collector may mark as synced."""

    sessions = fields.List(fields.Str(), required=True)
    doors = fields.List(fields.Str(), required=True)


class TriageItemSchema(Schema):
    """Identical texts waiting in one area, once, with how many said them."""

    id = fields.Int(required=True)
    area = fields.Str(required=True)
    text = fields.Str(required=True)
    count = fields.Int(required=True)
    first_day = fields.Str(required=True)
    status = fields.Str(required=True)
    category = fields.Str(required=True, allow_none=True)


class TriageQueueSchema(Schema):
    """``{"items": [...], "pending"}``."""

    items = fields.List(fields.Nested(TriageItemSchema), required=True)
    pending = fields.Int(required=True)


class TriageDecisionSchema(Schema):
    """What a triage decision settled."""

    id = fields.Int(required=True)
    category = fields.Str(required=True, allow_none=True)
    settled = fields.Int(required=True)


class CrimeCategorySchema(Schema):
    """One police.uk category's recorded count, in all and by month."""

    category = fields.Str(required=True)
    count = fields.Int(required=True)
    by_month = fields.Dict(keys=fields.Str(), values=fields.Int(), required=True)


class CrimeSchema(Schema):
    """An area's recorded crime between two months."""

    area = fields.Str(required=True)
    since = fields.Str(required=True)
    until = fields.Str(required=True)
    categories = fields.List(fields.Nested(CrimeCategorySchema), required=True)


class StoredResponseSchema(Schema):
    """A stored response as the export shows it (never its personal data)."""

    id = fields.Str(required=True)
    survey_id = fields.Str(required=True)
    survey_version = fields.Int(required=True)
    area = fields.Str(required=True)
    method = fields.Str(required=True)
    collected_at = fields.Str(required=True)
    received_at = fields.Str(required=True)
    language = fields.Str(required=True, allow_none=True)
    street = fields.Str(required=True, allow_none=True)
    replaces = fields.Str(required=True, allow_none=True)
    conflict = fields.Bool(required=True)
    answers = fields.Dict(required=True)


class ResponsesPageSchema(Schema):
    """One page of the export; ``next`` is the cursor of the next page."""

    responses = fields.List(fields.Nested(StoredResponseSchema), required=True)
    next = fields.Str(required=True, allow_none=True)


ANSWERS: tuple[Schema, ...] = (
    wire.HealthSchema(),
    wire.EnrollResponseSchema(),
    wire.PushResponseSchema(),
    wire.PullResponseSchema(),
    ResponseSchema(),
    AreaListSchema(),
    IssueListSchema(),
    TrackedIssueSchema(),
    MeetingListSchema(),
    MeetingRecordSchema(),
    PrioritiesSchema(),
    ReachSchema(),
    ActivityStoredSchema(),
    TriageQueueSchema(),
    TriageDecisionSchema(),
    ResponsesPageSchema(),
    CrimeSchema(),
)


def converter() -> Converter:
    """Return a converter holding every answer schema as a component."""
    conv = Converter()
    for schema in ANSWERS:
        conv.ref(schema)
    return conv


def _user(summary: str, answer: str | None, **kw: Any) -> Op:
    errors = (*AUTH_ERRORS, 404, *kw.pop("errors", ()))
    return Op(summary, USER, answer, errors=errors, **kw)


OPERATIONS: dict[tuple[str, str], Op] = {
    ("GET", "/api/v1/health"): Op(
        "Say the server is up and which sync protocol it speaks", NONE, "Health"
    ),
    ("GET", "/api/v1/openapi.json"): Op(
        "This document", NONE, raw_answer={"type": "object", "required": ["openapi", "paths"]}
    ),
    ("POST", "/api/v1/devices/enroll"): Op(
        "Enroll a device with a single-use, expiring code",
        NONE,
        "EnrollResponse",
        status=201,
        body=wire.EnrollRequestSchema(),
        errors=(*BODY_ERRORS, 401, 410, 429),
        description="401 invalid_enrollment_code; 410 enrollment_code_used or "
        "enrollment_code_expired; 429 too_many_attempts after repeated failures from one "
        "address. The token is shown only in this answer.",
    ),
    ("POST", "/api/v1/sync/push"): Op(
        "Push a batch of responses; one result per response, in request order",
        DEVICE,
        "PushResponse",
        body=wire.PushRequestSchema(),
        errors=(*BODY_ERRORS, 401),
        description="Body may be gzip (Content-Encoding: gzip). Each item should be a "
        "Response; items are checked one by one, so a bad item is `rejected` with its errors "
        "and never fails its neighbours. Status per item: accepted, duplicate, conflict or "
        "rejected. Committed before the answer.",
    ),
    ("GET", "/api/v1/sync/pull"): Op(
        "Pull what changed since the cursor: surveys, areas and issue statuses",
        DEVICE,
        "PullResponse",
        query=wire.PullQuerySchema(),
        errors=(400, 401, 410),
    ),
    ("POST", "/api/v1/sync/activity"): Op(
        "Store a collector's sessions and door outcomes",
        DEVICE,
        "ActivityStored",
        body=ActivitySchema(),
        errors=(*BODY_ERRORS, 401),
    ),
    ("GET", "/api/v1/areas"): _user(
        "List the areas the caller may see, with their group", "AreaList"
    ),
    ("GET", "/api/v1/responses"): _user(
        "Page through stored responses, oldest first, without personal data",
        "ResponsesPage",
        query=ResponsesQuery(),
        errors=(400,),
        other_types=("text/csv",),
        description="`Accept: text/csv` answers CSV, with the next cursor in X-Next-Cursor.",
    ),
    ("GET", "/api/v1/areas/<code>/priorities"): _user(
        "Rank an area's issues over a period", "Priorities", query=PeriodQuery(), errors=(400,)
    ),
    ("GET", "/api/v1/areas/<code>/crime"): _user(
        "Count an area's recorded crime by police.uk category and month",
        "Crime",
        query=CrimeQuery(),
        errors=(400,),
        description="From data.police.uk street-level files imported with "
        "`doorstep server import-crime`; default the 12 months to the latest imported.",
    ),
    ("GET", "/api/v1/areas/<code>/reach"): _user(
        "Show an area's reach by method and who was reached",
        "Reach",
        query=PeriodQuery(),
        errors=(400,),
    ),
    ("GET", "/api/v1/areas/<code>/issues"): _user(
        "List an area's issues with status, owner, report-back date and log", "IssueList"
    ),
    ("POST", "/api/v1/areas/<code>/issues"): _user(
        "Record an agreed priority: owner (a provider) and report-back date",
        "TrackedIssue",
        status=201,
        body=AgreeSchema(),
        errors=BODY_ERRORS,
    ),
    ("POST", "/api/v1/issues/<int:issue_id>/status"): _user(
        "Move an issue to a new status with a dated note",
        "TrackedIssue",
        body=StatusSchema(),
        errors=BODY_ERRORS,
        description="A provider may only mark its issues in_progress or resolved (403).",
    ),
    ("POST", "/api/v1/issues/<int:issue_id>/actions"): _user(
        "Log a dated action on an issue",
        "TrackedIssue",
        status=201,
        body=ActionSchema(),
        errors=BODY_ERRORS,
    ),
    ("PUT", "/api/v1/issues/<int:issue_id>/public"): _user(
        'Publish the issue\'s public "you said, we did" statement',
        "TrackedIssue",
        body=PublicSchema(),
        errors=BODY_ERRORS,
    ),
    ("GET", "/api/v1/provider/issues"): _user(
        "List the issues assigned to the calling provider", "IssueList"
    ),
    ("GET", "/api/v1/groups/<group>/meetings"): _user(
        "List a group's meetings, newest first", "MeetingList"
    ),
    ("PUT", "/api/v1/groups/<group>/meetings"): _user(
        "Record (or update) the group's meeting on a date",
        "MeetingRecord",
        body=MeetingSchema(),
        errors=BODY_ERRORS,
    ),
    ("GET", "/api/v1/groups/<group>/agenda"): _user(
        "Generate the agenda of the group's meeting",
        None,
        raw_answer={"type": "object"},
        query=AgendaQuery(),
        errors=(400,),
        other_types=("text/markdown", "text/html", "text/csv"),
        description="`format` json (default), md, html or csv chooses the media type.",
    ),
    ("GET", "/api/v1/triage"): _user(
        "List free texts waiting for a category", "TriageQueue", query=QueueQuery(), errors=(400,)
    ),
    ("POST", "/api/v1/triage/<int:item_id>"): _user(
        "Map a free text to a category, or dismiss it (category null)",
        "TriageDecision",
        body=DecisionSchema(),
        errors=BODY_ERRORS,
    ),
}
