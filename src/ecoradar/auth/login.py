"""Logging in (the login page and ``POST /api/auth/token``), in three steps so the slow password
check (argon2, about a quarter of a second) holds no write lock:

1. :func:`look_up` reads, in a unit of work that only reads: the rate limit's verdict
   (``ratelimit``: refused before the password is looked at) and the user's stored hash.
2. :func:`check` verifies the password with no transaction open (and makes the fresh hash that
   replaces one made with older argon2 parameters).
3. :func:`record` writes the outcome in a short unit of work: the attempt, and for a success the
   user's last login, the audit entry ``user.login`` and what the caller starts (a browser
   session, a personal token). It judges the rate limit again first, under the write lock (on
   PostgreSQL a per-username advisory lock), so attempts made at the same time cannot slip
   past it together: one refused there is not recorded and tells nothing of the password.

:func:`log_in` runs the three for a container; ``service.authenticate`` runs them in one
session (a command, a test).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, TypeVar

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from ecoradar.audit import service as audit
from ecoradar.audit.models import IP_LENGTH
from ecoradar.auth import passwords, ratelimit
from ecoradar.auth.errors import LoginFailed, TooManyAttempts
from ecoradar.auth.models import LoginAttempt, User
from ecoradar.bootstrap import Container

T = TypeVar("T")
Via = Literal["page", "token", "cli"]
"""Where a login came from: the login page, the token endpoint, a command or a test."""

ATTEMPTS_KEPT = timedelta(days=30)
"""Login attempts older than this are deleted (at the next login)."""
LOGIN_LOCK = 0x4C6F67
"""The first key of PostgreSQL's two-key advisory lock taken while a login is recorded (the
second is the username's CRC-32): attempts at one username are recorded one at a time."""
NAME_LENGTH = 64
ADDRESS_LENGTH = 64


@dataclass(frozen=True)
class Candidate:
    """What the read step found: the attempt's username and address as stored, and the user's
    id, stored hash and state at that moment (``None``: no such user)."""

    username: str
    ip: str
    user_id: int | None = None
    password_hash: str | None = None
    active: bool = False


@dataclass(frozen=True)
class Checked:
    """The password check's outcome, and the hash to store instead of the old one, if any."""

    ok: bool
    new_hash: str | None = None


def normal_name(username: str) -> str:
    return username.strip().lower()[:NAME_LENGTH]


def failures(*, session: Session, username: str, ip: str, now: datetime) -> ratelimit.Failures:
    """The failures the rate limit counts for ``username`` from ``ip`` (bounded queries: counts,
    the pair's newest failure and the address's newest ``ADDRESS_LIMIT``)."""
    failed = LoginAttempt.succeeded.is_(False)
    account_ok = select(func.max(LoginAttempt.id)).where(
        LoginAttempt.username == username, LoginAttempt.succeeded.is_(True)
    )
    pair_ok = account_ok.where(LoginAttempt.ip == ip)
    account = session.scalar(
        select(func.count()).where(
            LoginAttempt.username == username,
            failed,
            LoginAttempt.at > now - ratelimit.ACCOUNT_WINDOW,
            LoginAttempt.id > func.coalesce(account_ok.scalar_subquery(), 0),
        )
    )
    pair, pair_last = session.execute(
        select(func.count(), func.max(LoginAttempt.at)).where(
            LoginAttempt.username == username,
            LoginAttempt.ip == ip,
            failed,
            LoginAttempt.at > now - ratelimit.PAIR_WINDOW,
            LoginAttempt.id > func.coalesce(pair_ok.scalar_subquery(), 0),
        )
    ).one()
    address = session.scalars(
        select(LoginAttempt.at)
        .where(LoginAttempt.ip == ip, failed, LoginAttempt.at > now - ratelimit.ADDRESS_WINDOW)
        .order_by(LoginAttempt.at.desc())
        .limit(ratelimit.ADDRESS_LIMIT)
    ).all()
    return ratelimit.Failures(
        pair=int(pair or 0), pair_last=pair_last, account=int(account or 0), address=address
    )


def _judge(session: Session, username: str, ip: str, now: datetime) -> None:
    verdict = ratelimit.judge(failures(session=session, username=username, ip=ip, now=now), now)
    if not verdict.allowed:
        raise TooManyAttempts(verdict.retry_after)


def look_up(*, session: Session, username: str, ip: str, now: datetime) -> Candidate:
    """Step 1 (reads only): ``TooManyAttempts`` when the rate limit refuses, else the user."""
    name, address = normal_name(username), ip[:ADDRESS_LENGTH]
    _judge(session, name, address, now)
    user = session.scalar(select(User).where(User.username == name))
    if user is None:
        return Candidate(name, address)
    return Candidate(name, address, user.id, user.password_hash, user.is_active)


def check(candidate: Candidate, password: str) -> Checked:
    """Step 2 (no database): whether ``password`` is the candidate's. An unknown user costs a
    verification too, so the time taken does not tell which usernames exist."""
    if candidate.password_hash is None:
        passwords.dummy_verify(password)
        return Checked(False)
    if not passwords.verify_password(candidate.password_hash, password) or not candidate.active:
        return Checked(False)
    if passwords.needs_rehash(candidate.password_hash):
        return Checked(True, passwords.hash_password(password))
    return Checked(True)


def _serialize(session: Session, username: str) -> None:
    """Record one login of ``username`` at a time. SQLite: the unit of work already holds the
    database's write lock. PostgreSQL: a transaction-scoped advisory lock per username."""
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(username.encode("utf-8")) - 2**31  # a signed 32-bit integer
        session.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": LOGIN_LOCK, "b": key})


def record(
    *, session: Session, candidate: Candidate, checked: Checked, now: datetime, via: Via
) -> User:
    """Step 3 (writes): judge the rate limit again, store the attempt, and for a success mark
    the login (last login time, a fresh hash, the audit entry) and return the user; else
    ``LoginFailed`` (the caller commits the failed attempt first). A user changed since step 1
    (another password, disabled) fails."""
    _serialize(session, candidate.username)
    _judge(session, candidate.username, candidate.ip, now)
    user = session.get(User, candidate.user_id) if candidate.user_id is not None else None
    ok = (
        checked.ok
        and user is not None
        and user.is_active
        and user.password_hash == candidate.password_hash
    )
    session.add(LoginAttempt(username=candidate.username, ip=candidate.ip, at=now, succeeded=ok))
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - ATTEMPTS_KEPT))
    if not ok or user is None:
        session.flush()
        raise LoginFailed()
    if checked.new_hash is not None:
        user.password_hash = checked.new_hash
    user.last_login_at = now
    session.flush()
    audit_login(session=session, user=user, ip=candidate.ip, now=now, via=via)
    return user


def audit_login(*, session: Session, user: User, ip: str, now: datetime, via: Via) -> None:
    """The audit entry of a successful login: who, when, from which address, and how."""
    audit.record(
        session=session,
        at=now,
        actor=f"user:{user.id}:{user.username}",
        actor_user_id=user.id,
        action="user.login",
        entity_type="user",
        entity_id=user.id,
        after={"via": via},
        ip=ip[:IP_LENGTH] or None,
    )


def log_in(
    box: Container,
    *,
    username: str,
    password: str,
    ip: str,
    via: Via,
    then: Callable[[Session, User], T],
) -> T:
    """Log ``username`` in and run ``then(session, user)`` (start a session, issue a token) in
    the unit of work that records the success. Raises ``TooManyAttempts``, or ``LoginFailed``
    once the failed attempt is committed."""
    now = box.clock.now()
    with box.reading() as session:
        candidate = look_up(session=session, username=username, ip=ip, now=now)
    checked = check(candidate, password)
    failed: LoginFailed | None = None
    with box.transaction() as session:
        try:
            user = record(session=session, candidate=candidate, checked=checked, now=now, via=via)
        except LoginFailed as exc:  # the failed attempt is committed, then refused
            failed = exc
        else:
            return then(session, user)
    assert failed is not None
    raise failed
