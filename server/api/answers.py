"""The bodies the server's API answers, as its OpenAPI document shows them.

Where a view builds a plain dict, the schema here says its shape once, for the document (and the
fuzz suite, which holds every answer to it); the sync answers are the wire schemas
(``sync/wire.py``). Names are unique in the project: the views' docstrings name them, and
marshmallow's registry finds them by name.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from sync import wire


class AreaListSchema(Schema):
    """``{"areas": [...]}``."""

    areas = fields.List(fields.Nested(wire.AreaWireSchema), required=True)


class LogEntrySchema(Schema):
    """One dated entry of an issue's log: a status change, an action, a public statement, or
    (kind ``due``) the report-back date set or moved, ``from`` the old date and ``to`` the new."""

    on = fields.Str(required=True)
    kind = fields.Str(required=True)
    from_ = fields.Str(data_key="from", allow_none=True)
    to = fields.Str(allow_none=True)
    text = fields.Str(allow_none=True)
    by = fields.Str(allow_none=True)  # who wrote it (null: the command line)


class EscalationSchema(Schema):
    """Why an issue is escalated (docs/meetings.md, "The escalation clock")."""

    area = fields.Str(required=True)
    category = fields.Str(required=True)
    kind = fields.Str(required=True, metadata={"enum": ["ignored", "overdue_twice"]})
    reason = fields.Str(required=True)
    since = fields.Str(required=True)
    residents = fields.Int(required=True)
    missed_report_backs = fields.List(fields.Str(), required=True)


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
    escalated = fields.Nested(EscalationSchema, allow_none=True)


class IssueListSchema(Schema):
    """``{"issues": [...], "escalated": [...]}``: escalated lists issues with no row too."""

    issues = fields.List(fields.Nested(TrackedIssueSchema), required=True)
    escalated = fields.List(fields.Nested(EscalationSchema))


class MeetingRecordSchema(Schema):
    """A stored meeting as the API answers it."""

    date = fields.Str(required=True)
    time = fields.Str(required=True)
    venue = fields.Str(required=True)
    chair = fields.Str(required=True)
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
    clock_flag = fields.Str(
        required=True,
        allow_none=True,
        validate=validate.OneOf(("ahead", "early")),
        metadata={
            "description": "ahead: collected after it was received; early: long before "
            "its survey version was added (the device's clock was off)"
        },
    )
    answers = fields.Dict(required=True)


class ResponsesPageSchema(Schema):
    """One page of the export; ``next`` is the cursor of the next page."""

    responses = fields.List(fields.Nested(StoredResponseSchema), required=True)
    next = fields.Str(required=True, allow_none=True)
