"""Errors of the auth package, under the tree of ``ecoradar.core.errors``::

AuthenticationRequired (401)
├── LoginFailed          wrong username or password, or a disabled account: one message
└── LoginRequired        a page asked for by someone not logged in: redirect to /login
PermissionDenied (403)
└── CsrfRefused          a cookie-authenticated change without the session's CSRF token
TooManyAttempts (429)    the login rate limit; carries Retry-After
"""

from __future__ import annotations

from ecoradar.core.errors import AuthenticationRequired, EcoRadarError, PermissionDenied

LOGIN_FAILED = "wrong username or password"


class LoginFailed(AuthenticationRequired):
    """The same message for an unknown user, a wrong password and a disabled account."""

    def __init__(self) -> None:
        super().__init__(LOGIN_FAILED)


class LoginRequired(AuthenticationRequired):
    """A page needs a logged-in user; ``next_path`` is where to come back to."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path
        super().__init__("log in to see this page")


class CsrfRefused(PermissionDenied):
    """A change sent with the session cookie but without the session's CSRF token."""

    def __init__(self) -> None:
        super().__init__(
            "CSRF token missing or wrong: send the session's token as the csrf_token form "
            "field or the X-CSRF-Token header"
        )


class TooManyAttempts(EcoRadarError):
    """Too many failed logins for this username or from this address (HTTP 429)."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many failed logins: try again in {retry_after} seconds")
