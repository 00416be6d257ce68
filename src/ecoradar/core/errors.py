"""The exception tree of EcoRadar.

::

    EcoRadarError                 anything EcoRadar raises on purpose
    ├── ConfigurationError        settings or environment unusable
    ├── NotFoundError             a looked-up record does not exist
    ├── ConflictError             the change clashes with stored state
    ├── AuthenticationRequired    no valid session or token (HTTP 401)
    ├── PermissionDenied          authenticated, but this principal may not do it (HTTP 403)
    └── InputError                input refused; names the place (file, line, field)
        ├── GeoJSONError          region file refused (names the feature)
        └── ImportRefused         a tabular import refused; carries every row error

Every message names where the problem is, so the person who sent the input can fix it.
"""

from __future__ import annotations

from dataclasses import dataclass


class EcoRadarError(Exception):
    """Base of every error EcoRadar raises on purpose."""


class ConfigurationError(EcoRadarError):
    """Settings or the environment are not usable."""


class NotFoundError(EcoRadarError):
    """A record that was asked for does not exist."""


class ConflictError(EcoRadarError):
    """The requested change clashes with what is stored."""


class AuthenticationRequired(EcoRadarError):
    """The request carries no valid session or token."""


class PermissionDenied(EcoRadarError):
    """The principal is known but may not do this (role, region scope or token scope)."""


class InputError(EcoRadarError):
    """Input was refused. The message names the place: file, line, field."""


class GeoJSONError(InputError):
    """A region file was refused; ``problems`` lists each reason, naming the feature."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


@dataclass(frozen=True)
class RowError:
    """One reason a row of an import was refused."""

    file: str
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.column}: {self.reason}"


class ImportRefused(InputError):
    """A tabular import was refused as a whole; ``errors`` holds one entry per bad cell or row."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))
