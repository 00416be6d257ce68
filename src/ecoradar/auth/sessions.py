"""Browser sessions, kept on the server.

The cookie holds a random secret; the table holds its sha256 as the session id, so a copy of
the table does not log anyone in. A session ends after ``IDLE`` without a request, after
``ABSOLUTE`` in any case, at logout, and when its user is disabled or changes password.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ecoradar.auth import credentials
from ecoradar.auth.models import AuthSession, User
from ecoradar.auth.principal import Principal
from ecoradar.auth.service import principal_of
from ecoradar.core.bookkeeping import Touches

COOKIE = "ecoradar_session"
IDLE = timedelta(hours=8)
ABSOLUTE = timedelta(days=7)
TOUCH_EVERY = timedelta(minutes=1)
"""``last_seen_at`` is written at most this often: most requests then write nothing."""
PURGE_AFTER = timedelta(days=1)
"""Sessions that ended longer ago than this are deleted (when someone logs in)."""


@dataclass(frozen=True)
class NewSession:
    """What the login hands to the browser: the cookie's secret (never stored) and the CSRF
    token the pages embed."""

    secret: str
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class LiveSession:
    principal: Principal
    csrf_token: str


def is_live(row: AuthSession, now: datetime, seen: datetime | None = None) -> bool:
    """Not revoked, not past its absolute end, and used within the idle timeout (``seen``: a
    later use not yet written)."""
    last = row.last_seen_at if seen is None else max(seen, row.last_seen_at)
    return row.revoked_at is None and now < row.expires_at and now < last + IDLE


def start_session(*, session: Session, user: User, now: datetime) -> NewSession:
    """A new session for ``user`` (who has just logged in)."""
    secret = credentials.new_secret()
    row = AuthSession(
        id=credentials.digest(secret),
        user_id=user.id,
        csrf_token=credentials.new_secret(),
        created_at=now,
        last_seen_at=now,
        expires_at=now + ABSOLUTE,
    )
    session.add(row)
    session.execute(
        delete(AuthSession).where(
            AuthSession.expires_at < now - PURGE_AFTER,
        )
    )
    session.flush()
    return NewSession(secret, row.csrf_token, row.expires_at)


def session_principal(
    *, session: Session, secret: str, now: datetime, touches: Touches | None = None
) -> LiveSession | None:
    """The principal of a live session whose user is active, or ``None``. Marks the session
    as used (at most once a minute): in ``touches``, to be written apart from this unit of work
    (which may only read), else in the row itself."""
    if not secret or len(secret) > 256:
        return None
    found = session.execute(
        select(AuthSession, User)
        .join(User, AuthSession.user_id == User.id)
        .where(AuthSession.id == credentials.digest(secret))
    ).first()
    if found is None:
        return None
    row, user = found
    seen = touches.pending(AuthSession.last_seen_at, row.id) if touches is not None else None
    if not is_live(row, now, seen) or not user.is_active:
        return None
    if now - max(seen or row.last_seen_at, row.last_seen_at) >= TOUCH_EVERY:
        if touches is not None:
            touches.touch(AuthSession.last_seen_at, row.id, now)
        else:
            row.last_seen_at = now
    principal = principal_of(session=session, user=user, session_id=row.id)
    return LiveSession(principal, row.csrf_token)


def end_session(*, session: Session, secret: str, now: datetime) -> bool:
    """Log out: the session stops working at once. False when there was none to end."""
    result = session.execute(
        update(AuthSession)
        .where(AuthSession.id == credentials.digest(secret), AuthSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


def session_is_live(*, session: Session, session_id: str, now: datetime) -> bool:
    """Whether the session with this id (not the secret) still works, for long requests."""
    found = session.execute(
        select(AuthSession, User.is_active)
        .join(User, AuthSession.user_id == User.id)
        .where(AuthSession.id == session_id)
    ).first()
    return found is not None and bool(found[1]) and is_live(found[0], now)
