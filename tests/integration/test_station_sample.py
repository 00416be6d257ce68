"""The sample city (``ecoradar serve --load-sample``) has ambient stations with their last hours
of readings, wind included, and power meters registered for some of its enterprises."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from ecoradar.bootstrap import Container
from ecoradar.power import service as power
from ecoradar.problems.models import Finding
from ecoradar.regions.models import Region
from ecoradar.simulate.load import load_sample_city
from ecoradar.simulate.sample_stations import HOURS
from ecoradar.stations import service as stations
from ecoradar.stations.evaluate import run_stations


def test_the_sample_city_has_air_and_water_stations_with_wind_and_power_meters(
    container: Container, tmp_path: Path
) -> None:
    city = load_sample_city(container, tmp_path, enterprises=40)
    assert (city.stations, city.meters) == (5, 6)
    with container.reading() as session:
        rows = stations.list_stations(session=session)
        assert sorted(r.station.kind for r in rows) == ["air"] * 3 + ["water"] * 2
        for row in rows:
            region = session.get(Region, row.station.region_id)
            assert region is not None and region.code.startswith("3305")  # in the sample city
            assert row.last_hour is not None
            found = stations.readings(session=session, station=row.station)
            assert len({r.data_time for r in found}) == HOURS
            assert all(r.valid for r in found)
        air = next(r.station for r in rows if r.station.kind == "air")
        wind = stations.wind_near(
            session=session, lat=air.latitude, lon=air.longitude, at=rows[0].last_hour
        )
        assert wind is not None and wind.speed > 1
        assert wind.direction < 25 or wind.direction > 340  # from the north
        meters = power.meters(session=session)
        assert len(meters) == 6 and len({m.enterprise_code for m in meters}) == 3
    run_stations(container)  # calm sample values: nothing to find
    with container.reading() as session:
        assert session.scalars(select(Finding).where(Finding.channel == "station")).all() == []
