"""Downsampling: hourly values made from minute (or real-time) values before retention
deletes those (``ecoradar.monitoring.retention``).

An hour of a point's factor gets a derived hourly value when it has minute values but no
hourly value, or real-time values but neither minute nor hourly values. See :func:`hour_of`
for how the values and the flag are made; the row is marked ``derived``, its ``received_at`` is
the time it was made, and a value the device sends later does not replace it (the first stored
value stands, as for every retransmission).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, text
from sqlalchemy.dialects import postgresql, sqlite

from ecoradar.core.db import UTCDateTime
from ecoradar.monitoring.models import Measurement

_SOURCES = {
    # kind: value, lowest, highest, zs value, zs lowest, zs highest
    "minute": (
        "avg",
        "coalesce(m.min, m.avg)",
        "coalesce(m.max, m.avg)",
        "zs_avg",
        "coalesce(m.zs_min, m.zs_avg)",
        "coalesce(m.zs_max, m.zs_avg)",
    ),
    "rtd": ("rtd", "m.rtd", "m.rtd", "zs_rtd", "m.zs_rtd", "m.zs_rtd"),
}
_SUMS = ("n", "v_sum", "v_n", "v_min", "v_max", "z_sum", "z_n", "z_min", "z_max", "c_sum", "c_n")


def _hour_sql(dialect: str, table: str, kind: str, lower: bool, point: bool) -> str:
    value, low, high, zs, zs_low, zs_high = _SOURCES[kind]
    if dialect == "postgresql":
        bucket = "date_bin('1 hour', m.data_time, TIMESTAMPTZ '2000-01-01 00:00:00+00')"
        next_hour = "g.hour + interval '1 hour'"
    else:
        bucket = "substr(m.data_time, 1, 13) || ':00:00.000000'"
        next_hour = "strftime('%Y-%m-%d %H:00:00.000000', g.hour, '+1 hour')"
    where = ["m.kind = :kind", "m.data_time < :upper"]
    if lower:
        where.append("m.data_time >= :lower")
    if point:
        where.append("m.point_id = :point")
    minutes = (
        "AND NOT EXISTS (SELECT 1 FROM measurements n WHERE n.point_id = g.point_id "
        f"AND n.kind = 'minute' AND n.data_time >= g.hour AND n.data_time < {next_hour} "
        "AND n.factor = g.factor)"
        if kind == "rtd"
        else ""
    )
    return (
        f"WITH g AS (SELECT m.point_id, m.factor, {bucket} AS hour, m.flag, count(*) AS n, "
        f"sum(m.{value}) AS v_sum, count(m.{value}) AS v_n, min({low}) AS v_min, "
        f"max({high}) AS v_max, sum(m.{zs}) AS z_sum, count(m.{zs}) AS z_n, "
        f"min({zs_low}) AS z_min, max({zs_high}) AS z_max, sum(m.cou) AS c_sum, "
        f"count(m.cou) AS c_n FROM {table} m WHERE {' AND '.join(where)} "
        f"GROUP BY m.point_id, m.factor, {bucket}, m.flag) "
        "SELECT g.point_id, g.factor, g.hour, g.flag, "
        + ", ".join(f"g.{name}" for name in _SUMS)
        + " FROM g WHERE NOT EXISTS (SELECT 1 FROM measurements h WHERE h.point_id = g.point_id "
        "AND h.kind = 'hour' AND h.data_time = g.hour AND h.factor = g.factor) "
        + minutes
        + " ORDER BY g.point_id, g.factor, g.hour"
    )


def hour_of(groups: Sequence[Any]) -> dict[str, Any]:
    """An hourly value from one hour's source values, given per flag (rows of
    :func:`_hour_sql`). Only valid values (flag N or none) count when there are any, and the
    hour is flagged N; otherwise all count and the hour takes the flag most of them carry
    (ties: the first in alphabetical order). Avg is the mean of the minutes' Avg (of the
    real-time Rtd), Min and Max the least Min and the greatest Max (Avg or Rtd where not sent),
    the same for the Zs values, Cou the sum of the Cou sent."""
    valid = [g for g in groups if g.flag in (None, "N")]
    used = valid or groups
    if valid:
        flag: str | None = "N"
    else:
        counts: Counter[str] = Counter()
        for g in groups:
            counts[g.flag] += g.n
        flag = min(counts, key=lambda f: (-counts[f], f))

    def mean(total: str, count: str) -> float | None:
        n = sum(getattr(g, count) for g in used)
        return sum(getattr(g, total) for g in used if getattr(g, count)) / n if n else None

    def least(name: str) -> float | None:
        return min((v for g in used if (v := getattr(g, name)) is not None), default=None)

    def most(name: str) -> float | None:
        return max((v for g in used if (v := getattr(g, name)) is not None), default=None)

    cou = sum(g.c_sum for g in used if g.c_n) if any(g.c_n for g in used) else None
    return {
        "avg": mean("v_sum", "v_n"),
        "min": least("v_min"),
        "max": most("v_max"),
        "zs_avg": mean("z_sum", "z_n"),
        "zs_min": least("z_min"),
        "zs_max": most("z_max"),
        "cou": cou,
        "flag": flag,
    }


def derive_hours(
    conn: Connection,
    *,
    kind: str,
    upper: datetime,
    now: datetime,
    table: str = "measurements",
    lower: datetime | None = None,
    point_id: int | None = None,
    apply: bool = True,
) -> int:
    """Hourly values for the hours of ``kind`` (minute or rtd) values in ``table`` before
    ``upper`` (from ``lower``; of one point) that have none (nor, for real-time values,
    minute values); written unless ``apply`` is false. Returns how many."""
    dialect = conn.dialect.name
    sql = _hour_sql(dialect, table, kind, lower is not None, point_id is not None)
    binds = [bindparam("upper", type_=UTCDateTime())]
    values: dict[str, Any] = {"kind": kind, "upper": upper}
    if lower is not None:
        binds.append(bindparam("lower", type_=UTCDateTime()))
        values["lower"] = lower
    if point_id is not None:
        values["point"] = point_id
    statement = text(sql).bindparams(*binds).columns(hour=UTCDateTime())
    hours: dict[tuple[int, str, datetime], list[Any]] = {}
    for row in conn.execute(statement, values):
        hours.setdefault((row.point_id, row.factor, row.hour), []).append(row)
    if apply and hours:
        rows = [
            {
                "point_id": point,
                "factor": factor,
                "kind": "hour",
                "data_time": hour,
                "received_at": now,
                "derived": True,
                **hour_of(groups),
            }
            for (point, factor, hour), groups in hours.items()
        ]
        dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        conn.execute(dialect_insert(Measurement).on_conflict_do_nothing(), rows)
    return len(hours)
