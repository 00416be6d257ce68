"""The discovery figures per month, quarter or year of a range (issue 18 item 4): each period's
total, computed as ``stats.channels.discovery_stats`` computes the whole range (China days)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.core.errors import InputError
from ecoradar.stats.channels import DiscoveryStats, discovery_stats
from ecoradar.stats.outcomes import PERIODS, periods
from ecoradar.stats.service import day_bounds

MAX_PERIODS = 60
"""Periods in one answer, at most (five years of months)."""


def with_periods(
    stats: DiscoveryStats,
    *,
    session: Session,
    principal: Principal | None,
    region_ids: frozenset[int] | None,
    first: date | None,
    last: date | None,
    period: str,
) -> DiscoveryStats:
    """``stats`` with the total of each ``period`` (``month``, ``quarter``, ``year``) of
    ``first``..``last``; ``all``: unchanged."""
    if period not in PERIODS:
        raise InputError(f"period: {period!r} is not one of {', '.join(PERIODS)}")
    if period == "all":
        return stats
    if first is None or last is None:
        raise InputError(f"period: per {period} needs both from and to")
    spans = periods(first, last, period)
    if len(spans) > MAX_PERIODS:
        raise InputError(
            f"period: {len(spans)} periods is more than {MAX_PERIODS}; choose a longer period"
        )
    rows = []
    for label, start, end in spans:
        since, until = day_bounds(start, end)
        part = discovery_stats(
            session=session,
            principal=principal,
            region_ids=region_ids,
            since=since,
            until=until,
            level=stats.level,
        )
        rows.append((label, part.total))
    return replace(stats, periods=rows)
