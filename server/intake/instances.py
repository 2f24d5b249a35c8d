"""Ingest one submitted XForm instance (ODK Collect, Enketo, Web Forms) as a push of one (no Flask).

The instance is read into a response of the push wire (``sync.openrosa.parse_instance``) with
the survey versions the device may answer, then goes through the very ingest push uses, so it
is stored exactly once, a resend is a duplicate and other content under the same instanceID is
a conflict kept for a coordinator; a device of a group writes only to that group's areas and
responses, as with push. The edge turns the :class:`Submission` into a status code and the
OpenRosa message Collect shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from server.catalogue.surveys import finder_for
from server.intake.ingest import ingest_batch
from server.models import Device
from sync.openrosa import InstanceError, parse_instance, summary

__all__ = ["SOURCE", "Submission", "ingest_instance"]

SOURCE = "openrosa"  # the ``source`` of responses that came as XForm instances
# What a volunteer is told, by outcome (Collect shows the message under the form's name).
MESSAGES = {
    "accepted": "Thank you: doorstep has this response.",
    "duplicate": "doorstep already had this response; nothing changed.",
    "conflict": "doorstep already has a different response with this form's instanceID. "
    "Both are kept for a coordinator to check; there is no need to send it again.",
}


@dataclass(frozen=True)
class Submission:
    """What became of one instance: ``status`` is a push outcome or ``refused`` (unreadable).

    ``code`` is the push outcome or an :data:`sync.openrosa.INSTANCE_ERROR_CODES` code;
    ``message`` is the one sentence Collect shows; ``errors`` names fields, as push does.
    """

    status: str
    code: str
    message: str
    response_id: str | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)


def ingest_instance(
    session: Session,
    data: bytes,
    *,
    device: Device,
    now: datetime,
    personal_retention: timedelta | None = None,
) -> Submission:
    """Read and store one instance sent by ``device``; commit; return what became of it."""
    find = finder_for(session, device.group_id)
    try:
        response = parse_instance(data, find)
    except InstanceError as error:
        return Submission("refused", error.code, error.message, errors=error.errors)
    (outcome,) = ingest_batch(
        session,
        [response],
        now=now,
        device=device,
        source=SOURCE,
        find=find,
        personal_retention=personal_retention,
        check_text=True,
    )
    if outcome.status == "rejected":
        errors = outcome.errors or {"_": ["not a valid response"]}
        code = outcome.code or "rejected"
        return Submission("rejected", code, summary(errors), outcome.id, dict(errors))
    return Submission(outcome.status, outcome.status, MESSAGES[outcome.status], outcome.id)
