"""Ambient stations and power meters of the sample city, loaded the way a user would: the
stations and meters as the files their importers read, the stations' last hours as HJ 212
hourly uploads (ST=22 air with wind, ST=21 water) through ``Intake``.

Small on purpose (three air and two water stations, :data:`HOURS` hours each; two meters on
each of three enterprises) so ``ecoradar serve --load-sample`` stays fast. The values are calm
and within the standards (ozone rises little by day, so a neighbour's rise stays its own);
the wind blows from the north.
"""

from __future__ import annotations

import csv
import json
import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from shapely.geometry import shape
from sqlalchemy import select

from ecoradar.bootstrap import Container
from ecoradar.core.clock import CHINA_TZ
from ecoradar.hj212.encoder import encode
from ecoradar.monitoring.pipeline import Intake
from ecoradar.power import service as power
from ecoradar.power.importer import METER_COLUMNS, METER_OPTIONAL, UNIT_COLUMNS, UNIT_OPTIONAL
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet
from ecoradar.stations import service as stations
from ecoradar.stations.importer import STATION_COLUMNS

HOURS = 24
PASSWORD = "123456"
AIR = ("空气站", "air")
WATER = ("水质断面", "water")


@dataclass(frozen=True)
class SampleStation:
    code: str
    name: str
    kind: str
    lon: float
    lat: float

    @property
    def mn(self) -> str:
        return f"SAMPLE{self.code}".ljust(24, "0")


@dataclass(frozen=True)
class LoadedStations:
    stations: int
    packets: int
    units: int
    meters: int


def sample_stations(regions_file: Path) -> list[SampleStation]:
    """Three air and two water stations, each at a district's representative point (the
    water ones 1 km east of it)."""
    features = json.loads(regions_file.read_text(encoding="utf-8"))["features"]
    districts = [f for f in features if f["properties"]["level"] == "county"]
    districts.sort(key=lambda f: f["properties"]["code"])
    found = []
    for n, feature in enumerate(districts[:3]):
        point = shape(feature["geometry"]).representative_point()
        name = feature["properties"]["name"]
        found.append(SampleStation(f"A{n + 1:02d}", name + AIR[0], "air", point.x, point.y))
        if n < 2:
            found.append(
                SampleStation(f"W{n + 1:02d}", name + WATER[0], "water", point.x + 0.01, point.y)
            )
    return found


def _air_items(rng: random.Random, hour: int) -> dict[str, dict[str, str]]:
    daylight = max(0.0, math.sin((hour - 6) / 12 * math.pi))
    values = {
        "a34004": 28 + rng.uniform(-6, 6),
        "a34002": 55 + rng.uniform(-10, 10),
        "a21026": 6 + rng.uniform(-2, 2),
        "a21004": 30 + rng.uniform(-8, 8) - 10 * daylight,
        "a21005": 0.6 + rng.uniform(-0.1, 0.1),
        "a05024": 45 + 20 * daylight + rng.uniform(-5, 5),
        "a01001": 12 + 6 * daylight,
        "a01002": 65 - 15 * daylight,
        "a01006": 101.3,
        "a01007": 2.5 + rng.uniform(-0.8, 0.8),
        "a01008": (5 + rng.uniform(-15, 15)) % 360,
    }
    return {code: {"Avg": f"{v:.4g}", "Flag": "N"} for code, v in values.items()}


def _water_items(rng: random.Random) -> dict[str, dict[str, str]]:
    values = {
        "w01001": 7.4 + rng.uniform(-0.2, 0.2),
        "w01009": 7.0 + rng.uniform(-0.5, 0.5),
        "w01019": 3.2 + rng.uniform(-0.4, 0.4),
        "w21003": 0.35 + rng.uniform(-0.1, 0.1),
        "w21011": 0.08 + rng.uniform(-0.02, 0.02),
        "w01010": 16 + rng.uniform(-1, 1),
    }
    return {code: {"Avg": f"{v:.4g}", "Flag": "N"} for code, v in values.items()}


def packets(found: list[SampleStation], now: datetime, seed: int = 7) -> list[tuple[bytes, str]]:
    """The last :data:`HOURS` whole hours of every station as CN 2061 packets, in time order."""
    rng = random.Random(seed)
    last = now.astimezone(CHINA_TZ).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    frames = []
    for back in range(HOURS, 0, -1):
        when = last - timedelta(hours=back - 1)
        for station in found:
            items = _air_items(rng, when.hour) if station.kind == "air" else _water_items(rng)
            frame = encode(
                st="22" if station.kind == "air" else "21",
                cn="2061",
                pw=PASSWORD,
                mn=station.mn,
                qn=(when + timedelta(hours=1)).strftime("%Y%m%d%H%M%S") + "000",
                edition="2017",
                flag=4,
                data_time=when,
                items=items,
            )
            frames.append((frame, "127.0.0.1:0"))
    return frames


def _write(path: Path, header: tuple[str, ...], rows: list[list[object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _metered(box: Container) -> list[tuple[str, str, str]]:
    """Three enterprises with a monitoring point, from the middle of the codes' order (tests
    that register meters of their own take the first or the last): code, the point's medium
    and MN."""
    with box.reading() as session:
        rows = session.execute(
            select(Enterprise.code, MonitoringPoint.medium, MonitoringPoint.mn)
            .join(Outlet, Outlet.enterprise_id == Enterprise.id)
            .join(MonitoringPoint, MonitoringPoint.outlet_id == Outlet.id)
            .order_by(Enterprise.code, MonitoringPoint.mn)
        ).all()
    first: dict[str, tuple[str, str, str]] = {}
    for code, medium, mn in rows:
        if code not in first and medium in ("gas", "water"):
            first[code] = (code, medium, mn)
    found = list(first.values())
    middle = max(0, len(found) // 2 - 1)
    return found[middle : middle + 3]


def load_sample_stations(box: Container, directory: Path, regions_file: Path) -> LoadedStations:
    """Import the sample stations, send their last hours, register the sample meters."""
    found = sample_stations(regions_file)
    rows: list[list[object]] = [
        [s.code, s.name, s.kind, s.mn, f"{s.lon:.6f}", f"{s.lat:.6f}", PASSWORD] for s in found
    ]
    path = _write(directory / "stations.csv", (*STATION_COLUMNS, "password"), rows)
    with box.transaction() as session:
        stations.import_stations(
            session=session, path=path, regions=box.regions, now=box.clock.now()
        )
    summary = Intake(box).run(packets(found, box.clock.now()))
    units: list[list[object]] = []
    meters: list[list[object]] = []
    for n, (code, medium, mn) in enumerate(_metered(box), 1):
        units.append([code, "P1", "生产线", "production", "", ""])
        units.append([code, "T1", "治理设施", "treatment", medium, "P1"])
        meters.append([f"SM{n}-P1", code, "P1", 250, "30%", "10%", 60, mn])
        meters.append([f"SM{n}-T1", code, "T1", 45, "40%", "15%", 60, mn])
    units_file = _write(directory / "power_units.csv", UNIT_COLUMNS + UNIT_OPTIONAL, units)
    meters_file = _write(directory / "power_meters.csv", METER_COLUMNS + METER_OPTIONAL, meters)
    with box.transaction() as session:
        power.import_power(
            session=session, units=units_file, meters=meters_file, now=box.clock.now()
        )
    return LoadedStations(len(found), summary.packets, len(units), len(meters))
