"""The one check for a redirect to a place the request names (``next=``), for both apps.

Browsers drop tabs and newlines from a URL and read ``\\`` as ``/``, so ``/\\t/host`` or
``/\\\\host`` become the scheme-relative ``//host``; other control characters break the
``Location`` header. Only a single leading slash followed by plain URL characters can be sure
to stay on this site.
"""

from __future__ import annotations

import string

__all__ = ["safe_next"]

# Every character a same-site path, query and fragment may hold, percent-escapes included.
# Whitespace, control characters, backslashes and non-ASCII characters are left out.
_PATH_CHARS = frozenset(string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@/?%#")


def safe_next(target: str | None, default: str, *, within: str = "/") -> str:
    """Return ``target`` if it can only lead to a path on this site under ``within``.

    Anything else (another host, a scheme, a control or space character, a path outside
    ``within``) gives ``default``.
    """
    if (
        target
        and target.startswith("/")
        and target[1:2] != "/"
        and target.startswith(within)
        and all(ch in _PATH_CHARS for ch in target)
    ):
        return target
    return default
