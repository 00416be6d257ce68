"""Password hashing with argon2id (argon2-cffi), and the rules for a new password (length, and
zxcvbn's estimate of how easy it is to guess, with the user's own details as known words).

``HASHER`` holds the parameters in force (argon2-cffi's defaults, RFC 9106's low-memory
profile). A stored hash made with other parameters still verifies; ``needs_rehash`` tells the
login to store a fresh one.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn

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


@dataclass(frozen=True)
class NewPassword:
    """A new password that passed ``check_new_password``, hashed (made by ``prepare``, outside
    any transaction: hashing takes a quarter of a second)."""

    password_hash: str


def prepare(password: str, *, username: str, details: Sequence[str | None] = ()) -> NewPassword:
    """Check a new password (``check_new_password``) and hash it."""
    check_new_password(password, username=username, details=details)
    return NewPassword(hash_password(password))


class WeakPassword(InputError):
    """A new password the rules refuse. ``kind`` says why (a key of ``MESSAGES``), ``values``
    fill its holes; ``message(translate)`` is the sentence in a person's language."""

    def __init__(self, kind: str, **values: object) -> None:
        self.kind = kind
        self.values = values
        super().__init__(self.message())

    def message(self, translate: Callable[[str], str] = str) -> str:
        """The refusal, each part passed through ``translate`` (gettext)."""
        values = dict(self.values)
        why = values.pop("why", None)
        if isinstance(why, str):
            values["why"] = translate(WHY[why])
        return translate(MESSAGES[self.kind]).format(**values)


MESSAGES = {
    "short": "password: at least {minimum} characters, got {length}",
    "long": "password: at most {maximum} characters",
    "username": "password: must not be the username",
    "guessable": "password: too easy to guess ({why}); use a longer passphrase of a few "
    "uncommon words",
}
"""Why a new password is refused (gettext message ids: the catalogs translate them)."""
WHY = {
    "common": "it is one of the most common passwords",
    "personal": "it contains the username or the name",
    "word": "it is a common word or name",
    "repeat": "it repeats characters or words",
    "sequence": "it is a sequence such as abc or 6543",
    "keyboard": "it is a row or pattern of keys",
    "date": "it contains a date or a year",
    "pattern": "it follows a predictable pattern",
}
"""What made zxcvbn's guess easy, by the pattern of the longest part it recognised."""
MIN_SCORE = 3
"""zxcvbn's score (0-4) a new password needs: 3 is "safely unguessable" (about 10^8 guesses
and more), far beyond what the login rate limit lets anyone try."""
JUDGED_LENGTH = 72
"""zxcvbn judges the first 72 characters (its time grows quickly with the length): a longer
password needs strength in those already."""
_zxcvbn_lock = threading.Lock()
"""zxcvbn keeps the user inputs of a call in a module-level dictionary: one call at a time."""


def user_words(*values: str | None) -> list[str]:
    """The words of a user's own details zxcvbn should treat as easy to guess: each value and
    its parts (``wang.li@example.org`` -> ``wang.li@example.org``, ``wang``, ``li``, ...)."""
    words: list[str] = []
    for value in values:
        text = (value or "").strip().lower()
        if not text:
            continue
        for word in (text, *re.split(r"[\W_]+", text)):
            if len(word) >= 3 and word not in words:
                words.append(word)
    return words


def why_guessable(sequence: list[dict[str, Any]]) -> str:
    """The reason a weak password is weak: its own details if it holds any, else the pattern
    of the longest part zxcvbn recognised."""
    if any(m.get("dictionary_name") == "user_inputs" for m in sequence):
        return "personal"
    longest = max(sequence, key=lambda m: len(m.get("token", "")), default={})
    pattern = longest.get("pattern")
    if pattern == "dictionary":
        return "common" if longest.get("dictionary_name") == "passwords" else "word"
    return {
        "repeat": "repeat",
        "sequence": "sequence",
        "spatial": "keyboard",
        "date": "date",
        "regex": "date",
    }.get(str(pattern), "pattern")


def check_new_password(password: str, *, username: str, details: Sequence[str | None] = ()) -> None:
    """Refuse (``WeakPassword``) a password too short, too long, the username itself, or one
    zxcvbn finds easy to guess: common passwords, words, names, repeats, sequences, keyboard
    patterns, dates, and the user's own ``username`` and ``details`` (display name, e-mail)."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword("short", minimum=MIN_LENGTH, length=len(password))
    if len(password) > MAX_LENGTH:
        raise WeakPassword("long", maximum=MAX_LENGTH)
    if password.strip().lower() == username.strip().lower():
        raise WeakPassword("username")
    words = user_words(username, *details)
    score, sequence = _estimate(password, words)
    if score < MIN_SCORE:
        raise WeakPassword("guessable", why=why_guessable(sequence))
    rest = without_words(password, words)
    if rest != password and (len(rest) < MIN_LENGTH or _estimate(rest, words)[0] < MIN_SCORE):
        raise WeakPassword("guessable", why="personal")  # ``alice-smith-1`` for Alice Smith


def _estimate(password: str, words: list[str]) -> tuple[int, list[dict[str, Any]]]:
    """zxcvbn's score and the parts it recognised, for the first ``JUDGED_LENGTH`` characters."""
    with _zxcvbn_lock:
        result = zxcvbn(password[:JUDGED_LENGTH], user_inputs=words)
    return int(result["score"]), list(result["sequence"])


def without_words(password: str, words: list[str]) -> str:
    """``password`` with every occurrence of the user's ``words`` taken out (ignoring case)."""
    rest = password
    for word in sorted(words, key=len, reverse=True):
        rest = re.sub(re.escape(word), "", rest, flags=re.IGNORECASE)
    return rest
