"""Device enrollment: single-use expiring codes, device tokens, revocation (no Flask)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.accounts.tokens import hash_secret, matches, new_code, new_token, normalise_code
from server.accounts.users import get_group
from server.exceptions import (
    EnrollmentExpired,
    EnrollmentInvalid,
    EnrollmentUsed,
    InvalidToken,
    NotFound,
)
from server.models import Device, EnrollmentCode


def create_code(
    session: Session,
    *,
    now: datetime,
    ttl_seconds: int,
    label: str | None = None,
    group: str | None = None,
) -> tuple[str, datetime]:
    """Make a single-use enrollment code; return it (shown once) and when it expires."""
    code = new_code()
    expires_at = now + timedelta(seconds=ttl_seconds)
    session.add(
        EnrollmentCode(
            code_hash=hash_secret(normalise_code(code)),
            label=label,
            group=get_group(session, group) if group else None,
            created_at=now,
            expires_at=expires_at,
        )
    )
    session.flush()
    return code, expires_at


def enroll(session: Session, code: str, label: str, *, now: datetime) -> tuple[str, str]:
    """Spend a code on a new device; return ``(device_id, token)``.

    Raises :class:`EnrollmentInvalid`, :class:`EnrollmentUsed` or :class:`EnrollmentExpired`.
    """
    code_hash = hash_secret(normalise_code(code))
    # with_for_update: two devices racing with one code on PostgreSQL must not both win.
    row = session.scalar(
        select(EnrollmentCode).where(EnrollmentCode.code_hash == code_hash).with_for_update()
    )
    if row is None or not matches(row.code_hash, normalise_code(code)):
        raise EnrollmentInvalid("that enrollment code is not one this server issued")
    if row.used_at is not None:
        raise EnrollmentUsed("that enrollment code has been used; ask for a new one")
    if now >= row.expires_at:
        raise EnrollmentExpired(
            "that enrollment code has expired; ask for a new one",
            details={"expired_at": row.expires_at.isoformat()},
        )
    # Spend the code with a conditional UPDATE: of two devices racing with one code, exactly
    # one sees a row change (SQLite ignores FOR UPDATE; this works on both databases).
    spent = session.execute(
        update(EnrollmentCode)
        .where(EnrollmentCode.id == row.id, EnrollmentCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:
        raise EnrollmentUsed("that enrollment code has been used; ask for a new one")
    device, token = _new_device(session, label or row.label or "device", row.group_id, now)
    session.execute(
        update(EnrollmentCode)
        .where(EnrollmentCode.id == row.id)
        .values(device_id=device.id)
        .execution_options(synchronize_session=False)
    )
    return device.id, token


def create_device(
    session: Session, *, label: str, group: str | None, now: datetime
) -> tuple[str, str]:
    """Make a device without a code (an ODK Collect phone, whose QR holds its token).

    ``group`` is a group's code (None: every area). Return ``(device_id, token)``; the token is
    shown once and kept only as its hash, as for an enrolled device.
    """
    group_id = get_group(session, group).id if group else None
    device, token = _new_device(session, label, group_id, now)
    return device.id, token


def _new_device(
    session: Session, label: str, group_id: int | None, now: datetime
) -> tuple[Device, str]:
    token = new_token()
    device = Device(
        id=str(uuid.uuid4()),
        label=label,
        token_hash=hash_secret(token),
        group_id=group_id,
        enrolled_at=now,
    )
    session.add(device)
    session.flush()
    return device, token


def device_for_token(session: Session, token: str) -> Device:
    """Return the live device a token belongs to, or raise :class:`InvalidToken`."""
    device = session.scalar(select(Device).where(Device.token_hash == hash_secret(token)))
    if device is None or device.revoked_at is not None or not matches(device.token_hash, token):
        raise InvalidToken("the device token is unknown or revoked; enroll the device again")
    return device


#: A device's last sync is noted again only once the noted time is at least this old.
LAST_SYNC_STEP = timedelta(minutes=1)


def note_sync(device: Device, now: datetime) -> None:
    """Note that ``device`` synced now (the dashboard shows it to the minute, so not every time)."""
    if device.last_sync_at is None or now - device.last_sync_at >= LAST_SYNC_STEP:
        device.last_sync_at = now


def revoke_device(session: Session, device_id: str, *, now: datetime) -> Device:
    """Revoke a device so its token gets 401 from now on; return it."""
    device = session.get(Device, device_id)
    if device is None:
        raise NotFound(f"no device {device_id!r}", details={"device_id": device_id})
    if device.revoked_at is None:
        device.revoked_at = now
    return device
