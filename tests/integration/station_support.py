"""Shared setup for the ambient station tests: a Beijing-sized area, the four Beijing stations
of the shared data as HJ 212 air stations (ST=22), and their hourly data as CN 2061 packets."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ecoradar.bootstrap import Container
from ecoradar.core.clock import CHINA_TZ
from ecoradar.hj212.encoder import encode
from ecoradar.regions import service as regions
from ecoradar.stations import service as stations
from ecoradar.stations.importer import STATION_COLUMNS
from ecoradar.stations.wind import compass_degrees
from tests.factories import box, collection, feature, write_csv, write_json
from tests.shared_data import SHARED_DATA

BEIJING = SHARED_DATA / "ambient" / "beijing"
PASSWORD = "654321"


@dataclass(frozen=True)
class BeijingStation:
    code: str
    name: str
    file: str
    lon: float
    lat: float

    @property
    def mn(self) -> str:
        return f"BJ{self.code}0000000000000000"[:24]

    @property
    def path(self) -> Path:
        return BEIJING / f"PRSA_Data_{self.file}_20130301-20170228.csv"


STATIONS = {
    "Dongsi": BeijingStation("1001A", "东四", "Dongsi", 116.417, 39.929),
    "Aotizhongxin": BeijingStation("1011A", "奥体中心", "Aotizhongxin", 116.397, 39.982),
    "Changping": BeijingStation("1012A", "昌平镇", "Changping", 116.230, 40.217),
    "Huairou": BeijingStation("1008A", "怀柔镇", "Huairou", 116.628, 40.328),
}

POLLUTANTS = {  # column -> (HJ 212 code, factor to the station unit)
    "PM2.5": ("a34004", 1.0),
    "PM10": ("a34002", 1.0),
    "SO2": ("a21026", 1.0),
    "NO2": ("a21004", 1.0),
    "CO": ("a21005", 0.001),  # µg/m3 in the data; stations report CO in mg/m3
    "O3": ("a05024", 1.0),
    "TEMP": ("a01001", 1.0),
    "PRES": ("a01006", 0.1),  # hPa -> kPa
    "WSPM": ("a01007", 1.0),
}


def beijing_regions() -> dict:
    """A city over Beijing's plain with two counties split at 40.1°N."""
    return collection(
        feature("BJ", "city", "", [box(115.4, 39.4, 117.6, 41.1)], name="北京市"),
        feature("BJS", "county", "BJ", [box(115.4, 39.4, 117.6, 40.1)], name="城区"),
        feature("BJN", "county", "BJ", [box(115.4, 40.1, 117.6, 41.1)], name="北部"),
    )


def load_regions(box_: Container, tmp_path: Path) -> None:
    path = write_json(tmp_path / "beijing.geojson", beijing_regions())
    features = regions.read_regions_file(path)
    with box_.transaction() as session:
        regions.import_regions(
            session=session, features=features, source="beijing", now=box_.clock.now()
        )


def station_rows(names: Sequence[str]) -> list[list[object]]:
    return [
        [s.code, s.name, "air", s.mn, s.lon, s.lat, PASSWORD] for s in (STATIONS[n] for n in names)
    ]


def import_stations(box_: Container, tmp_path: Path, names: Sequence[str]) -> None:
    path = write_csv(tmp_path / "stations.csv", [*STATION_COLUMNS, "password"], station_rows(names))
    with box_.transaction() as session:
        stations.import_stations(
            session=session, path=path, regions=box_.regions, now=box_.clock.now()
        )


def humidity(temp: float, dew: float) -> float:
    """Relative humidity (%) from temperature and dew point (Magnus, over water)."""

    def vapour(t: float) -> float:
        return math.exp(17.625 * t / (243.04 + t))

    return max(0.0, min(100.0, 100.0 * vapour(dew) / vapour(temp)))


@dataclass(frozen=True)
class Hour:
    station: BeijingStation
    when: datetime
    """China Standard Time."""
    row: dict[str, str]

    def value(self, column: str) -> float | None:
        text = self.row[column]
        return None if text == "NA" else float(text)


def hours(name: str, since: datetime, until: datetime) -> Iterator[Hour]:
    """The station's rows in [since, until) (China time)."""
    station = STATIONS[name]
    with station.path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            when = datetime(
                int(row["year"]), int(row["month"]), int(row["day"]), int(row["hour"]),
                tzinfo=CHINA_TZ,
            )  # fmt: skip
            if since <= when < until:
                yield Hour(station, when, row)


def items(hour: Hour) -> dict[str, dict[str, str]]:
    """The hour's values as HJ 212 items (Avg and flag N), in the stations' units."""
    out: dict[str, dict[str, str]] = {}
    for column, (code, scale) in POLLUTANTS.items():
        value = hour.value(column)
        if value is not None:
            out[code] = {"Avg": f"{value * scale:.4g}", "Flag": "N"}
    temp, dew = hour.value("TEMP"), hour.value("DEWP")
    if temp is not None and dew is not None:
        out["a01002"] = {"Avg": f"{humidity(temp, dew):.1f}", "Flag": "N"}
    if hour.row["wd"] != "NA":
        out["a01008"] = {"Avg": f"{compass_degrees(hour.row['wd']):g}", "Flag": "N"}
    return out


def packet(hour: Hour, *, password: str = PASSWORD, answer: bool = False) -> bytes:
    """An HJ 212-2017 hourly upload (CN 2061) of an air station (ST=22)."""
    sent = hour.when + timedelta(hours=1, minutes=2)
    return encode(
        st="22",
        cn="2061",
        pw=password,
        mn=hour.station.mn,
        qn=sent.strftime("%Y%m%d%H%M%S") + "000",
        edition="2017",
        flag=5 if answer else 4,
        data_time=hour.when,
        items=items(hour),
    )


def frames(names: Sequence[str], since: datetime, until: datetime) -> list[tuple[bytes, str]]:
    """Every station's hourly packets in time order (stations interleaved), for ``Intake.run``."""
    every = [h for name in names for h in hours(name, since, until)]
    every.sort(key=lambda h: (h.when, h.station.code))
    return [(packet(h), f"10.0.0.{n % 4 + 1}:5000") for n, h in enumerate(every)]
