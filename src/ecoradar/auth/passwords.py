"""Password hashing with argon2id (argon2-cffi), and the password rules.

``HASHER`` holds the parameters in force (argon2-cffi's defaults, RFC 9106's low-memory
profile). A stored hash made with other parameters still verifies; ``needs_rehash`` tells the
login to store a fresh one.
"""

from __future__ import annotations

import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ecoradar.core.errors import InputError

HASHER = PasswordHasher()
MIN_LENGTH = 10
MAX_LENGTH = 1024
"""Longer input is refused before hashing: a megabyte password would be a cheap way to burn
the server's CPU."""


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash``; false for a malformed hash too."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether the hash was made with other parameters than ``HASHER``'s."""
    try:
        return HASHER.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


@lru_cache(maxsize=4)
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash(secrets.token_urlsafe(16))


def dummy_verify(password: str) -> None:
    """Spend the time a real verification takes, for a username that does not exist, so the
    answer's timing does not tell which usernames do."""
    verify_password(_dummy_hash(HASHER), password)


def check_new_password(password: str, *, username: str) -> None:
    """Refuse a password too short, too long, or the username itself."""
    if len(password) < MIN_LENGTH:
        raise InputError(f"password: at least {MIN_LENGTH} characters, got {len(password)}")
    if len(password) > MAX_LENGTH:
        raise InputError(f"password: at most {MAX_LENGTH} characters")
    if password.strip().lower() == username.strip().lower():
        raise InputError("password: must not be the username")
