"""Counting the rows of a list page without reading every match.

At province scale (a million findings, half a million alerts) an exact ``count(*)`` of an
unfiltered list reads every row it counts; a list only needs to know whether there are more
pages than anyone will page through. :func:`capped_count` counts up to ``COUNT_CAP + 1``
rows: a total above ``COUNT_CAP`` means "more than ``COUNT_CAP``" (and the lists say so; see
``bench/bench_lists.py``).
"""

from __future__ import annotations

from typing import TypeVarTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

Ts = TypeVarTuple("Ts")

COUNT_CAP = 10_000
"""Totals are exact up to this; above it a list says "more than 10,000"."""


def capped_count(session: Session, statement: Select[*Ts], cap: int = COUNT_CAP) -> int:
    """The rows ``statement`` returns, counted up to ``cap + 1`` (``cap + 1``: more than
    ``cap``)."""
    limited = statement.order_by(None).limit(cap + 1).subquery()
    return session.scalar(select(func.count()).select_from(limited)) or 0
