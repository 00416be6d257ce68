"""The mixed workload against a served EcoRadar (``ecoradar.simulate.workload``): who it acts as,
and the check that everything the server accepted is stored exactly once."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, tuple_

from ecoradar.bootstrap import Container
from ecoradar.clues.models import Clue
from ecoradar.monitoring.models import Measurement, RawPacket
from ecoradar.problems.models import Finding, ProblemNote
from ecoradar.registry.models import MonitoringPoint
from ecoradar.simulate.fleet import load_profiles
from ecoradar.simulate.traffic import PointProfile
from ecoradar.simulate.workload import Accepted

SERVER_SETTINGS = {
    "clue_rate_limit_per_hour": 1_000_000,  # the workload is one client making many reports
    "clue_tracking_rate_limit_per_hour": 1_000_000,
    "scheduler_interval": 2,  # the scheduler writes too, often
}


def devices(box: Container, count: int) -> list[PointProfile]:
    with box.reading() as session:
        return load_profiles(session, limit=count)


@dataclass
class Stored:
    """How many times each accepted thing is in the database."""

    notes: Counter[tuple[int, str]]
    clues: Counter[str]
    packets: Counter[tuple[str, datetime]]
    hours_with_values: int

    def missing(self, accepted: Accepted) -> dict[str, list[object]]:
        return {
            "notes": [n for n in accepted.notes if self.notes[n] == 0],
            "clues": [c for c in accepted.clues if self.clues[c] == 0],
            "packets": [p for p in accepted.packets if self.packets[p] == 0],
        }

    def doubled(self) -> dict[str, list[object]]:
        return {
            "notes": [n for n, k in self.notes.items() if k > 1],
            "clues": [c for c, k in self.clues.items() if k > 1],
            "packets": [p for p, k in self.packets.items() if k > 1],
        }


def stored(box: Container, accepted: Accepted, tag: str) -> Stored:
    """Look up everything ``accepted`` holds (and every text of this run, ``tag``)."""
    like = f"%{tag}-%"
    with box.reading() as session:
        notes = Counter(
            (row.problem_id, row.text)
            for row in session.execute(
                select(ProblemNote.problem_id, ProblemNote.text).where(ProblemNote.text.like(like))
            )
        )
        clues = Counter(
            session.scalars(
                select(Finding.description)
                .join(Clue, Clue.finding_id == Finding.id)
                .where(Finding.description.like(like))
            )
        )
        packets: Counter[tuple[str, datetime]] = Counter()
        keys = sorted(accepted.packets)
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            rows = session.execute(
                select(RawPacket.mn, RawPacket.data_time).where(
                    RawPacket.cn == "2061",
                    RawPacket.outcome == "stored",
                    tuple_(RawPacket.mn, RawPacket.data_time).in_(chunk),
                )
            )
            packets.update((mn, when) for mn, when in rows)
        points = {mn for mn, _ in keys}
        hours_stored = (
            select(Measurement.point_id, Measurement.data_time)
            .join(MonitoringPoint, MonitoringPoint.id == Measurement.point_id)
            .where(Measurement.kind == "hour", MonitoringPoint.mn.in_(points))
            .distinct()
            .subquery()
        )
        hours = session.scalar(select(func.count()).select_from(hours_stored))
    return Stored(notes, clues, packets, hours or 0)
