"""The power rules run over stored curves: incrementally after readings arrive (the time
they cover, with ``rules.LOOKBACK`` of history), or as a batch over any stretch of history.

Each episode is stored once (``power_episodes``; one found again, or longer, updates the stored
one), and becomes one finding of the ``power`` channel (``source_ref`` ``power:<episode id>``)
with both curves as evidence; findings about the same facility or point share a
``match_key``, so they attach to its open problem.

Readings may arrive late and out of order (a gateway uploading its backlog): every pass judges
its window again and ``revise`` says what became of each stored episode touching it (grown,
shortened, split, withdrawn; what an episode covers outside the window stands); ``keep``
stores that. The window is [earliest new reading - ``LOOKBACK``, latest + hold): readings
change what the curves say at most ``hold`` before themselves, so its cost does not grow with
an episode that lasts for days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.power import keep, rules
from ecoradar.power.evidence import Context, context, monitoring
from ecoradar.power.models import PowerEpisode
from ecoradar.power.revise import Known, revise
from ecoradar.power.service import as_rule_meter, samples
from ecoradar.problems.policy import Policy
from ecoradar.regions.index import RegionIndex


@dataclass
class Report:
    episodes: int = 0
    new: int = 0
    grown: int = 0
    findings: int = 0
    revised: int = 0
    """Episodes shortened or moved by late readings (split-off pieces count as new)."""
    withdrawn: int = 0
    """Episodes (and their findings) withdrawn: re-judged, the rule did not hold 30 minutes."""

    def add(self, other: Report) -> None:
        for name in ("episodes", "new", "grown", "findings", "revised", "withdrawn"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True)
class Judged:
    """Every stretch in which ``rule`` held for ``subject`` in [start, end), of any length."""

    rule: str
    subject: str
    runs: list[rules.Found]
    start: datetime
    end: datetime


def _known(session: Session, enterprise_id: int, start: datetime, end: datetime) -> list[Known]:
    rows = session.scalars(
        select(PowerEpisode).where(
            PowerEpisode.enterprise_id == enterprise_id,
            PowerEpisode.withdrawn_at.is_(None),
            PowerEpisode.start <= end,
            PowerEpisode.end >= start,
        )
    )
    return [Known(e.id, e.rule, e.subject, e.start, e.end, e.state) for e in rows]


def judge(
    session: Session, ctx: Context, begin: datetime, stop: datetime, now: datetime
) -> list[Judged]:
    """The rules over [begin, stop) (monitoring only up to ``now - MONITORING_SETTLE``)."""
    hold = max(timedelta(seconds=m.interval_s * rules.GAP_FACTOR) for m in ctx.meters)
    # readings from ``hold`` either side: a reading's span needs the next one
    curves = samples(session, [m.id for m in ctx.meters], begin - hold, stop + hold)
    spans = {m.id: rules.meter_spans(as_rule_meter(m), curves[m.id]) for m in ctx.meters}
    judged: list[Judged] = []
    production_codes = [u.code for u in ctx.units if u.kind == "production"]
    for facility in (u for u in ctx.units if u.kind == "treatment"):
        made = ctx.production(list(facility.serves) or production_codes)
        mine = [m for m in ctx.meters if m.unit_id == facility.id]
        if not made or not mine:
            continue  # nothing to judge it by: its stored episodes stand
        made_spans, mine_spans = [spans[m.id] for m in made], [spans[m.id] for m in mine]
        found = rules.treatment_idle(
            facility.code, made_spans, mine_spans, begin, stop, shortest=timedelta(0)
        )
        judged.append(Judged("treatment_idle", facility.code, found, begin, stop))
    settled = min(stop, now - rules.MONITORING_SETTLE)
    for point in ctx.points if settled > begin else []:
        made = ctx.for_point(point.mn)
        if not made:
            continue
        online = rules.monitoring_spans(monitoring(session, point.id, begin, settled))
        found = rules.monitoring_offline(
            point.mn, [spans[m.id] for m in made], online, begin, settled, shortest=timedelta(0)
        )
        judged.append(Judged("monitoring_offline", point.mn, found, begin, settled))
    return judged


def detect(
    *,
    session: Session,
    index: RegionIndex,
    policy: Policy,
    enterprise_id: int,
    start: datetime,
    end: datetime,
    now: datetime,
) -> Report:
    """Judge the enterprise's curves over [start - LOOKBACK, end); store what is found and
    what became of the stored episodes touching that time (``revise``)."""
    report = Report()
    ctx = context(session, enterprise_id)
    if ctx is None or ctx.enterprise.region_id is None or not ctx.meters:
        return report
    hold = max(timedelta(seconds=m.interval_s * rules.GAP_FACTOR) for m in ctx.meters)
    begin, stop = start - rules.LOOKBACK, end + hold
    known = _known(session, enterprise_id, begin, stop)
    for part in judge(session, ctx, begin, stop, now):
        mine = [k for k in known if (k.rule, k.subject) == (part.rule, part.subject)]
        changes = revise(mine, part.runs, part.start, part.end)
        report.episodes += sum(1 for r in part.runs if r.end - r.start >= rules.MIN_EPISODE)
        # withdrawals first, so no live episode holds a start another one takes
        for change in sorted(changes, key=lambda c: keep.ORDER[c.kind]):
            report.findings += keep.apply(session, index, policy, ctx, change, now)
            setattr(report, change.kind, getattr(report, change.kind) + 1)
    return report


def detect_ranges(
    *,
    session: Session,
    index: RegionIndex,
    policy: Policy,
    ranges: dict[int, tuple[datetime, datetime]],
    now: datetime,
) -> Report:
    """``detect`` for each enterprise over the time its new readings cover."""
    total = Report()
    for enterprise_id, (start, end) in sorted(ranges.items()):
        total.add(
            detect(
                session=session,
                index=index,
                policy=policy,
                enterprise_id=enterprise_id,
                start=start,
                end=end,
                now=now,
            )
        )
    return total
