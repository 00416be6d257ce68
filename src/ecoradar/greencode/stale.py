"""The queue of enterprises whose code must be recomputed (``greencode_stale``).

The writers of the code's inputs call :func:`mark` (or :func:`mark_points`) in the transaction
that changes the input: one ``INSERT ... ON CONFLICT DO NOTHING``, so a change and its mark
commit or roll back together. The scheduler's pass takes the queue (:func:`take`) in the unit
of work that recomputes, so a mark made while it runs is either seen by that unit or left for
the next pass (PostgreSQL: a concurrent insert waits for the taking transaction's delete).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import bindparam, delete, select, text
from sqlalchemy.orm import Session

from ecoradar.core.db import UTCDateTime
from ecoradar.greencode.models import STALE_REASON_MAX, StaleCode

_MARK = text(
    "INSERT INTO greencode_stale (enterprise_id, reason, marked_at) "
    "VALUES (:enterprise_id, :reason, :marked_at) ON CONFLICT (enterprise_id) DO NOTHING"
).bindparams(bindparam("marked_at", type_=UTCDateTime()))

_MARK_POINTS = text(
    "INSERT INTO greencode_stale (enterprise_id, reason, marked_at) "
    "SELECT DISTINCT o.enterprise_id, :reason, :marked_at FROM monitoring_points p "
    "JOIN outlets o ON o.id = p.outlet_id WHERE p.id IN :point_ids "
    "ON CONFLICT (enterprise_id) DO NOTHING"
).bindparams(bindparam("marked_at", type_=UTCDateTime()), bindparam("point_ids", expanding=True))


def mark(
    *, session: Session, enterprise_ids: Iterable[int | None], reason: str, at: datetime
) -> int:
    """Queue the enterprises (``None`` entries are skipped); returns how many rows were new."""
    ids = sorted({i for i in enterprise_ids if i is not None})
    if not ids:
        return 0
    reason = reason[:STALE_REASON_MAX]
    result = session.execute(
        _MARK, [{"enterprise_id": i, "reason": reason, "marked_at": at} for i in ids]
    )
    return max(int(getattr(result, "rowcount", 0) or 0), 0)


def mark_points(*, session: Session, point_ids: Iterable[int], reason: str, at: datetime) -> None:
    """Queue the enterprises of monitoring points: one statement, whatever the number."""
    ids = sorted(set(point_ids))
    if ids:
        session.execute(
            _MARK_POINTS,
            {"reason": reason[:STALE_REASON_MAX], "marked_at": at, "point_ids": ids},
        )


def take(*, session: Session, limit: int) -> list[int]:
    """Remove up to ``limit`` queued enterprises (the oldest marks first) and return them."""
    ids = list(
        session.scalars(
            select(StaleCode.enterprise_id)
            .order_by(StaleCode.marked_at, StaleCode.enterprise_id)
            .limit(limit)
        )
    )
    if ids:
        session.execute(delete(StaleCode).where(StaleCode.enterprise_id.in_(ids)))
    return ids


def pending(*, session: Session) -> int:
    """How many enterprises are queued."""
    from sqlalchemy import func

    return int(session.scalar(select(func.count()).select_from(StaleCode)) or 0)
