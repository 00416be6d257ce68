"""The exposure refusals, each with a ``code`` a page puts into words in its reader's language
(``templates/exposure/_macros.html`` ``refusal``); the message stays English for the API. They
are the usual ``core.errors`` classes, so the HTTP status follows (422, 409, 403, 404)."""

from __future__ import annotations

from ecoradar.core.errors import ConflictError, InputError, NotFoundError, PermissionDenied


class _Coded(Exception):
    code: str

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


class BadInput(_Coded, InputError):
    """``text_short``, ``text_long``, ``personal_data``, ``names_person``, ``expiry``,
    ``reason``."""


class Clash(_Coded, ConflictError):
    """``no_enterprise``, ``not_confirmed``, ``already``, ``state``, ``too_early``."""


class Denied(_Coded, PermissionDenied):
    """``not_officer``, ``same_person``."""


class Missing(_Coded, NotFoundError):
    """``entry``."""
