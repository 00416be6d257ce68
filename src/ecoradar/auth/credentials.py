"""Secrets for cookies, tokens and CSRF (pure): how they are made, stored and compared."""

from __future__ import annotations

import hashlib
import hmac
import secrets

SECRET_BYTES = 32
PREFIX_LENGTH = 8
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
"""Requests that may change something: a cookie-authenticated one must carry the CSRF token."""


def new_secret() -> str:
    """A random 32-byte secret, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(SECRET_BYTES)


def digest(secret: str) -> str:
    """What is stored for a secret: its sha256, in hex. Lookups hash what was presented."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def prefix_of(secret: str) -> str:
    """The first characters of a token, shown in lists to tell tokens apart."""
    return secret[:PREFIX_LENGTH]


def csrf_matches(expected: str, given: str | None) -> bool:
    """Whether the CSRF token sent equals the session's (compared in constant time)."""
    if not given or not expected:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))
