"""The refusals of the inspection draws, each with a ``code`` a page puts into words in its
reader's language (``templates/inspections/_macros.html`` ``error_text``); the message stays
English for the API and the command line. They are the usual ``core.errors`` classes, so the
HTTP status follows (422, 409, 403, 404)."""

from __future__ import annotations

from ecoradar.core.errors import ConflictError, InputError, NotFoundError, PermissionDenied


class _Coded(Exception):
    code: str

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


class BadInput(_Coded, InputError):
    """``period``, ``seed``, ``inspectors``, ``region``, ``outcome``, ``text_long``,
    ``findings_required``, ``findings_forbidden``, ``finding_invalid``, ``refusal_text``,
    ``refusal_photo``, ``reason``, ``since``, ``since_future``, ``inspector``."""


class Clash(_Coded, ConflictError):
    """``overlap``, ``not_assigned``, ``already``, ``withdrawn``."""


class Denied(_Coded, PermissionDenied):
    """``scope``, ``not_inspector``, ``not_officer``, ``not_yours``."""


class Missing(_Coded, NotFoundError):
    """``region``, ``enterprise``, ``draw``, ``inspection``, ``conflict``."""
