"""Bearer tokens and enrollment codes: random, stored only as sha256, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_BYTES = 32
# Crockford's base32 without look-alikes: codes are read aloud and typed on phones.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12


def new_token() -> str:
    """Return a fresh bearer token carrying 32 random bytes."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_secret(secret: str) -> str:
    """Return the sha256 hex digest under which a token or code is stored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def matches(stored_hash: str, secret: str) -> bool:
    """Return whether ``secret`` hashes to ``stored_hash``, in constant time."""
    return hmac.compare_digest(stored_hash, hash_secret(secret))


def new_code() -> str:
    """Return a fresh enrollment code like ``7KQ2-M9XD-4HPA`` (60 random bits)."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_code(code: str) -> str:
    """Return the canonical form of a typed code: upper case, no spaces or dashes, O→0, I/L→1."""
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    cleaned = cleaned.replace("O", "0").replace("I", "1").replace("L", "1")
    return "-".join(cleaned[i : i + 4] for i in range(0, len(cleaned), 4))
