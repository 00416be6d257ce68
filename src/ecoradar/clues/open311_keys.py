"""Each Open311 API key's own clue limits, and the relayed reporters counted within a key.

A city's app or hotline system sends every citizen's report through one key, so a key has a
budget of its own (``clues_per_hour``, set by ``ecoradar open311 keys create --limit N`` and
changed by ``ecoradar open311 keys limit``), and the people it relays are counted within it: at
most ``per_reporter_per_hour`` clues of one reporter, known by any of the identities the client
sends (``email``, ``device_id``, ``account_id``), so one relayed person cannot use up the key's
whole budget. A key without a row here (made before the limits existed) has the anonymous
limit (``ECORADAR_CLUE_RATE_LIMIT_PER_HOUR``) for both.

A reporter is counted under ``token:<key>:<e|d|a>:<digest>``: the digest is a sha256 of the key,
the field and the normalised value, so the counting rows (``clue_intake_attempts``, pruned
after a day) never hold an identity itself. The identities themselves are kept with the clue as
the finding's protected reporter contact (``open311_submit.reporter``): only the officers
handling the problem read them, and each read is audited.

``reporter_clients`` and ``check_limits`` are pure; the rest reads and writes the table.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ecoradar.audit import service as audit
from ecoradar.auth.models import ApiToken, token_scopes
from ecoradar.core.db import Base, UTCDateTime
from ecoradar.core.errors import InputError

SCOPE = "open311"
DEFAULT_KEY_LIMIT = 1000
"""Clues an hour of a new key when ``--limit`` is not given (or the anonymous limit, if that is
higher: a key never has less than one anonymous client)."""
MAX_LIMIT = 10_000_000
IDENTITY_FIELDS = (("email", "e"), ("device_id", "d"), ("account_id", "a"))
"""The Open311 fields a relayed reporter is known by, and their short codes in a client key."""
DIGEST_CHARS = 32


class Open311KeyLimit(Base):
    """The clue limits of one Open311 API key (an ``api_tokens`` row with the scope
    ``open311``)."""

    __tablename__ = "open311_key_limits"
    __table_args__ = (
        CheckConstraint("clues_per_hour >= 1", name="clues_per_hour"),
        CheckConstraint("per_reporter_per_hour >= 1", name="per_reporter_per_hour"),
    )

    token_id: Mapped[int] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="CASCADE"), primary_key=True
    )
    clues_per_hour: Mapped[int] = mapped_column(Integer)
    per_reporter_per_hour: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class Limits:
    clues_per_hour: int
    per_reporter_per_hour: int
    own: bool
    """False: the key has no limits of its own and gets the anonymous limit."""


# --- pure rules -------------------------------------------------------------------------------


def check_limits(clues_per_hour: int, per_reporter_per_hour: int) -> tuple[int, int]:
    """Both limits, checked: positive, at most ``MAX_LIMIT``, a reporter's within the key's."""
    for name, value in (("limit", clues_per_hour), ("reporter-limit", per_reporter_per_hour)):
        if not 1 <= value <= MAX_LIMIT:
            raise InputError(f"{name}: between 1 and {MAX_LIMIT} clues an hour, got {value}")
    if per_reporter_per_hour > clues_per_hour:
        raise InputError(
            f"reporter-limit: {per_reporter_per_hour} is more than the key's own limit "
            f"{clues_per_hour}"
        )
    return clues_per_hour, per_reporter_per_hour


def default_limits(anonymous_limit: int) -> tuple[int, int]:
    """A new key's limits: ``DEFAULT_KEY_LIMIT`` or the anonymous limit if higher, and for one
    relayed reporter the anonymous limit (a relayed person may do what a visitor of the form
    may)."""
    key = min(MAX_LIMIT, max(DEFAULT_KEY_LIMIT, anonymous_limit))
    return key, max(1, min(anonymous_limit, key))


def normal_identity(field: str, value: str) -> str:
    """An identity as it is counted: trimmed; an e-mail address in lower case."""
    value = value.strip()
    return value.lower() if field == "email" else value


def reporter_clients(token_id: int, identities: Mapping[str, str | None]) -> list[str]:
    """The rate-limit clients of a relayed reporter: one per identity field sent (empty: an
    anonymous report, counted against the key only)."""
    clients = []
    for field, code in IDENTITY_FIELDS:
        raw = identities.get(field)
        if raw is None or not raw.strip():
            continue
        value = normal_identity(field, raw)
        digest = hashlib.sha256(f"{token_id}\0{field}\0{value}".encode()).hexdigest()
        clients.append(f"token:{token_id}:{code}:{digest[:DIGEST_CHARS]}")
    return clients


# --- the table --------------------------------------------------------------------------------


def limits_of(*, session: Session, token_id: int, anonymous_limit: int) -> Limits:
    """The key's limits (the anonymous limit for a key without its own)."""
    row = session.get(Open311KeyLimit, token_id)
    if row is None:
        return Limits(anonymous_limit, anonymous_limit, own=False)
    return Limits(row.clues_per_hour, row.per_reporter_per_hour, own=True)


def own_limits(*, session: Session) -> dict[int, Limits]:
    """Every key's own limits by token id (for listing)."""
    return {
        row.token_id: Limits(row.clues_per_hour, row.per_reporter_per_hour, own=True)
        for row in session.scalars(select(Open311KeyLimit))
    }


def set_limits(
    *,
    session: Session,
    token: ApiToken,
    clues_per_hour: int | None,
    per_reporter_per_hour: int | None,
    anonymous_limit: int,
    now: datetime,
    actor: str = "cli:ecoradar",
) -> Limits:
    """Give ``token`` (an Open311 key) its limits, or change one of them (None: keep it; for a
    key without limits of its own, ``default_limits``; an unchanged reporter limit is lowered to a
    lowered key limit), audited as ``open311_key.limits``."""
    if SCOPE not in token_scopes(token):
        raise InputError(f"token {token.id} {token.name!r} is not an Open311 key")
    row = session.get(Open311KeyLimit, token.id)
    before = None
    if row is not None:
        before = {"clues_per_hour": row.clues_per_hour, "per_reporter": row.per_reporter_per_hour}
    default_key, default_reporter = default_limits(anonymous_limit)
    key = clues_per_hour
    if key is None:
        key = row.clues_per_hour if row is not None else default_key
    reporter = per_reporter_per_hour
    if reporter is None:
        reporter = row.per_reporter_per_hour if row is not None else default_reporter
        reporter = min(reporter, key)
    key, reporter = check_limits(key, reporter)
    if row is None:
        row = Open311KeyLimit(token_id=token.id)
        session.add(row)
    row.clues_per_hour, row.per_reporter_per_hour, row.updated_at = key, reporter, now
    session.flush()
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="open311_key.limits",
        entity_type="token",
        entity_id=token.id,
        before=before,
        after={"clues_per_hour": key, "per_reporter": reporter},
    )
    return Limits(key, reporter, own=True)
