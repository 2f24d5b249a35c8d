"""Password hashes: scrypt from ``cryptography``, stored as ``scrypt:N:r:p$salt$hex``.

The stored form is the one Werkzeug's ``generate_password_hash`` writes, so hashes made before
this module keep working; a hash in any other form never matches.
"""

from __future__ import annotations

import secrets
import string

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

N, R, P = 2**15, 8, 1
LENGTH = 64
SALT_CHARS = string.ascii_letters + string.digits
SALT_LENGTH = 16


def _kdf(salt: str, n: int, r: int, p: int) -> Scrypt:
    return Scrypt(salt=salt.encode(), length=LENGTH, n=n, r=r, p=p)


def hash_password(password: str) -> str:
    """Return a salted scrypt hash of ``password`` for storage."""
    salt = "".join(secrets.choice(SALT_CHARS) for _ in range(SALT_LENGTH))
    digest = _kdf(salt, N, R, P).derive(password.encode())
    return f"scrypt:{N}:{R}:{P}${salt}${digest.hex()}"


def password_matches(stored: str, password: str) -> bool:
    """Say whether ``password`` is the one ``stored`` was made from (in constant time)."""
    try:
        method, salt, hexdigest = stored.split("$", 2)
        name, n, r, p = method.split(":")
        expected = bytes.fromhex(hexdigest)
        if name != "scrypt" or len(expected) != LENGTH:
            return False
        _kdf(salt, int(n), int(r), int(p)).verify(password.encode(), expected)
    except (ValueError, InvalidKey):  # verify() compares in constant time
        return False
    return True
