"""Hotspots from the register: the findings of every channel (public and grid reports, alerts,
stations, power, supervisors…) as events, ``hotspots_rules.find`` over them, and each hotspot
recorded as a finding of the ``linkage`` channel (one per hotspot and day; a hotspot that goes on
attaches to its open problem) and drawn as a map layer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ecoradar.bootstrap import Container
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.periodic import Hourly
from ecoradar.linkage.hotspots_rules import (
    DEFAULT_SETTINGS,
    Event,
    Hotspot,
    Settings,
    boundary,
    find,
)
from ecoradar.problems.intake import FindingIn, record_finding
from ecoradar.problems.models import Finding
from ecoradar.problems.policy import load_policy

CHANNEL = "linkage"
REF_PREFIX = "hotspot:"
ACTOR = "system:hotspots"


def events(session: Session, since: datetime, until: datetime) -> list[Event]:
    """Every finding observed in ``[since, until)`` except hotspots themselves."""
    rows = session.execute(
        select(
            Finding.id,
            Finding.lat,
            Finding.lon,
            Finding.observed_at,
            Finding.category,
            Finding.channel,
        ).where(
            Finding.observed_at >= since,
            Finding.observed_at < until,
            or_(Finding.source_ref.is_(None), ~Finding.source_ref.startswith(REF_PREFIX)),
        )
    )
    return [
        Event(lat, lon, at, category, channel, id_) for id_, lat, lon, at, category, channel in rows
    ]


def hotspots(
    session: Session, now: datetime, settings: Settings = DEFAULT_SETTINGS
) -> list[Hotspot]:
    since = now - settings.window * (settings.baseline_windows + 1)
    return find(events(session, since, now), now, settings)


def source_ref(spot: Hotspot, now: datetime) -> str:
    return f"{REF_PREFIX}{spot.cell}:{now.astimezone(CHINA_TZ).date().isoformat()}"


def description(spot: Hotspot) -> str:
    sources = ", ".join(f"{name} {count}" for name, count in spot.sources.items())
    return (
        f"{spot.count} reports, alerts and findings within about 1 km in the last days, where "
        f"{spot.expected:g} would be usual (p = {spot.p_value:.1e}); by channel: {sources}"
    )


@dataclass
class HotspotRun:
    found: list[Hotspot]
    recorded: int = 0
    """New findings (a hotspot already recorded today is not recorded again)."""
    skipped: bool = False
    """The scheduler's pass came within the hour of the last search."""

    @property
    def idle(self) -> bool:
        return self.skipped or not self.found

    def __str__(self) -> str:
        return f"{len(self.found)} hotspot(s), {self.recorded} new hotspot finding(s)"


_hourly = Hourly()


def run_hotspots(box: Container) -> HotspotRun:
    """The scheduler's step: search once per clock hour (findings are recorded once a day)."""
    if not _hourly.due(box):
        return HotspotRun([], skipped=True)
    return record(box)


def record(box: Container, *, now: datetime | None = None, dry_run: bool = False) -> HotspotRun:
    """Find the hotspots of the window ending ``now`` (the clock's time) and record each as a
    finding of the ``linkage`` channel."""
    at = now or box.clock.now()
    with box.reading() as session:
        found = hotspots(session, at)
    run = HotspotRun(found)
    if dry_run or not found:
        return run

    def work(session: Session) -> int:
        policy = load_policy(session=session, settings=box.settings)
        index = box.regions.get(session)
        new = 0
        for spot in found:
            if index.smallest(spot.lon, spot.lat) is None:
                continue  # outside every region: nobody's to handle (still on the map layer)
            done = record_finding(
                session=session,
                index=index,
                item=finding_of(spot, at),
                now=box.clock.now(),
                actor=ACTOR,
                policy=policy,
            )
            new += not done.already_known
        return new

    run.recorded = box.write(work, what="hotspot findings")
    return run


def finding_of(spot: Hotspot, now: datetime) -> FindingIn:
    return FindingIn(
        channel=CHANNEL,
        category=spot.category,
        lat=spot.lat,
        lon=spot.lon,
        observed_at=now,
        title=None,
        description=description(spot),
        severity="high" if spot.score >= 8 else "medium",
        source_ref=source_ref(spot, now),
        match_key=f"{REF_PREFIX}{spot.cell}",
        data={"hotspot": as_dict(spot)},
    )


def as_dict(spot: Hotspot) -> dict[str, Any]:
    return {
        "cell": spot.cell,
        "cells": list(spot.cells),
        "count": spot.count,
        "expected": spot.expected,
        "p_value": spot.p_value,
        "score": spot.score,
        "lat": round(spot.lat, 6),
        "lon": round(spot.lon, 6),
        "category": spot.category,
        "sources": spot.sources,
        "finding_ids": list(spot.refs),
    }


def geojson(found: list[Hotspot]) -> dict[str, Any]:
    """The hotspots as a map layer: each cell a hexagon with its hotspot's figures."""
    features = []
    for rank, spot in enumerate(found, start=1):
        properties = {k: v for k, v in as_dict(spot).items() if k not in ("cells", "finding_ids")}
        properties["rank"] = rank
        for cell in spot.cells:
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Polygon", "coordinates": [boundary(cell)]},
                    "properties": {**properties, "cell_id": cell},
                }
            )
    return {"type": "FeatureCollection", "features": features}
