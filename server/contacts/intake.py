"""What the server keeps of the contact details that arrive: sealed ones only (no Flask).

Devices seal each detail to the area's group's contact key before saving it. A detail that
arrives in the clear anyway (an ODK client, an older collector or bundle) is sealed here, at
once, to that group's newest key, so the database never holds it in the clear; with no key for
the group it is not kept at all. A sealed detail is kept only under an active key of the
response's own group, the only key that could ever open it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.sealing import ContactKey as PublicKey
from collector.sealing import is_sealed, seal_field
from server.models import Area
from server.models.contacts import ContactKey

__all__ = ["keep_sealed"]


def keep_sealed(
    session: Session, details: Mapping[str, Mapping[str, Any]], areas: Mapping[str, str]
) -> dict[str, dict[str, Any]]:
    """Return each response's details as they may be stored: every field sealed to its group.

    ``details`` maps response id to its personal fields, ``areas`` response id to its area.
    Responses left with no field are left out.
    """
    if not details:
        return {}
    group_of = {code: gid for code, gid in session.execute(select(Area.code, Area.group_id))}
    active: dict[int, list[ContactKey]] = {}
    query = (
        select(ContactKey)
        .where(ContactKey.retired_at.is_(None))
        .order_by(ContactKey.created_at.desc(), ContactKey.id.desc())
    )
    for key in session.scalars(query):
        active.setdefault(key.group_id, []).append(key)
    out: dict[str, dict[str, Any]] = {}
    for rid, fields in details.items():
        keys = active.get(group_of.get(areas.get(rid, "")) or -1, [])
        if not keys:
            continue
        kids = {k.kid for k in keys}
        newest = PublicKey.from_wire(
            {"kid": keys[0].kid, "group": "", "public_key": keys[0].public_key}
        )
        kept: dict[str, Any] = {}
        for name, value in fields.items():
            if is_sealed(value):
                if value["kid"] in kids:
                    kept[name] = dict(value)
            elif isinstance(value, str) and value:
                kept[name] = seal_field(value, newest, rid, name)
        if kept:
            out[rid] = kept
    return out
