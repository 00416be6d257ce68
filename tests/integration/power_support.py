"""Shared setup for the power tests: the small city with a production line and a treatment
facility metered at enterprise 1 (region A, gas point ``GAS_MN``) and enterprise 2 (region A,
water point), readings made from minute-by-minute curves, and tokens with the ``power`` scope."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from ecoradar.auth import tokens
from ecoradar.bootstrap import Container
from ecoradar.power import service
from ecoradar.power.models import PowerEpisode, PowerReading
from ecoradar.problems.models import Finding
from tests.factories import GAS_MN, load_small_registry, uscc, write_csv

E1, E2, E3 = uscc(1), uscc(2), uscc(3)
UNITS_HEADER = ["enterprise_code", "unit_code", "name", "kind", "treats", "serves"]
METERS_HEADER = [
    "meter_id",
    "enterprise_code",
    "unit_code",
    "rated_kw",
    "running_above",
    "idle_below",
    "interval_s",
    "points",
]
UNITS = [
    [E1, "L1", "一号生产线", "production", "", ""],
    [E1, "TF1", "废气处理设施", "treatment", "gas", "L1"],
    [E2, "L1", "生产线", "production", "", ""],
    [E2, "WT1", "污水处理站", "treatment", "water", ""],
]
METERS = [
    ["P1", E1, "L1", "200", "30%", "10%", "60", GAS_MN],
    ["T1", E1, "TF1", "100", "30", "10", "60", ""],
    ["P2", E2, "L1", "150", "50", "15", "60", ""],
    ["T2", E2, "WT1", "80", "30%", "10%", "60", ""],
]
MIN = timedelta(minutes=1)


def load_power(box: Container, tmp_path: Path) -> None:
    """The small city and the power registry above, through the importer."""
    load_small_registry(box, tmp_path)
    units = write_csv(tmp_path / "units.csv", UNITS_HEADER, UNITS)
    meters = write_csv(tmp_path / "meters.csv", METERS_HEADER, METERS)
    with box.transaction() as session:
        service.import_power(session=session, units=units, meters=meters, now=box.clock.now())


def power_token(box: Container, name: str = "gateway", region: str | None = None) -> str:
    """An integration token with the ``power`` scope (limited to ``region`` if given)."""
    with box.transaction() as session:
        issued = tokens.create_token(
            session=session, name=name, scopes=["power"], now=box.clock.now(), region=region
        )
    return issued.secret


def items(meter: str, start: datetime, kws: Sequence[float | None]) -> list[dict[str, Any]]:
    """One reading a minute from ``start`` (None: that minute's reading is missing)."""
    return [
        {"meter": meter, "ts": (start + i * MIN).isoformat(), "kw": kw, "kwh": 1000.0 + i}
        for i, kw in enumerate(kws)
        if kw is not None
    ]


def count(box: Container, what: Any, *where: Any) -> int:
    with box.reading() as session:
        return session.scalar(select(func.count()).select_from(what).where(*where)) or 0


def readings(box: Container) -> int:
    return count(box, PowerReading)


def power_findings(box: Container, rule: str | None = None) -> list[Finding]:
    with box.reading() as session:
        found = list(
            session.scalars(select(Finding).where(Finding.channel == "power").order_by(Finding.id))
        )
        session.expunge_all()
    return [f for f in found if rule is None or f.data.get("rule") == rule]


def stored_episodes(box: Container) -> list[PowerEpisode]:
    with box.reading() as session:
        found = list(session.scalars(select(PowerEpisode).order_by(PowerEpisode.id)))
        session.expunge_all()
    return found
