"""The green code's part of the scheduler's pass (``ecoradar serve`` every
``ECORADAR_SCHEDULER_INTERVAL`` seconds; ``ecoradar scheduler run-once``):

1. recompute the enterprises queued as stale (``greencode_stale``), ``CHUNK`` per unit of
   work; taking them from the queue and storing their codes is one unit, so a failure leaves
   them queued;
2. once per China day ("nightly"), and whenever the model's version changed since the last
   full pass, recompute every enterprise and record the pass (``greencode_passes``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.bootstrap import Container
from ecoradar.greencode import stale
from ecoradar.greencode.gather import data_as_of
from ecoradar.greencode.models import GreenCodePass
from ecoradar.greencode.scoring import china_date
from ecoradar.greencode.service import CHUNK, RecomputeReport, model_for, recompute, recompute_all

ACTOR = "system:scheduler"


@dataclass
class GreencodeReport:
    stale: RecomputeReport = field(default_factory=RecomputeReport)
    full: RecomputeReport | None = None

    @property
    def idle(self) -> bool:
        return not self.stale.computed and self.full is None

    def __str__(self) -> str:
        parts = [f"green code: {self.stale.computed} stale recomputed"]
        if self.full is not None:
            parts.append(f"daily pass over {self.full.computed}")
        changed = self.stale.changed + (self.full.changed if self.full else 0)
        return ", ".join(parts) + f", {changed} changed colour"


def _full_pass_due(session: Session, now: datetime, version: str) -> bool:
    latest = session.scalars(
        select(GreenCodePass).order_by(GreenCodePass.day.desc()).limit(1)
    ).first()
    if latest is None:
        return True
    return latest.day < china_date(now) or latest.model_version != version


def run_greencode(container: Container, *, chunk: int = CHUNK) -> GreencodeReport:
    """One pass of the two steps above."""
    report = GreencodeReport()
    now = container.clock.now()
    model = model_for(container.settings)
    with container.reading() as session:
        as_of = data_as_of(session=session, now=now)
        due = _full_pass_due(session, now, model.version)

    def stale_part(session: Session) -> tuple[int, RecomputeReport]:
        ids = stale.take(session=session, limit=chunk)
        done = recompute(
            session=session, enterprise_ids=ids, now=now, model=model, actor=ACTOR, as_of=as_of
        )
        return len(ids), done

    while True:
        taken, part = container.write(stale_part, what="the green code (stale)")
        report.stale.add(part)
        if taken < chunk:
            break
    if due:
        started = container.clock.now()
        report.full = recompute_all(container, now=now, model=model, actor=ACTOR, chunk=chunk)

        def record(session: Session) -> None:
            day = china_date(now)
            row = session.get(GreenCodePass, day)
            if row is None:
                row = GreenCodePass(day=day)
                session.add(row)
            row.started_at = started
            row.finished_at = container.clock.now()
            assert report.full is not None
            row.enterprises = report.full.computed
            row.model_version = model.version

        container.write(record, what="the green code (daily pass)")
    return report
