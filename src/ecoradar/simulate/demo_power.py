"""The demo's power meters: readings at each meter's interval on the demo's clock, through the
same intake as the MQTT and HTTP channels (``power.ingest``), so the power rules run on them.

Production runs from 07:00 to 22:00 China time; a treatment facility runs with the production
it serves, except at the careless enterprises, which switch it off for an hour or two now and
then (the "treatment off while production runs" the rules find).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from ecoradar.bootstrap import Container
from ecoradar.core.clock import CHINA_TZ
from ecoradar.power.ingest import Batch, ingest
from ecoradar.power.models import PowerMeter, PowerUnit
from ecoradar.power.payload import ReadingIn
from ecoradar.registry.models import Enterprise
from ecoradar.simulate.traffic import stable_unit as _unit

CATCH_UP = timedelta(hours=2)
"""Most simulated time a step fills in; older readings are left out (a meter that dropped out:
unknown, never off)."""
OFF_SHARE = 0.15
"""Share of two-hour blocks in which a careless enterprise's treatment facility is off."""


@dataclass(frozen=True)
class _Meter:
    code: str
    enterprise: str
    kind: str
    rated: float
    running: float
    idle: float
    interval: timedelta


class PowerFeed:
    """Sends the registered meters' readings up to the clock's time at each :meth:`step`."""

    def __init__(self, box: Container, careless: set[str]) -> None:
        self.box = box
        self.careless = careless
        with box.reading() as session:
            rows = session.execute(
                select(PowerMeter, PowerUnit.kind, Enterprise.code)
                .join(PowerUnit, PowerMeter.unit_id == PowerUnit.id)
                .join(Enterprise, PowerMeter.enterprise_id == Enterprise.id)
            ).all()
        self.meters = [
            _Meter(
                m.code,
                code,
                kind,
                m.rated_kw,
                m.running_kw,
                m.idle_kw,
                timedelta(seconds=max(m.interval_s, 1)),
            )
            for m, kind, code in rows
        ]
        self.sent: dict[str, datetime] = {}
        self.rng = random.Random(0)
        self.readings = 0

    def step(self, now: datetime) -> int:
        """The readings due up to ``now``; returns how many were stored."""
        by_enterprise: dict[str, list[ReadingIn]] = {}
        for meter in self.meters:
            last = self.sent.get(meter.code, now - meter.interval)
            at = max(last + meter.interval, now - CATCH_UP)
            while at <= now:
                by_enterprise.setdefault(meter.enterprise, []).append(
                    ReadingIn(meter.code, at, round(self._kw(meter, at), 2), None)
                )
                last, at = at, at + meter.interval
            self.sent[meter.code] = last
        if not by_enterprise:
            return 0
        batches = [Batch(f"demo/{code}", items, code) for code, items in by_enterprise.items()]
        box = self.box
        result = box.write(
            lambda session: ingest(
                session=session,
                settings=box.settings,
                regions=box.regions,
                batches=batches,
                source="http",  # as a meter gateway's batch upload
                now=now,
            ),
            what="demo power readings",
        )
        self.readings += result.stored
        return result.stored

    def _kw(self, meter: _Meter, at: datetime) -> float:
        local = at.astimezone(CHINA_TZ)
        producing = 7 <= local.hour < 22
        noise = self.rng.uniform(0.95, 1.05)
        if meter.kind != "treatment":
            return meter.rated * 0.7 * noise if producing else meter.idle * 0.4 * noise
        block = int(at.timestamp() // 7200)
        off = meter.enterprise in self.careless and _unit(meter.code, block) < OFF_SHARE
        if producing and not off:
            return max(meter.running * 1.2, meter.rated * 0.6) * noise
        return 0.0
