"""A group's contact keys: made here, the private half kept only wrapped by a passphrase.

The private key is wrapped with AES-256-GCM under a key derived from the coordinator's
passphrase by scrypt; the passphrase is never stored, so a lost passphrase loses every detail
sealed to that key, for good. Devices get each group's newest key in the pull feed; older keys
stay usable for opening until they are retired, which deletes the wrapped private key.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from collections.abc import Iterable
from datetime import datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.sealing import ALG, public_text
from server.contacts.intake import seal_stored
from server.exceptions import InvalidInput, NotFound, WrongPassphrase
from server.models import Area, Group, PersonalDetail, Response
from server.models.contacts import ContactKey

__all__ = [
    "MIN_PASSPHRASE",
    "feed_keys",
    "group_keys",
    "new_contact_key",
    "open_private_keys",
    "retire_contact_key",
]

MIN_PASSPHRASE = 12
MAX_PASSPHRASE = 1024
N, R, P = 2**15, 8, 1  # the same cost as sign-in passwords (server/accounts/passwords.py)


def _aad(kid: str) -> bytes:
    return f"doorstep/contact-key/v1/{kid}".encode()


def _kek(passphrase: str, salt: bytes, n: int, r: int, p: int) -> AESGCM:
    return AESGCM(Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode()))


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def check_passphrase(passphrase: str) -> None:
    """Refuse a passphrase too short to guard residents' details (or absurdly long)."""
    if not MIN_PASSPHRASE <= len(passphrase) <= MAX_PASSPHRASE:
        raise InvalidInput(
            f"the passphrase must be {MIN_PASSPHRASE} to {MAX_PASSPHRASE} characters",
            details={"passphrase": [f"at least {MIN_PASSPHRASE} characters"]},
        )


def wrap(private: X25519PrivateKey, passphrase: str, kid: str) -> str:
    """Return the private key wrapped by ``passphrase``: ``scrypt:N:r:p$salt$nonce$ct``."""
    salt, nonce = os.urandom(16), os.urandom(12)
    ct = _kek(passphrase, salt, N, R, P).encrypt(nonce, private.private_bytes_raw(), _aad(kid))
    return f"scrypt:{N}:{R}:{P}${_b64(salt)}${_b64(nonce)}${_b64(ct)}"


def unwrap(wrapped: str, passphrase: str, kid: str) -> X25519PrivateKey:
    """Return the private key; raise :class:`WrongPassphrase` if the passphrase is not its own."""
    try:
        method, salt, nonce, ct = wrapped.split("$")
        name, n, r, p = method.split(":")
        if name != "scrypt":
            raise ValueError(name)
        kek = _kek(passphrase, base64.b64decode(salt), int(n), int(r), int(p))
        raw = kek.decrypt(base64.b64decode(nonce), base64.b64decode(ct), _aad(kid))
    except (InvalidTag, ValueError, binascii.Error):
        raise WrongPassphrase("that passphrase does not open this group's contact key") from None
    return X25519PrivateKey.from_private_bytes(raw)


def new_contact_key(
    session: Session, group: Group, passphrase: str, *, now: datetime, by: str | None = None
) -> tuple[ContactKey, int]:
    """Make a contact key for ``group``, its private half wrapped by ``passphrase``.

    Returns the key and how many residents' details, stored in the clear until now (from
    before sealing existed), it sealed (:func:`server.contacts.intake.seal_stored`).
    """
    check_passphrase(passphrase)
    private = X25519PrivateKey.generate()
    kid = f"ck-{secrets.token_hex(8)}"
    key = ContactKey(
        kid=kid,
        group_id=group.id,
        public_key=public_text(private.public_key()),
        wrapped=wrap(private, passphrase, kid),
        created_at=now,
        created_by=by,
    )
    session.add(key)
    session.flush()
    return key, seal_stored(session, key)


def group_keys(session: Session, group_ids: Iterable[int] | None = None) -> list[ContactKey]:
    """Return the groups' keys (retired ones too), newest first; None: every group's."""
    query = select(ContactKey).order_by(ContactKey.created_at.desc(), ContactKey.id.desc())
    if group_ids is not None:
        query = query.where(ContactKey.group_id.in_(sorted(group_ids)))
    return list(session.scalars(query))


def feed_keys(session: Session, group_id: int | None) -> list[dict[str, str]]:
    """Return the newest active key of the device's group (no group: of every group)."""
    keys = group_keys(session, None if group_id is None else [group_id])
    newest: dict[int, ContactKey] = {}
    for key in keys:
        if key.retired_at is None:
            newest.setdefault(key.group_id, key)
    return [
        {"kid": k.kid, "group": k.group.code, "public_key": k.public_key, "alg": ALG}
        for k in sorted(newest.values(), key=lambda k: k.group.code)
    ]


def open_private_keys(
    session: Session, group: Group, passphrase: str
) -> dict[str, X25519PrivateKey]:
    """Return the group's active private keys by kid, opened with ``passphrase``.

    Refused (:class:`WrongPassphrase`) unless the passphrase opens at least the newest key; a
    key wrapped by another passphrase (after a handover) is left out.
    """
    active = [k for k in group_keys(session, [group.id]) if k.wrapped is not None]
    if not active:
        raise NotFound(f"{group.name} has no contact key yet", details={"group": group.code})
    opened: dict[str, X25519PrivateKey] = {}
    for index, key in enumerate(active):
        try:
            opened[key.kid] = unwrap(key.wrapped or "", passphrase, key.kid)
        except WrongPassphrase:
            if index == 0:
                raise
    return opened


def retire_contact_key(session: Session, kid: str, *, now: datetime) -> tuple[ContactKey, int]:
    """Retire a key: delete its wrapped private key and the details sealed to it for good.

    Returns the key and how many residents' details went with it.
    """
    key = session.scalar(select(ContactKey).where(ContactKey.kid == kid))
    if key is None:
        raise NotFound(f"no contact key {kid!r}", details={"kid": kid})
    key.wrapped = None
    key.retired_at = key.retired_at or now
    codes = select(Area.code).where(Area.group_id == key.group_id)
    rows = session.scalars(
        select(PersonalDetail)
        .join(Response, Response.id == PersonalDetail.response_id)
        .where(Response.area.in_(codes))
    )
    gone = 0
    for row in rows:
        if any(isinstance(v, dict) and v.get("kid") == kid for v in (row.data or {}).values()):
            session.delete(row)
            gone += 1
    session.flush()
    return key, gone
