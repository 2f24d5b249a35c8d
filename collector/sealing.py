"""Seal a resident's contact details to their group's key, and open them with its private key.

HPKE (RFC 9180) in base mode with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and AES-128-GCM, as
``cryptography`` provides it (``hazmat.primitives.hpke.Suite``: single-shot, a fresh ephemeral
key per call). ``info`` binds the response id and the field name, so a ciphertext moved to
another response or another field does not open. The device holds only public keys: once
sealed, nothing on it can read the details again.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite

from survey_schemas.sealed import ALG, is_sealed, sealed_problem

__all__ = [
    "ALG",
    "ContactKey",
    "SealError",
    "field_info",
    "is_sealed",
    "open_field",
    "public_text",
    "seal_field",
    "seal_personal",
]

SUITE = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.AES_128_GCM)
INFO_LABEL = b"doorstep/contact/v1"


class SealError(ValueError):
    """A sealed field could not be opened: wrong key, or moved, changed or damaged."""


@dataclass(frozen=True)
class ContactKey:
    """A group's public contact key as devices hold it."""

    kid: str
    group: str
    public_key: X25519PublicKey

    @classmethod
    def from_wire(cls, item: Mapping[str, Any]) -> ContactKey:
        """Return the key of a pulled ``{"kid", "group", "public_key", "alg"}``."""
        if item.get("alg", ALG) != ALG:
            raise ValueError(f"unknown contact key algorithm {item.get('alg')!r}")
        raw = base64.urlsafe_b64decode(str(item["public_key"]))
        return cls(str(item["kid"]), str(item["group"]), X25519PublicKey.from_public_bytes(raw))


def public_text(key: X25519PublicKey) -> str:
    """Return a public key as the pull feed carries it (base64url of its 32 bytes)."""
    return base64.urlsafe_b64encode(key.public_bytes_raw()).decode("ascii")


def field_info(response_id: str, field: str) -> bytes:
    """Return the HPKE ``info`` for one field of one response (NUL never appears in either)."""
    return b"\x00".join((INFO_LABEL, str(response_id).lower().encode(), field.encode()))


def seal_field(text: str, key: ContactKey, response_id: str, field: str) -> dict[str, str]:
    """Seal one personal answer for ``key``'s group; return ``{"kid", "alg", "ct"}``."""
    ct = SUITE.encrypt(text.encode("utf-8"), key.public_key, info=field_info(response_id, field))
    return {"kid": key.kid, "alg": ALG, "ct": base64.b64encode(ct).decode("ascii")}


def seal_personal(
    personal: Mapping[str, Any], key: ContactKey, response_id: str
) -> dict[str, dict[str, str]]:
    """Seal every personal answer of a response (one already sealed is kept as it is)."""
    return {
        field: value if is_sealed(value) else seal_field(str(value), key, response_id, field)
        for field, value in personal.items()
    }


def open_field(
    sealed: Mapping[str, Any], private_key: X25519PrivateKey, response_id: str, field: str
) -> str:
    """Open one sealed field of ``response_id``; raise :class:`SealError` if it does not open."""
    problem = sealed_problem(dict(sealed))
    if problem:
        raise SealError(problem)
    try:
        ct = base64.b64decode(sealed["ct"], validate=True)
        plain = SUITE.decrypt(ct, private_key, info=field_info(response_id, field))
        return plain.decode("utf-8")
    except (InvalidTag, ValueError, binascii.Error, UnicodeDecodeError):
        raise SealError(f"the sealed {field!r} does not open with this key here") from None
