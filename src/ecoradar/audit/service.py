"""Writing and reading the audit log.

``record`` appends one entry inside the caller's transaction, so the entry commits or rolls
back with the change it describes. Appends are serialised so the chain never forks: on
PostgreSQL a transaction-scoped advisory lock is taken before the head is read; on SQLite the
database write lock is taken first (a no-op UPDATE), because a deferred transaction that reads
the head and then writes could otherwise interleave with another writer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ecoradar.audit import chain
from ecoradar.audit.models import (
    ACTION_LENGTH,
    ACTOR_LENGTH,
    ENTITY_ID_LENGTH,
    ENTITY_TYPE_LENGTH,
    IP_LENGTH,
    AuditEntry,
)
from ecoradar.core.errors import InputError

APPEND_LOCK = 0x45636F5261646172
"""The PostgreSQL advisory lock key (``b"EcoRadar"`` as a big-endian 64-bit integer) held by
each append until its transaction ends."""

ACTOR_PATTERN = re.compile(r"[a-z][a-z0-9_]*:\S.*")
"""``kind:rest``: ``user:7:alice``, ``token:3:drone-east``, ``system:scheduler``,
``cli:ecoradar``, ``public:<tracking code>``."""
ACTION_PATTERN = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
"""``entity.verb`` in lower case: ``problem.accept``, ``reporter_contact.read``."""

MAX_PAGE = 10_000
"""The most entries ``search`` returns at once."""
DEFAULT_BATCH = 5000
"""Entries read per query while verifying."""


def record(
    *,
    session: Session,
    at: datetime,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str | int,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str | None = None,
    ip: str | None = None,
    actor_user_id: int | None = None,
) -> AuditEntry:
    """Append one entry to the log in ``session``'s transaction and flush it.

    ``before`` and ``after`` are stored as plain JSON (``chain.plain``: datetimes become UTC
    ISO 8601 text, ``Decimal`` exact strings); what is stored is exactly what is hashed. Refuses
    (``InputError``) a naive ``at``, an ``actor`` that is not ``kind:rest``, an ``action`` that
    is not ``entity.verb``, empty or over-long names, and values no JSON column can hold.

    On SQLite, if the caller's transaction has only read so far and another writer commits
    first, SQLite refuses the write ("database is locked") rather than fork the chain.
    """
    entry_key = str(entity_id)
    _name("actor", actor, ACTOR_LENGTH, ACTOR_PATTERN)
    _name("action", action, ACTION_LENGTH, ACTION_PATTERN)
    _name("entity_type", entity_type, ENTITY_TYPE_LENGTH)
    _name("entity_id", entry_key, ENTITY_ID_LENGTH)
    if ip is not None:
        _name("ip", ip, IP_LENGTH)
    if reason is not None:
        chain.check_text(reason, "reason")
    if isinstance(entity_id, bool) or isinstance(actor_user_id, bool):
        raise InputError("entity_id and actor_user_id must not be booleans")
    chain.utc_text(at)
    fields: dict[str, Any] = {
        "at": at,
        "actor": actor,
        "actor_user_id": actor_user_id,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entry_key,
        "before": None if before is None else chain.plain(before, "before"),
        "after": None if after is None else chain.plain(after, "after"),
        "reason": reason,
        "ip": ip,
    }
    _take_append_lock(session)
    head_id, head_hash = _head(session)
    fields["id"] = head_id + 1
    digest = chain.entry_hash(head_hash, fields)
    # An absent before/after is left out of the INSERT so the column is SQL NULL, not JSON null.
    stored = {k: v for k, v in fields.items() if v is not None or k not in ("before", "after")}
    entry = AuditEntry(**stored, prev_hash=head_hash, hash=digest)
    session.add(entry)
    session.flush()
    return entry


class Acting(Protocol):
    """Who changes something: a signed-in principal (``auth.principal.Principal``)."""

    @property
    def actor(self) -> str: ...

    @property
    def user_id(self) -> int | None: ...


def record_by(
    by: Acting,
    *,
    session: Session,
    at: datetime,
    action: str,
    entity_type: str,
    entity_id: str | int,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """:func:`record` of a change ``by`` made (its actor string and user id)."""
    return record(
        session=session,
        at=at,
        actor=by.actor,
        actor_user_id=by.user_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=before,
        after=after,
        reason=reason,
        ip=ip,
    )


def changes(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only what changed: the keys whose values differ (or that are on one side only), as
    ``(before, after)``; a key missing on one side is left out of that side."""
    keys = [k for k in {**before, **after} if k not in before or k not in after]
    keys += [k for k in before if k in after and before[k] != after[k]]
    return (
        {k: before[k] for k in before if k in keys},
        {k: after[k] for k in after if k in keys},
    )


def history(*, session: Session, entity_type: str, entity_id: str | int) -> list[AuditEntry]:
    """Every entry about one record, oldest first."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == str(entity_id))
            .order_by(AuditEntry.id)
        )
    )


@dataclass(frozen=True)
class AuditFilter:
    """Which entries a reader asks for; ``None`` means any."""

    entity_type: str | None = None
    entity_id: str | None = None
    actor: str | None = None
    action: str | None = None
    since: datetime | None = None


@dataclass(frozen=True)
class AuditPage:
    items: list[AuditEntry]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search(
    *, session: Session, filters: AuditFilter, page: int = 1, per_page: int = 50
) -> AuditPage:
    """One page of the entries matching ``filters``, newest first."""
    page = max(1, page)
    per_page = min(max(1, per_page), MAX_PAGE)
    statement = select(AuditEntry)
    if filters.entity_type is not None:
        statement = statement.where(AuditEntry.entity_type == filters.entity_type)
    if filters.entity_id is not None:
        statement = statement.where(AuditEntry.entity_id == filters.entity_id)
    if filters.actor is not None:
        statement = statement.where(AuditEntry.actor == filters.actor)
    if filters.action is not None:
        statement = statement.where(AuditEntry.action == filters.action)
    if filters.since is not None:
        chain.utc_text(filters.since)
        statement = statement.where(AuditEntry.at >= filters.since)
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    items = session.scalars(
        statement.order_by(AuditEntry.id.desc()).offset((page - 1) * per_page).limit(per_page)
    )
    return AuditPage(list(items), total, page, per_page)


def verify_log(
    *, session: Session, batch: int = DEFAULT_BATCH, expect_head: str | None = None
) -> chain.VerifyResult:
    """Verify the whole log (``chain.verify``), reading ``batch`` rows at a time in id order
    without keeping them in the session."""
    return chain.verify(entries(session=session, batch=batch), expect_head=expect_head)


def entries(
    *, session: Session, batch: int = DEFAULT_BATCH, after: int = 0, upto: int | None = None
) -> Iterator[chain.EntryData]:
    """The entries with ``after < id <= upto`` (every one from ``after`` on without ``upto``)
    in id order, as plain data, read ``batch`` rows per query."""
    if batch < 1:
        raise InputError(f"batch must be at least 1, not {batch}")
    return _stream(session, batch, after, upto)


def head(*, session: Session) -> tuple[int, str]:
    """The id and hash of the newest entry: ``(0, GENESIS)`` for an empty log."""
    return _head(session)


def hash_at(*, session: Session, entry_id: int) -> str | None:
    """The stored hash of entry ``entry_id`` (``GENESIS`` for 0; ``None``: no such entry)."""
    if entry_id == 0:
        return chain.GENESIS
    return session.scalar(select(AuditEntry.hash).where(AuditEntry.id == entry_id))


def _stream(
    session: Session, batch: int, after: int, upto: int | None
) -> Iterator[chain.EntryData]:
    columns = [AuditEntry.__table__.c[name] for name in (*chain.HASHED_FIELDS, "prev_hash", "hash")]
    last: int | None = after or None  # from the start: ids below 1 are read too (and refused)
    while True:
        statement = select(*columns).order_by(AuditEntry.id)
        if last is not None:
            statement = statement.where(AuditEntry.id > last)
        if upto is not None:
            statement = statement.where(AuditEntry.id <= upto)
        rows = session.execute(statement.limit(batch)).all()
        for row in rows:
            yield chain.EntryData(**row._mapping)
        if len(rows) < batch:
            return
        last = rows[-1].id


def _take_append_lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(APPEND_LOCK)))
    else:
        # Takes SQLite's write lock (waiting busy_timeout for it) and changes nothing.
        session.execute(text("UPDATE audit_log SET id = id WHERE 0"))


def _head(session: Session) -> tuple[int, str]:
    row = session.execute(
        select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    return (0, chain.GENESIS) if row is None else (row.id, row.hash)


def _name(field: str, value: str, length: int, pattern: re.Pattern[str] | None = None) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{field}: must be a non-empty string")
    if len(value) > length:
        raise InputError(f"{field}: {len(value)} characters, at most {length}")
    chain.check_text(value, field)
    if pattern is not None and not pattern.fullmatch(value):
        expected = "kind:rest, e.g. user:7:alice" if field == "actor" else "entity.verb"
        raise InputError(f"{field}: {value!r} is not of the form {expected}")
