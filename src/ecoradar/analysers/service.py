"""Storing analyser parameters and reading their history."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ecoradar.analysers.models import AnalyserParameter
from ecoradar.analysers.parse import PARAMETER_COLUMNS, ParameterRow

HISTORY_LIMIT = 200
"""Records shown on a page."""


def store_parameters(*, session: Session, rows: Sequence[ParameterRow]) -> int:
    """Insert ``rows``; a record already stored for the same point, factor and time stays
    (idempotent). Returns how many were new."""
    if not rows:
        return 0
    values = [dict(zip(PARAMETER_COLUMNS, row, strict=True)) for row in rows]
    dialect = session.get_bind().dialect.name
    maker = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = maker(AnalyserParameter).on_conflict_do_nothing(
        index_elements=["point_id", "factor", "data_time"]
    )
    connection = session.connection()  # core execution: a cursor result with its rowcount
    inserted = 0
    for value in values:  # a few a device a day
        inserted += connection.execute(statement, value).rowcount or 0
    return inserted


def history(
    *, session: Session, point_id: int, factor: str | None = None, limit: int = HISTORY_LIMIT
) -> list[AnalyserParameter]:
    """A point's parameter records, newest first."""
    query = select(AnalyserParameter).where(AnalyserParameter.point_id == point_id)
    if factor is not None:
        query = query.where(AnalyserParameter.factor == factor)
    query = query.order_by(AnalyserParameter.data_time.desc(), AnalyserParameter.factor)
    return list(session.scalars(query.limit(limit)))
