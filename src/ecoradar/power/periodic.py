"""Power sub-metering in the scheduler's pass (``problems.scheduler.run_once``): once an hour,
every metered enterprise's last hours are judged again. Readings are judged as they arrive; this
catches what no arriving reading triggers — monitoring that stays silent (judged only once its
hourly values are overdue) and an enterprise whose meters all stopped sending."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ecoradar.bootstrap import Container
from ecoradar.core.periodic import Hourly
from ecoradar.power import service
from ecoradar.power.detect import Report, detect
from ecoradar.problems.policy import load_policy

LOOK_BACK = timedelta(hours=3)
"""How far back the hourly pass judges (more than the 75 minutes monitoring may lag)."""

_hourly = Hourly()


def judge(box: Container, enterprise_id: int, start: datetime, end: datetime) -> Report:
    """The rules over one enterprise's stored readings in ``[start, end)``, in a unit of work of
    its own (episodes and findings are made once)."""

    def work(session: Session) -> Report:
        return detect(
            session=session,
            index=box.regions.get(session),
            policy=load_policy(session=session, settings=box.settings),
            enterprise_id=enterprise_id,
            start=start,
            end=end,
            now=box.clock.now(),
        )

    return box.write(work, what="power episodes")


@dataclass
class PowerPass:
    skipped: bool = False
    enterprises: int = 0
    report: Report | None = None

    @property
    def idle(self) -> bool:
        r = self.report
        return self.skipped or r is None or not (r.new or r.grown or r.revised or r.withdrawn)

    def __str__(self) -> str:
        r = self.report or Report()
        return (
            f"power: {self.enterprises} metered enterprise(s) judged, {r.new} new episode(s), "
            f"{r.grown} grown, {r.revised} revised, {r.withdrawn} withdrawn, "
            f"{r.findings} finding(s)"
        )


def run_power(box: Container) -> PowerPass:
    if not _hourly.due(box):
        return PowerPass(skipped=True)
    with box.reading() as session:
        metered = service.metered_enterprises(session=session)
    now = box.clock.now()
    total = Report()
    for enterprise, _ in metered:
        part = judge(box, enterprise.id, now - LOOK_BACK, now)
        total.add(part)
    return PowerPass(enterprises=len(metered), report=total)
