"""Helpers of the audit log tests: a few entries, and tampering as someone with database access
would do it (drop the triggers, then change rows with plain SQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, select, text, update
from sqlalchemy.orm import Session

from ecoradar.audit import chain, service
from ecoradar.audit.models import AuditEntry

AT = datetime(2026, 11, 29, 2, 30, 0, 123456, tzinfo=UTC)
TABLE = AuditEntry.__table__


def add_entries(session: Session, count: int, **changes: Any) -> list[AuditEntry]:
    """``count`` entries about problems 1..count, one minute apart."""
    entries = []
    for n in range(1, count + 1):
        arguments: dict[str, Any] = {
            "at": AT + timedelta(minutes=n),
            "actor": "user:7:alice",
            "action": "problem.accept",
            "entity_type": "problem",
            "entity_id": n,
            "before": {"state": "new"},
            "after": {"state": "accepted"},
            "reason": f"reason {n}",
            "actor_user_id": 7,
        }
        arguments.update(changes)
        entries.append(service.record(session=session, **arguments))
    return entries


def drop_triggers(db: Session | Connection) -> None:
    dialect = db.dialect if isinstance(db, Connection) else db.get_bind().dialect
    if dialect.name == "postgresql":
        db.execute(text("DROP TRIGGER audit_log_no_update_or_delete ON audit_log"))
    else:
        db.execute(text("DROP TRIGGER audit_log_no_update"))
        db.execute(text("DROP TRIGGER audit_log_no_delete"))


def tamper(db: Session | Connection, entry_id: int, **values: Any) -> None:
    """Change columns of one entry with plain SQL (the triggers must be gone)."""
    db.execute(update(TABLE).where(TABLE.c.id == entry_id).values(**values))


def remove(db: Session | Connection, entry_id: int) -> None:
    db.execute(delete(TABLE).where(TABLE.c.id == entry_id))


def shift_ids(db: Session | Connection, first: int, by: int) -> None:
    """Move the ids from ``first`` on by ``by`` (in two steps so the key stays unique)."""
    db.execute(update(TABLE).where(TABLE.c.id >= first).values(id=TABLE.c.id + 1_000_000))
    db.execute(update(TABLE).where(TABLE.c.id >= 1_000_000).values(id=TABLE.c.id - 1_000_000 + by))


def rewrite_after_deleting(db: Session | Connection, entry_id: int) -> None:
    """Delete entry ``entry_id``, renumber the later ones and recompute every later hash, as
    someone with database access who knows the chain's rules would: the chain is sound
    again (the triggers must be gone)."""
    remove(db, entry_id)
    shift_ids(db, entry_id + 1, -1)
    columns = [TABLE.c[name] for name in (*chain.HASHED_FIELDS, "prev_hash", "hash")]
    rows = db.execute(select(*columns).where(TABLE.c.id >= entry_id).order_by(TABLE.c.id)).all()
    previous = db.execute(select(TABLE.c.hash).where(TABLE.c.id == entry_id - 1)).scalar()
    prev_hash = previous or chain.GENESIS
    for row in rows:
        entry = chain.EntryData(**row._mapping)
        digest = chain.entry_hash(prev_hash, chain.fields_of(entry))
        tamper(db, entry.id, prev_hash=prev_hash, hash=digest)
        prev_hash = digest
