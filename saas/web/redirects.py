"""Where the app may send a browser after an action: only its own pages.

A ``next`` parameter is a same-site path or nothing. Browsers forgive a lot in a ``Location``: they drop tabs and
newlines, read ``\\`` as ``/`` and ``//host`` as another site, so ``/\\t/evil.example`` becomes ``//evil.example``.
"""
import re
from urllib.parse import urlsplit

_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path of this site (one leading ``/``, no host, no scheme); None otherwise."""
    if not target or not target.startswith("/") or target.startswith("//") or _UNSAFE.search(target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
