"""The power rule ``treatment_idle`` over history as an engine job (issue 17, item 6): written
once as an Ibis expression, run on DuckDB in-process or on Apache Spark.

The live path (``power.detect``) judges an enterprise's curves in Python as readings arrive,
and ``ecoradar power detect`` walks history a day at a time; over a province's years of
one-minute readings that is the work of an engine. The expression reproduces ``power.rules``:

1. *spans* (window ``lead`` per meter): a reading stands until the meter's next reading if that
   comes within ``GAP_FACTOR`` intervals, else for one interval; what it says is running
   (``>= running``), low (``< idle``) and off (``< min(idle, 2 % of rated)``);
2. a *sweep* per treatment facility: each span start adds, each end subtracts, the number of
   production meters running and of the facility's meters low and off; a running sum over time
   (window ``sum`` per facility) gives those numbers between consecutive change points;
3. *gaps and islands*: a stretch holds when some production meter runs and every meter of the
   facility is low; a running count of the changes of that flag numbers the islands, and each
   island holding ``MIN_EPISODE`` or more is an episode (``off`` when every meter was off
   throughout, else ``idle``). Time no reading stands for counts for nothing, as live.

Times are whole seconds since the Unix epoch (``at``). The inputs: ``readings`` (``meter``,
``at``, ``kw``), ``meters`` (``meter``, thresholds in kW, ``interval_s``) and ``roles``
(``enterprise``, ``facility``, ``meter``, ``role``: the facility's own meters ``treatment``, the
production meters it serves ``production``). ``monitoring_offline`` stays with the live path.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.power import rules, service
from ecoradar.power.evidence import context
from ecoradar.power.models import PowerReading
from ecoradar.power.service import as_rule_meter

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd
    from ibis.backends import BaseBackend

MIN_SECONDS = int(rules.MIN_EPISODE.total_seconds())


@dataclass(frozen=True)
class Role:
    """A meter's part in a treatment facility's rule."""

    enterprise: str
    facility: str
    meter: str
    role: str
    """``production`` (a meter of a unit the facility serves) or ``treatment``."""


@dataclass(frozen=True)
class Episode:
    enterprise: str
    facility: str
    start: datetime
    end: datetime
    state: str

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60

    def as_json(self) -> dict[str, Any]:
        return {
            "enterprise_code": self.enterprise,
            "rule": "treatment_idle",
            "subject": self.facility,
            "state": self.state,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "minutes": round(self.minutes, 1),
        }


def seconds(at: datetime) -> int:
    return int(at.timestamp())


def moment(value: int) -> datetime:
    return datetime.fromtimestamp(value, UTC)


# --- the inputs -------------------------------------------------------------------------------


def meters_frame(meters: Iterable[rules.Meter]) -> pd.DataFrame:
    import pandas as pd

    rows = [
        (m.code, m.off_kw, m.idle_kw, m.running_kw, int(m.interval.total_seconds())) for m in meters
    ]
    columns = ["meter", "off_kw", "idle_kw", "running_kw", "interval_s"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype({"meter": "string", "interval_s": "int64"})


def roles_frame(roles: Iterable[Role]) -> pd.DataFrame:
    import pandas as pd

    rows = [(r.enterprise, r.facility, r.meter, r.role) for r in roles]
    return pd.DataFrame(rows, columns=["enterprise", "facility", "meter", "role"]).astype("string")


def readings_frame(readings: Iterable[tuple[str, datetime, float]]) -> pd.DataFrame:
    import pandas as pd

    rows = [(meter, seconds(at), kw) for meter, at, kw in readings]
    frame = pd.DataFrame(rows, columns=["meter", "at", "kw"])
    return frame.astype({"meter": "string", "at": "int64", "kw": "float64"})


# --- the job (one expression, any engine) -----------------------------------------------------


def _spans(readings: ir.Table, meters: ir.Table) -> ir.Table:
    import ibis

    r = readings.join(meters, "meter")
    at = r["at"]
    following = at.lead().over(ibis.window(group_by=r.meter, order_by=at))
    within = following.notnull() & (following - at <= r.interval_s * rules.GAP_FACTOR)
    return r.select(
        meter=r.meter,
        start=at,
        end=within.ifelse(following, at + r.interval_s),
        running=(r.kw >= r.running_kw).ifelse(1, 0),
        low=(r.kw < r.idle_kw).ifelse(1, 0),
        off=(r.kw < r.off_kw).ifelse(1, 0),
    )


def _changes(spans: ir.Table, roles: ir.Table) -> ir.Table:
    """Per facility and change point, how the counts of running production meters and low
    and off treatment meters change there."""
    s = spans.join(roles, "meter")
    made = (s.role == "production").ifelse(1, 0)
    mine = 1 - made
    starts = s.select(
        enterprise=s.enterprise,
        facility=s.facility,
        t=s.start,
        d_run=s.running * made,
        d_low=s.low * mine,
        d_off=s.off * mine,
    )
    ends = s.select(
        enterprise=s.enterprise,
        facility=s.facility,
        t=s.end,
        d_run=-s.running * made,
        d_low=-s.low * mine,
        d_off=-s.off * mine,
    )
    both = starts.union(ends, distinct=False)
    return both.group_by(["enterprise", "facility", "t"]).aggregate(
        d_run=both.d_run.sum(), d_low=both.d_low.sum(), d_off=both.d_off.sum()
    )


def idle_episodes(
    readings: ir.Table, meters: ir.Table, roles: ir.Table, start: int, end: int
) -> ir.Table:
    """``treatment_idle`` episodes in [start, end) (epoch seconds): ``enterprise``,
    ``facility``, ``start``, ``end``, ``off`` (1: every meter off throughout)."""
    import ibis

    changes = _changes(_spans(readings, meters), roles)
    sizes = roles.filter(roles.role == "treatment")
    sizes = sizes.group_by(["enterprise", "facility"]).aggregate(n_treat=sizes.count())
    made = roles.filter(roles.role == "production").select("enterprise", "facility").distinct()
    sizes = sizes.join(made, ["enterprise", "facility"])
    by_time = ibis.window(group_by=[changes.enterprise, changes.facility], order_by=changes.t)
    so_far = ibis.cumulative_window(
        group_by=[changes.enterprise, changes.facility], order_by=changes.t
    )
    counted = changes.select(
        enterprise=changes.enterprise,
        facility=changes.facility,
        t=changes.t,
        following=changes.t.lead().over(by_time),
        run=changes.d_run.sum().over(so_far),
        low=changes.d_low.sum().over(so_far),
        off=changes.d_off.sum().over(so_far),
    )
    c = counted.join(sizes, ["enterprise", "facility"])
    c = c.filter(c.following.notnull(), c.following > start, c.t < end)
    holds = ((c.run > 0) & (c.low == c.n_treat)).ifelse(1, 0)
    stretches = c.select(
        enterprise=c.enterprise,
        facility=c.facility,
        a=ibis.greatest(c.t, start),
        b=ibis.least(c.following, end),
        holds=holds,
        off=(c.off == c.n_treat).ifelse(1, 0),
    )
    order = ibis.window(group_by=[stretches.enterprise, stretches.facility], order_by=stretches.a)
    previous = stretches.holds.lag().over(order)
    flagged = stretches.mutate(
        turn=(previous.isnull() | (previous != stretches.holds)).ifelse(1, 0)
    )
    numbered = flagged.mutate(
        island=flagged.turn.sum().over(
            ibis.cumulative_window(
                group_by=[flagged.enterprise, flagged.facility], order_by=flagged.a
            )
        )
    )
    held = numbered.filter(numbered.holds == 1)
    islands = held.group_by(["enterprise", "facility", "island"]).aggregate(
        start=held.a.min(), end=held.b.max(), off=held.off.min()
    )
    long = islands.filter(islands.end - islands.start >= MIN_SECONDS)
    return long.select("enterprise", "facility", "start", "end", "off").order_by(
        ["enterprise", "facility", "start"]
    )


# --- running it -------------------------------------------------------------------------------


def run_idle(
    backend: BaseBackend,
    readings: pd.DataFrame | str,
    meters: pd.DataFrame,
    roles: pd.DataFrame,
    start: datetime,
    end: datetime,
) -> list[Episode]:
    """The ``treatment_idle`` episodes in [start, end) on ``backend``; ``readings`` a frame or
    the path of Parquet files (columns ``meter``, ``at``, ``kw``)."""
    if isinstance(readings, str):
        table = backend.read_parquet(readings)
    else:
        table = backend.create_table("power_readings_batch", readings, overwrite=True)
    meter_table = backend.create_table("power_meters_batch", meters, overwrite=True)
    role_table = backend.create_table("power_roles_batch", roles, overwrite=True)
    rows = idle_episodes(table, meter_table, role_table, seconds(start), seconds(end)).to_pandas()
    return [
        Episode(
            str(row.enterprise),
            str(row.facility),
            moment(int(row.start)),
            moment(int(row.end)),
            "off" if int(row.off) == 1 else "idle",
        )
        for row in rows.itertuples(index=False)
    ]


def live_idle(
    meters: Sequence[rules.Meter],
    roles: Sequence[Role],
    readings: Sequence[tuple[str, datetime, float]],
    start: datetime,
    end: datetime,
    chunk: timedelta = timedelta(days=1),
) -> list[Episode]:
    """The same episodes by the live rules (``rules.treatment_idle``) over [start, end): the
    reference the engine job agrees with. Judged a ``chunk`` at a time, as ``power detect``
    walks history, each chunk's stretches of any length stitched to the next, so an episode
    across midnight is found whole."""
    by_code = {m.code: m for m in meters}
    samples: dict[str, list[rules.Sample]] = {m.code: [] for m in meters}
    for meter, at, kw in sorted(readings, key=lambda r: (r[0], r[1])):
        samples[meter].append(rules.Sample(at, kw))
    times = {code: [s.at for s in found] for code, found in samples.items()}
    margin = hold(meters)
    found: list[Episode] = []
    for enterprise, facility in sorted({(r.enterprise, r.facility) for r in roles}):
        mine = [r for r in roles if (r.enterprise, r.facility) == (enterprise, facility)]
        pieces: list[rules.Found] = []
        at = start
        while at < end:
            stop = min(at + chunk, end)

            def spans(code: str, a: datetime = at, b: datetime = stop) -> list[rules.Span]:
                low = bisect.bisect_left(times[code], a - margin)
                high = bisect.bisect_left(times[code], b + margin)
                return rules.meter_spans(by_code[code], samples[code][low:high])

            made = [spans(r.meter) for r in mine if r.role == "production"]
            treat = [spans(r.meter) for r in mine if r.role == "treatment"]
            pieces += rules.treatment_idle(facility, made, treat, at, stop, timedelta(0))
            at = stop
        for f in _stitch(pieces):
            if f.end - f.start >= rules.MIN_EPISODE:
                found.append(Episode(enterprise, facility, f.start, f.end, f.state))
    return found


def _stitch(pieces: Sequence[rules.Found]) -> list[rules.Found]:
    whole: list[rules.Found] = []
    for piece in pieces:
        last = whole[-1] if whole else None
        if last is not None and last.end == piece.start:
            state = "idle" if "idle" in (last.state, piece.state) else "off"
            whole[-1] = rules.Found(last.rule, last.subject, last.start, piece.end, state)
        else:
            whole.append(piece)
    return whole


def hold(meters: Sequence[rules.Meter]) -> timedelta:
    """How far before a period readings still stand into it."""
    return max((m.hold for m in meters), default=timedelta(0))


# --- from the database ------------------------------------------------------------------------


@dataclass(frozen=True)
class Inputs:
    meters: list[rules.Meter]
    roles: list[Role]
    readings: list[tuple[str, datetime, float]]


def from_database(
    session: Session, start: datetime, end: datetime, enterprise: str | None = None
) -> Inputs:
    """The metered enterprises' (or one's) meters, roles and readings that stand in
    [start, end): from ``hold`` before to ``hold`` after (a reading's span needs the next)."""
    meters: list[rules.Meter] = []
    roles: list[Role] = []
    ids: dict[int, str] = {}
    for found, _ in service.metered_enterprises(session=session):
        if enterprise is not None and found.code != enterprise.upper():
            continue
        ctx = context(session, found.id)
        if ctx is None:
            continue
        meters += [as_rule_meter(m) for m in ctx.meters]
        ids.update({m.id: m.code for m in ctx.meters})
        production_codes = [u.code for u in ctx.units if u.kind == "production"]
        for facility in (u for u in ctx.units if u.kind == "treatment"):
            made = ctx.production(list(facility.serves) or production_codes)
            roles += [Role(found.code, facility.code, m.code, "production") for m in made]
            roles += [
                Role(found.code, facility.code, m.code, "treatment")
                for m in ctx.meters
                if m.unit_id == facility.id
            ]
    margin = hold(meters)
    rows = session.execute(
        select(PowerReading.meter_id, PowerReading.at, PowerReading.kw)
        .where(
            PowerReading.meter_id.in_(list(ids)),
            PowerReading.at >= start - margin,
            PowerReading.at < end + margin,
        )
        .order_by(PowerReading.meter_id, PowerReading.at)
    )
    return Inputs(meters, roles, [(ids[m], at, kw) for m, at, kw in rows])
