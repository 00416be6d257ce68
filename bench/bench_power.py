"""Power sub-metering: readings stored and judged per second, on SQLite and PostgreSQL.

Two enterprises of the sample city, each with a production line and a treatment facility
metered (4 meters), a day of one-minute readings (5,760) with a 45-minute idle episode each:
1. as a gateway's HTTP batches would come (one call per 360 readings);
2. as MQTT messages through the real broker (127.0.0.1:1883), one reading per message, QoS 1,
   the subscriber batching them (``power.mqtt``), until every reading is stored.

Run: .venv/bin/python bench/bench_power.py
PostgreSQL: a throwaway database on ECORADAR_BENCH_PG_URL (default the local server), dropped after.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiomqtt
from sqlalchemy import create_engine, func, select, text

from ecoradar.bootstrap import Container, bootstrap
from ecoradar.config import Settings
from ecoradar.core import migrate
from ecoradar.core.clock import FakeClock
from ecoradar.power.ingest import Batch, ingest
from ecoradar.power.models import PowerEpisode, PowerReading
from ecoradar.power.mqtt import PowerSubscriber
from ecoradar.power.payload import ReadingIn
from ecoradar.power.service import import_power
from ecoradar.registry.models import Enterprise
from ecoradar.simulate.load import load_sample_city

PG_ADMIN = os.environ.get(
    "ECORADAR_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DAY = 24 * 60
NOW = datetime(2026, 11, 3, tzinfo=UTC)
START = NOW - timedelta(days=1)
BACKLOG = 500
"""Messages published and not yet handled, at most (Mosquitto queues 1,000 per client)."""


def _setup(url: str, directory: Path) -> tuple[Container, list[str]]:
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    settings = Settings(environment="development", home=directory, database_url=url)
    box = bootstrap(settings, clock=FakeClock(NOW))
    load_sample_city(box, directory / "city")
    with box.reading() as session:
        codes = list(session.scalars(select(Enterprise.code).order_by(Enterprise.code).limit(2)))
    units = directory / "units.csv"
    meters = directory / "meters.csv"
    units.write_text(
        "enterprise_code,unit_code,name,kind,treats\n"
        + "".join(f"{c},L1,line,production,\n{c},TF1,fan,treatment,gas\n" for c in codes)
    )
    meters.write_text(
        "meter_id,enterprise_code,unit_code,rated_kw,running_above,idle_below\n"
        + "".join(f"P{i},{c},L1,200,30%,10%\nT{i},{c},TF1,100,30,10\n" for i, c in enumerate(codes))
    )
    with box.transaction() as session:
        import_power(session=session, units=units, meters=meters, now=NOW)
    return box, codes


def _day(meter: str) -> list[ReadingIn]:
    treatment = meter.startswith("T")
    return [
        ReadingIn(
            meter,
            START + timedelta(minutes=i),
            (5.0 if 600 <= i < 645 else 60.0) if treatment else 150.0,
            float(i),
        )
        for i in range(DAY)
    ]


def _counts(box: Container) -> tuple[int, int]:
    with box.reading() as session:
        readings = session.scalar(select(func.count()).select_from(PowerReading)) or 0
        episodes = session.scalar(select(func.count()).select_from(PowerEpisode)) or 0
    return readings, episodes


def http_batches(box: Container) -> float:
    meters = ["P0", "T0", "P1", "T1"]
    every = {m: _day(m) for m in meters}
    begun = time.perf_counter()
    for chunk in range(0, DAY, 90):  # 90 minutes of 4 meters: 360 readings a call
        items = [r for m in meters for r in every[m][chunk : chunk + 90]]
        box.write(
            lambda session, items=items: ingest(
                session=session,
                settings=box.settings,
                regions=box.regions,
                batches=[Batch("readings", items)],
                source="http",
                now=NOW,
            )
        )
    return time.perf_counter() - begun


async def mqtt_messages(box: Container, codes: list[str]) -> float:
    prefix = f"bench/{uuid.uuid4().hex[:8]}/power"
    sub = PowerSubscriber(box, url="mqtt://127.0.0.1:1883", prefix=prefix, client_id=prefix)
    task = asyncio.create_task(sub.run())
    await sub.connected.wait()
    begun = time.perf_counter()
    sent = 0
    async with aiomqtt.Client("127.0.0.1", 1883, identifier=f"pub-{prefix}") as pub:
        for i in range(DAY):
            for n, code in enumerate(codes):
                for meter in (f"P{n}", f"T{n}"):
                    kw = 150.0 if meter.startswith("P") else (5.0 if 600 <= i < 645 else 60.0)
                    at = START + timedelta(minutes=i)
                    body = {"ts": at.isoformat(), "kw": kw, "kwh": float(i)}
                    await pub.publish(f"{prefix}/{code}/{meter}", json.dumps(body), qos=1)
                    sent += 1
                    while sent - sub.counters.messages > BACKLOG:  # within the broker's queue
                        await asyncio.sleep(0.01)
    while sub.counters.messages < DAY * 4:
        await asyncio.sleep(0.05)
    took = time.perf_counter() - begun
    task.cancel()
    return took


def run(url: str, directory: Path) -> None:
    box, codes = _setup(url, directory)
    took = http_batches(box)
    readings, episodes = _counts(box)
    print(f"  HTTP batches: {readings} readings in {took:.2f} s = {readings / took:,.0f}/s; "
          f"{episodes} episodes")  # fmt: skip
    with box.transaction() as session:
        session.execute(text("DELETE FROM power_readings"))
        session.execute(text("UPDATE power_episodes SET finding_id = NULL"))
        session.execute(text("DELETE FROM power_episodes"))
    took = asyncio.run(mqtt_messages(box, codes))
    readings, episodes = _counts(box)
    print(f"  MQTT, one reading a message: {readings} in {took:.2f} s = {readings / took:,.0f}/s; "
          f"{episodes} episodes")  # fmt: skip
    box.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        print("SQLite")
        run(f"sqlite:///{Path(tmp) / 'bench.db'}", Path(tmp))
    name = f"bench_power_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            print("PostgreSQL")
            run(PG_ADMIN.rsplit("/", 1)[0] + "/" + name, Path(tmp))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
