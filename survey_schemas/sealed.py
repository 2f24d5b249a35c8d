"""A sealed personal field: the shape every part of doorstep agrees on (no cryptography here).

On the wire and at rest a sealed field is ``{"kid", "alg", "ct"}`` (DESIGN: Sealed contact
details): ``kid`` names the group's contact key, ``alg`` the HPKE suite and ``ct`` the
base64 of the encapsulated key followed by the ciphertext. ``collector.sealing`` seals and
opens; this module only says whether a value has the shape.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["ALG", "is_sealed", "sealed_problem"]

ALG = "hpke-x25519-sha256-aes128gcm"
KID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_B64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
# A text answer is at most 5,000 characters (20,000 bytes of UTF-8) + 32 + 16 bytes of HPKE.
MAX_CT = 27_000
_KEYS = frozenset({"kid", "alg", "ct"})


def is_sealed(value: Any) -> bool:
    """Say whether ``value`` looks like a sealed field (a dict with exactly its three keys)."""
    return type(value) is dict and value.keys() == _KEYS


def sealed_problem(value: Any) -> str | None:
    """Return what is wrong with a sealed field's shape, or None when it is well formed."""
    if not is_sealed(value):
        return "must be a sealed field {kid, alg, ct}"
    kid, alg, ct = value["kid"], value["alg"], value["ct"]
    if alg != ALG:
        return f"alg must be {ALG!r}"
    if type(kid) is not str or not KID.fullmatch(kid):
        return "kid must be a contact key id"
    if type(ct) is not str or not 64 <= len(ct) <= MAX_CT or not _B64.fullmatch(ct):
        return "ct must be base64 of at least 48 bytes"
    return None
