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
from server.models import Area, PersonalDetail, Response
from server.models.contacts import ContactKey

__all__ = ["keep_sealed", "seal_fields", "seal_stored"]


def seal_fields(
    fields: Mapping[str, Any], newest: PublicKey, kids: set[str], rid: str
) -> dict[str, Any]:
    """Return the fields that may be kept: sealed under one of ``kids``, or sealed here.

    A detail in the clear is sealed to ``newest``, bound to ``rid`` and its field name; one
    sealed under any other key (nothing could ever open it) or empty is left out.
    """
    kept: dict[str, Any] = {}
    for name, value in fields.items():
        if is_sealed(value):
            if value["kid"] in kids:
                kept[name] = dict(value)
        elif isinstance(value, str) and value:
            kept[name] = seal_field(value, newest, rid, name)
    return kept


def _public(key: ContactKey) -> PublicKey:
    return PublicKey.from_wire({"kid": key.kid, "group": "", "public_key": key.public_key})


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
        kept = seal_fields(fields, _public(keys[0]), {k.kid for k in keys}, rid)
        if kept:
            out[rid] = kept
    return out


def seal_stored(session: Session, key: ContactKey) -> int:
    """Seal to ``key`` every detail of its group still stored in the clear; return how many rows.

    Details stored before sealing existed (or in any other way in the clear) are sealed under
    the group's new key when it is made, so no plaintext outlives the group's first key. Sealed
    fields are left as they are; a row left with no field is deleted.
    """
    codes = select(Area.code).where(Area.group_id == key.group_id)
    rows = session.scalars(
        select(PersonalDetail)
        .join(Response, Response.id == PersonalDetail.response_id)
        .where(Response.area.in_(codes))
        .order_by(PersonalDetail.id)
    )
    public = _public(key)
    changed = 0
    for row in rows:
        data = dict(row.data or {})
        if all(is_sealed(value) for value in data.values()) and data:
            continue
        kids = {v["kid"] for v in data.values() if is_sealed(v)}
        kept = seal_fields(data, public, kids, row.response_id)
        if kept:
            row.data = kept
        else:
            session.delete(row)
        changed += 1
    session.flush()
    return changed
