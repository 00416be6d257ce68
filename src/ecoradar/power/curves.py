"""An enterprise's power curves over a stretch of time, for its page and the API: every meter
(production units first), thinned to ``POINTS`` points, and the episodes in that time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.power import rules
from ecoradar.power.models import PowerEpisode, PowerMeter
from ecoradar.power.service import as_rule_meter, episodes, samples
from ecoradar.problems.models import Finding
from ecoradar.registry.models import Enterprise

POINTS = 720
"""Points per curve on a page (a day of one-minute readings: one point per two minutes)."""


@dataclass(frozen=True)
class Curves:
    enterprise: Enterprise
    start: datetime
    end: datetime
    meters: list[dict[str, Any]]
    episodes: list[PowerEpisode]
    problem_of: dict[int, int]
    """finding id -> problem id, for links."""


def enterprise_curves(
    *, session: Session, enterprise: Enterprise, start: datetime, end: datetime
) -> Curves:
    """The curves of ``enterprise`` over [start, end) (a session scoped to the principal
    must have found ``enterprise``)."""
    meters = list(
        session.scalars(select(PowerMeter).where(PowerMeter.enterprise_id == enterprise.id))
    )
    meters.sort(key=lambda m: (m.unit.kind != "production", m.unit.code, m.code))
    found = samples(session, [m.id for m in meters], start, end)
    drawn = []
    for m in meters:
        made = rules.curve(as_rule_meter(m), found[m.id], start, end)
        made["points"] = rules.curve_points(found[m.id], POINTS)
        made["unit_name"] = m.unit.name
        drawn.append(made)
    stretch = episodes(session=session, enterprise_id=enterprise.id, start=start, end=end)
    finding_ids = [e.finding_id for e in stretch if e.finding_id is not None]
    problem_of = (
        dict(
            session.execute(
                select(Finding.id, Finding.problem_id).where(Finding.id.in_(finding_ids))
            ).all()
        )
        if finding_ids
        else {}
    )
    return Curves(enterprise, start, end, drawn, stretch, problem_of)
