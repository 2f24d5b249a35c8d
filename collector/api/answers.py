"""The bodies the collector's contract endpoints answer, as the OpenAPI document shows them.

The views build plain dicts; these schemas say their shape once, for the document (and the fuzz
suite, which holds every answer to it). Names are unique in the project: the views' docstrings
name them, and marshmallow's registry finds them by name.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from survey_schemas import ResponseSchema


class CollectorHealthSchema(Schema):
    """``{"status": "ok"}``."""

    status = fields.Str(required=True)


class NewResponseSchema(ResponseSchema):
    """A response as a client posts it: the collector fills ``id`` and ``collected_at``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(partial=("id", "collected_at"), **kwargs)


class SavedSchema(Schema):
    """The id of a response that is durable on disk."""

    id = fields.Str(required=True)


class StoreStatusSchema(Schema):
    """Counts of stored, unsynced, rejected and conflicting responses; the last sync time."""

    stored = fields.Int(required=True)
    unsynced = fields.Int(required=True)
    rejected = fields.Int(required=True)
    conflicts = fields.Int(required=True)
    last_sync = fields.Str(required=True, allow_none=True)


class SurveyListSchema(Schema):
    """The latest version of each survey, in the core format (docs/survey-format.md)."""

    surveys = fields.List(fields.Dict(), required=True)


class CollectorAreaSchema(Schema):
    """An area this collector knows: as pulled from its server (``deleted`` marks one it
    removed), or from the demo set."""

    code = fields.Str(required=True)
    name = fields.Str()
    group = fields.Str()
    group_name = fields.Str()
    households = fields.Int(allow_none=True)
    streets = fields.List(fields.Str())
    deleted = fields.Bool()


class CollectorAreaListSchema(Schema):
    """``{"areas": [...]}``."""

    areas = fields.List(fields.Nested(CollectorAreaSchema), required=True)
