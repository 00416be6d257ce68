"""The unified social credit code (统一社会信用代码) of GB 32100-2015.

Eighteen characters from a 31-character alphabet (the digits and the upper-case letters without
I, O, Z, S and V)::

    position  1      registration authority (e.g. 9 = market regulation / industry and commerce)
    position  2      entity type within the authority (e.g. 1 = enterprise)
    positions 3-8    administrative division code of the registering body (GB/T 2260, digits)
    positions 9-17   organisation code (GB 11714; it carries its own check character, which
                     this module does not verify)
    position  18     check character over positions 1-17

The check character: each of the first 17 characters is mapped to its index in the alphabet and
multiplied by the weight ``3**i mod 31`` (1, 3, 9, 27, 19, 26, ...); the check value is
``31 - (sum mod 31)``, with 31 mapped to 0, and is written as the alphabet character at that
index.
"""

from __future__ import annotations

from typing import Final

from ecoradar.core.errors import InputError

__all__ = [
    "ALPHABET",
    "WEIGHTS",
    "UsccError",
    "check_character",
    "is_valid_uscc",
    "make_uscc",
    "validate_uscc",
]

ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH: Final = 18

_INDEX: Final = {char: i for i, char in enumerate(ALPHABET)}
_MODULUS: Final = len(ALPHABET)  # 31


class UsccError(InputError, ValueError):
    """A string is not a valid unified social credit code; the message says why and where."""


def _check_value(first17: str) -> int:
    total = sum(_INDEX[char] * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return (_MODULUS - total % _MODULUS) % _MODULUS


def _check_charset(code: str) -> None:
    for position, char in enumerate(code, start=1):
        if char not in _INDEX:
            raise UsccError(
                f"unified social credit code {code!r}: illegal character {char!r} at "
                f"position {position} (allowed: {ALPHABET})"
            )


def check_character(first17: str) -> str:
    """The check character (position 18) for the first 17 characters of a code.

    Lower-case letters are accepted. Raises ``UsccError`` for a wrong length or an illegal
    character.
    """
    body = first17.strip().upper()
    if len(body) != LENGTH - 1:
        raise UsccError(
            f"unified social credit code body {first17!r}: expected {LENGTH - 1} characters, "
            f"got {len(body)}"
        )
    _check_charset(body)
    return ALPHABET[_check_value(body)]


def validate_uscc(code: str) -> str:
    """Return the code normalised (stripped, upper case) or raise ``UsccError`` saying why.

    Checks the length, the character set, that positions 3-8 (the division code) are digits
    and the check character. The organisation code's own GB 11714 check is not verified.
    """
    normalised = code.strip().upper()
    if len(normalised) != LENGTH:
        raise UsccError(
            f"unified social credit code {code!r}: expected {LENGTH} characters, "
            f"got {len(normalised)}"
        )
    _check_charset(normalised)
    division = normalised[2:8]
    if not division.isdigit():
        raise UsccError(
            f"unified social credit code {code!r}: administrative division code {division!r} "
            "(positions 3-8) must be digits"
        )
    expected = ALPHABET[_check_value(normalised[:17])]
    got = normalised[17]
    if expected != got:
        raise UsccError(
            f"unified social credit code {code!r}: bad check character, "
            f"expected {expected} got {got}"
        )
    return normalised


def is_valid_uscc(code: str) -> bool:
    """Whether ``code`` is a valid unified social credit code (see ``validate_uscc``)."""
    try:
        validate_uscc(code)
    except UsccError:
        return False
    return True


def _organisation_code(serial: int) -> str:
    """A nine-character organisation code (GB 11714) for a serial number.

    The eight digits of ``serial`` plus the GB 11714 check character
    (weights 3,7,9,10,5,8,4,2; check = 11 - sum mod 11, 10 -> X, 11 -> 0), so generated codes
    look like real ones throughout.
    """
    body = f"{serial:08d}"
    total = sum(int(d) * w for d, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def make_uscc(division: str, serial: int, *, authority: str = "9", entity: str = "1") -> str:
    """Build a valid code deterministically from a division code and a serial number.

    ``division`` is the six-digit administrative division code, ``serial`` a number in
    ``0..99_999_999`` that becomes the organisation code. Used for synthetic data.
    """
    if len(division) != 6 or not division.isdigit():
        raise UsccError(f"administrative division code {division!r}: expected six digits")
    if not 0 <= serial < 100_000_000:
        raise UsccError(f"serial {serial}: expected 0..99999999")
    for name, value in (("authority", authority), ("entity", entity)):
        if len(value) != 1 or value.upper() not in _INDEX:
            raise UsccError(f"{name} {value!r}: expected one character of {ALPHABET}")
    body = authority.upper() + entity.upper() + division + _organisation_code(serial)
    return body + check_character(body)
