"""Import an offline bundle with the same idempotency and outcomes as push (no Flask)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from server.catalogue.surveys import finder_for
from server.exceptions import InvalidInput
from server.intake.ingest import Outcome, ingest_batch
from server.models import Device
from sync.bundle import BundleError, read_bundle

BATCH = 500


def import_bundle(
    session: Session,
    path: str | Path,
    *,
    now: datetime,
    personal_retention: timedelta | None = None,
) -> dict[str, Any]:
    """Ingest every response of a bundle in one transaction; return counts and outcomes.

    A damaged, truncated or foreign bundle raises :class:`InvalidInput` before anything is
    stored; a failure part way rolls everything back, so a bundle is never half imported.
    """
    try:
        manifest, responses = read_bundle(path)
    except BundleError as error:
        raise InvalidInput(f"refused {path}: {error}", details={"bundle": str(path)}) from None
    device = manifest.get("device")
    origin = str(device)[:36] if device else None
    # What its device may answer: a group's device never had another group's own survey.
    # A group's device writes only to its group's areas, as when it pushes; a bundle from a
    # device this server never enrolled is an admin's to import, as from a device with no group.
    known = session.get(Device, origin) if origin else None
    group_id = known.group_id if known is not None else None
    find = finder_for(session, group_id)
    outcomes: list[Outcome] = []
    try:
        for start in range(0, len(responses), BATCH):
            outcomes += ingest_batch(
                session,
                responses[start : start + BATCH],
                now=now,
                device_id=origin,
                group_id=group_id,
                source="import",
                find=find,
                personal_retention=personal_retention,
                commit=False,
                check_text=True,  # a NUL or lone surrogate: that response is rejected
            )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    counts = Counter(o.status for o in outcomes)
    return {
        "file": str(path),
        "device": device,
        "count": len(outcomes),
        **{status: counts.get(status, 0) for status in ("accepted", "duplicate", "conflict")},
        "rejected": counts.get("rejected", 0),
        "results": [o.to_wire() for o in outcomes],
    }
