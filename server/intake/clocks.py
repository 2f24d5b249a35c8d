"""Wrong clocks: which stored responses carry an implausible time, and whose devices sent them.

A response dated outside the accepted range (``survey_schemas.dates``) is refused at the edge.
One inside it can still be implausible: collected after the server received it (the device's
clock is ahead), or long before its survey version was added here (the clock is behind, or was
reset). Such a response is kept and counted, with a flag (``responses.clock_flag``), and the
devices page shows coordinators the devices whose clocks are off. No Flask.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import Response, SurveyVersion

#: A device clock this far ahead of the server's is still plausible (phones drift, NTP lags).
AHEAD_TOLERANCE = timedelta(minutes=10)
#: Collected this long before the survey version was added here is implausible.
EARLY_BY = timedelta(days=90)
AHEAD, EARLY = "ahead", "early"


def clock_flag(
    collected_at: datetime, received_at: datetime, added_at: datetime | None
) -> str | None:
    """Return ``"ahead"``, ``"early"`` or None (plausible) for one response's times."""
    if collected_at - received_at > AHEAD_TOLERANCE:
        return AHEAD
    if added_at is not None and added_at - collected_at > EARLY_BY:
        return EARLY
    return None


def flag_rows(session: Session, rows: Iterable[dict[str, Any]]) -> None:
    """Set ``clock_flag`` on response rows about to be stored (one query for their surveys)."""
    rows = list(rows)
    pairs = {(r["survey_id"], r["survey_version"]) for r in rows}
    added: dict[tuple[str, int], datetime] = {}
    if pairs:
        q = select(SurveyVersion.survey_id, SurveyVersion.version, SurveyVersion.added_at).where(
            SurveyVersion.survey_id.in_(sorted({p[0] for p in pairs}))
        )
        added = {(sid, v): at for sid, v, at in session.execute(q) if (sid, v) in pairs}
    for r in rows:
        key = (r["survey_id"], r["survey_version"])
        r["clock_flag"] = clock_flag(r["collected_at"], r["received_at"], added.get(key))


@dataclass(frozen=True)
class DeviceClock:
    """A device's responses with a flagged time: how many, which way, and the worst seen."""

    device_id: str
    ahead: int
    early: int
    latest_collected: datetime | None
    earliest_collected: datetime | None

    @property
    def summary(self) -> str:
        """Return the words the devices page shows."""
        parts = []
        if self.ahead:
            parts.append(f"{self.ahead} dated after they were received (clock ahead)")
        if self.early:
            parts.append(f"{self.early} dated long before their survey existed (clock behind)")
        return "; ".join(parts)


def clocks_off(session: Session, device_ids: Collection[str]) -> Mapping[str, DeviceClock]:
    """Return, for each of ``device_ids`` with a flagged response, what its clock did."""
    if not device_ids:
        return {}
    q = (
        select(
            Response.device_id,
            Response.clock_flag,
            func.count(),
            func.max(Response.collected_at),
            func.min(Response.collected_at),
        )
        .where(Response.device_id.in_(sorted(device_ids)), Response.clock_flag.is_not(None))
        .group_by(Response.device_id, Response.clock_flag)
    )
    found: dict[str, dict[str, Any]] = {}
    for device_id, flag, n, latest, earliest in session.execute(q):
        d = found.setdefault(device_id, {"ahead": 0, "early": 0, "latest": None, "earliest": None})
        d[flag if flag in (AHEAD, EARLY) else AHEAD] += n
        if flag == AHEAD:
            d["latest"] = latest
        else:
            d["earliest"] = earliest
    return {
        device_id: DeviceClock(device_id, d["ahead"], d["early"], d["latest"], d["earliest"])
        for device_id, d in found.items()
    }
