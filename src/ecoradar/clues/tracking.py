"""Tracking codes and reward secrets (pure).

A tracking code is 10 characters of Crockford's base32 (digits and capital letters without
I, L, O and U) drawn from ``secrets``: 50 random bits, so a code cannot be guessed (and the
tracking endpoints are rate-limited on top). Read back, a code is forgiving the way Crockford
meant: lower case, spaces and hyphens are accepted, and I/L read as 1, O as 0.

An anonymous reporter also gets a secret (shown once) to collect a reward with; only its
sha256 is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 10
SECRET_BYTES = 24
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})


def new_tracking_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize_tracking_code(text: str) -> str | None:
    """The stored form of a code as a person typed it, or None when it cannot be one."""
    if len(text) > 3 * LENGTH:
        return None
    code = text.upper().replace("-", "").replace(" ", "").translate(_READ_AS)
    if len(code) != LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def display_code(code: str) -> str:
    """``ABCDE-FGHJK``: easier to read out over the phone."""
    return f"{code[:5]}-{code[5:]}"


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(stored_hash: str | None, secret: str) -> bool:
    """Whether ``secret`` is the one whose hash is stored (constant time)."""
    if stored_hash is None or not secret or len(secret) > 256:
        return False
    return hmac.compare_digest(stored_hash, hash_secret(secret))
