"""Hours that arrive after their time was judged (history recovered late, a link down for a
day) are judged again, so that the episode they belong to is extended or created — without a
second finding for an episode already found.

**Which hours.** Every stored hourly packet is archived (``raw_packets``: MN, ``received_at``,
``data_time``). A pass looks at the packets of each station received after the newest one its
previous look saw (``stations.late_checked_at``); those whose hour lies before the station's
``evaluated_until`` are late. (The first look only notes where it stands.) The
station and its neighbours (a late hour can make a neighbour's rise judgeable, or its own
sudden rise regional) are judged again over each span of late hours (hours closer than
:data:`BACK` make one span), from :data:`BACK` before its first to :data:`AHEAD` after its last
(never past ``evaluated_until``), and a late hour of a year already ended judges that year's
annual mean again. The pass is one unit of work.

**Reconciling.** Each episode found is compared with the station's findings of the same
station, rule, factor and averaging: one whose span overlaps or touches the episode's is the
same episode — the earliest such finding takes the union of both spans, the peak and the
values (its ``source_ref`` stays, so it is still one finding; another finding the episode now
joins to it is marked ``merged_into``); an episode without one becomes a new finding. An
episode shortened by a late value (a day's mean brought under its limit) is left as it was
found: a finding records what was seen. An episode beginning more than :data:`BACK` before a
late hour is not extended by it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, type_coerce
from sqlalchemy.orm import Session

from ecoradar.core.db import UTCDateTime
from ecoradar.monitoring.models import RawPacket
from ecoradar.problems.intake import record_finding
from ecoradar.problems.models import Finding
from ecoradar.problems.policy import Policy
from ecoradar.regions.index import RegionIndex
from ecoradar.stations import averages, rules
from ecoradar.stations.evaluate import (
    ACTOR,
    CHUNK,
    EvaluationReport,
    _series,
    finding_for,
    judge,
    match_key,
    reason,
)
from ecoradar.stations.models import Station
from ecoradar.stations.rules import DEFAULT_RISE, Episode, RiseParams, Series
from ecoradar.stations.standards import limits_for

BACK = CHUNK
AHEAD = timedelta(days=2)
HOURLY_CN = "2061"


def late_hours(session: Session, station: Station) -> tuple[list[datetime], datetime | None]:
    """The station's hours received since its previous look and already judged, and the newest
    receipt time of its packets (where the next look starts)."""
    received = [RawPacket.mn == station.point.mn, RawPacket.outcome == "stored"]
    if station.late_checked_at is not None:
        received.append(RawPacket.received_at > station.late_checked_at)
    newest = session.scalar(
        select(type_coerce(func.max(RawPacket.received_at), UTCDateTime())).where(*received)
    )
    if station.late_checked_at is None or station.evaluated_until is None or newest is None:
        return [], newest or station.late_checked_at
    rows = session.scalars(
        select(RawPacket.data_time)
        .where(
            *received,
            RawPacket.received_at <= newest,
            RawPacket.cn == HOURLY_CN,
            RawPacket.data_time < station.evaluated_until,
        )
        .distinct()
    )
    return sorted(t for t in rows if t is not None), newest


def rejudge_step(
    *,
    session: Session,
    index: RegionIndex,
    policy: Policy,
    now: datetime,
    params: RiseParams = DEFAULT_RISE,
    actor: str = ACTOR,
) -> EvaluationReport:
    """Judge again what late hours touch (module text), in the caller's transaction."""
    report = EvaluationReport()
    stations = list(session.scalars(select(Station).order_by(Station.code)))
    dirty: dict[str, set[datetime]] = {}
    for station in stations:
        late, newest = late_hours(session, station)
        station.late_checked_at = newest
        if not late:
            continue
        report.hours += len(late)
        near = rules.neighbours(_place(station), [_place(s) for s in stations], params)
        for code in [station.code, *(n.code for n, _ in near)]:
            dirty.setdefault(code, set()).update(late)
    for station in stations:
        hours = dirty.get(station.code)
        if not hours or station.evaluated_until is None:
            continue
        for episode in _episodes(session, station, stations, sorted(hours), params):
            outcome = reconcile(
                session=session,
                index=index,
                policy=policy,
                station=station,
                episode=episode,
                now=now,
                actor=actor,
            )
            if outcome != "known":
                key = f"{episode.rule} ({outcome})"
                report.findings[key] = report.findings.get(key, 0) + 1
    session.flush()
    return report


def _place(station: Station) -> Series:
    return Series(station.code, station.kind, station.latitude, station.longitude, {})


def _episodes(
    session: Session,
    station: Station,
    stations: Sequence[Station],
    hours: Sequence[datetime],
    params: RiseParams,
) -> list[Episode]:
    judged = station.evaluated_until
    assert judged is not None
    episodes: list[Episode] = []
    for first, last in late_spans(hours):
        since, until = first - BACK, min(judged, last + AHEAD)
        _, found = judge(session, station, stations, since, until, params)
        episodes += [e for e in found if e.averaging != "year"]
    limits = limits_for(station.kind, station.water_class)
    for year in sorted({averages.china_year(h) for h in hours}):
        end = averages.year_start(year + 1)
        if end > judged or not any(limit.averaging == "year" for limit in limits):
            continue
        whole = _series(session, [station], averages.year_start(year), end)[station.code]
        episodes += averages.yearly_exceedances(whole, limits, end - rules.HOUR, end)
    return episodes


def late_spans(hours: Sequence[datetime]) -> list[tuple[datetime, datetime]]:
    """The late hours' spans, split where two are more than :data:`BACK` apart (each span is
    judged in one piece, so that an episode is never cut between two)."""
    spans: list[tuple[datetime, datetime]] = []
    for hour in hours:
        if spans and hour - spans[-1][1] <= BACK:
            spans[-1] = (spans[-1][0], hour)
        else:
            spans.append((hour, hour))
    return spans


def _span(finding: Finding) -> tuple[datetime, datetime]:
    return datetime.fromisoformat(finding.data["start"]), datetime.fromisoformat(
        finding.data["end"]
    )


def reconcile(
    *,
    session: Session,
    index: RegionIndex,
    policy: Policy,
    station: Station,
    episode: Episode,
    now: datetime,
    actor: str = ACTOR,
) -> str:
    """``created``, ``extended`` or ``known``: what ``episode`` did to the station's findings."""
    key = match_key(station, episode)
    same = [
        f
        for f in session.scalars(
            select(Finding)
            .where(Finding.channel == "station", Finding.source_ref.like(f"{key}:%"))
            .order_by(Finding.id)
        )
        if f.source_ref is not None
        and f.source_ref.startswith(f"{key}:")  # LIKE's ``_`` matches any character
        and not f.data.get("merged_into")
    ]
    touching = [f for f in same if _span(f)[0] <= episode.end and episode.start <= _span(f)[1]]
    if not touching:
        recorded = record_finding(
            session=session,
            index=index,
            item=finding_for(station, episode, now=now),
            now=now,
            actor=actor,
            policy=policy,
        )
        return "known" if recorded.already_known else "created"
    touching.sort(key=lambda f: (_span(f)[0], f.id))
    first, others = touching[0], touching[1:]
    wide = widened(episode, [f.data for f in touching])
    data = {
        **first.data,
        "start": wide.start.isoformat(),
        "end": wide.end.isoformat(),
        "peak": wide.peak,
        "values": [[t.isoformat(), v] for t, v in wide.values[:48]],
    }
    if data == first.data and not others:
        return "known"
    fresh = finding_for(station, wide, now=now)
    data["reason"] = reason(station, wide)
    first.data = data
    first.description = fresh.description
    first.observed_at = min(first.observed_at, wide.start)
    for other in others:
        other.data = {**other.data, "merged_into": first.source_ref}
    return "extended"


def widened(episode: Episode, found: list[dict[str, Any]]) -> Episode:
    """``episode`` widened to the spans, values and peaks of the findings ``found``."""
    start = min([episode.start, *(datetime.fromisoformat(d["start"]) for d in found)])
    end = max([episode.end, *(datetime.fromisoformat(d["end"]) for d in found)])
    values: dict[datetime, float] = {}
    for d in found:
        values.update({datetime.fromisoformat(t): v for t, v in d["values"]})
    values.update(dict(episode.values))
    peaks = [episode.peak, *(d["peak"] for d in found)]
    low = episode.limit is not None and episode.limit.bound == "min"
    evidence = dict(episode.evidence)
    if "baseline" in found[0]:
        evidence["baseline"] = found[0]["baseline"]
    return replace(
        episode,
        start=start,
        end=end,
        peak=min(peaks) if low else max(peaks),
        values=tuple(sorted(values.items())),
        evidence=evidence,
    )
