"""Wind at a place and time from the nearest air stations: vectors, never angles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ecoradar.core.clock import CHINA_TZ
from ecoradar.stations.wind import (
    StationWind,
    compass_degrees,
    compass_point,
    components,
    from_components,
    station_winds,
    wind_at,
)

T = datetime(2015, 7, 1, 14, 0, tzinfo=CHINA_TZ)
# Three stations about 5.5 km west, 5.5 km east and 11 km north of (40.0, 116.0).
WEST, EAST, NORTH = (40.0, 115.935), (40.0, 116.065), (40.1, 116.0)


def station(code: str, place: tuple[float, float], speed: float, direction: float) -> StationWind:
    return StationWind(code, place[0], place[1], {T: (speed, direction)})


def test_the_compass_points_of_the_beijing_data_become_degrees_and_back() -> None:
    assert compass_degrees("N") == 0.0
    assert compass_degrees("nnw") == 337.5
    assert compass_degrees("ESE") == 112.5
    assert (
        compass_point(359.0) == "N" and compass_point(11.0) == "N" and compass_point(12.0) == "NNE"
    )
    with pytest.raises(ValueError, match="compass"):
        compass_degrees("cv")


def test_components_follow_the_meteorological_from_convention() -> None:
    u, v = components(5.0, 0.0)  # from the north: blows southwards
    assert u == pytest.approx(0.0, abs=1e-12) and v == pytest.approx(-5.0)
    u, v = components(3.0, 270.0)  # from the west: blows eastwards
    assert u == pytest.approx(3.0) and v == pytest.approx(0.0, abs=1e-12)
    assert from_components(*components(4.0, 123.0)) == pytest.approx((4.0, 123.0))


def test_350_and_10_degrees_average_to_north_not_south() -> None:
    found = wind_at([station("W", WEST, 4.0, 350.0), station("E", EAST, 4.0, 10.0)], 40.0, 116.0, T)
    assert found is not None
    assert min(found.direction, 360 - found.direction) == pytest.approx(0.0, abs=1e-6)
    assert found.compass == "N"
    # the vector mean is a little shorter than either: cos(10°) of 4 m/s
    assert found.speed == pytest.approx(4.0 * 0.98481, rel=1e-4)


def test_the_nearer_station_weighs_more_by_inverse_square_distance() -> None:
    found = wind_at(
        [station("W", WEST, 2.0, 90.0), station("N", NORTH, 2.0, 180.0)], 40.0, 116.0, T
    )
    assert found is not None
    # W is about half as far as N: weights about 4:1, and the vectors are averaged with them
    assert [code for code, _, _ in found.stations] == ["W", "N"]
    w, n = (weight for _, _, weight in found.stations)
    assert (w, n) == pytest.approx((0.8, 0.2), abs=0.01)
    u = w * components(2.0, 90.0)[0] + n * components(2.0, 180.0)[0]
    v = w * components(2.0, 90.0)[1] + n * components(2.0, 180.0)[1]
    assert (found.speed, found.direction) == pytest.approx(from_components(u, v), rel=1e-3)
    assert 90.0 < found.direction < 135.0


def test_a_station_at_the_place_gives_its_own_reading() -> None:
    found = wind_at(
        [station("HERE", (40.0, 116.0), 3.3, 200.0), station("E", EAST, 9.0, 20.0)], 40.0, 116.0, T
    )
    assert found is not None
    assert (found.speed, found.direction) == pytest.approx((3.3, 200.0))
    assert [code for code, _, _ in found.stations] == ["HERE"]


def test_calm_and_cancelling_winds_give_none() -> None:
    assert wind_at([station("W", WEST, 0.0, 45.0)], 40.0, 116.0, T) is None
    opposite = [station("W", WEST, 3.0, 90.0), station("E", EAST, 3.0, 270.0)]
    assert wind_at(opposite, 40.0, 116.0, T) is None


def test_no_reading_for_the_hour_or_none_in_range_gives_none() -> None:
    readings = [station("W", WEST, 3.0, 90.0)]
    assert wind_at(readings, 40.0, 116.0, T + timedelta(hours=1)) is None
    assert wind_at(readings, 40.0, 116.0, T + timedelta(minutes=59)) is not None
    assert wind_at(readings, 41.0, 116.0, T) is None  # 111 km away: beyond 50 km
    assert wind_at(readings, 41.0, 116.0, T, radius_km=150) is not None
    with pytest.raises(ValueError, match="time zone"):
        wind_at(readings, 40.0, 116.0, T.replace(tzinfo=None))


def test_only_the_three_nearest_stations_count() -> None:
    far = [station(f"F{n}", (40.0 + 0.2 + n * 0.01, 116.0), 5.0, 0.0) for n in range(3)]
    near = [station(f"N{n}", (40.0, 116.01 + n * 0.01), 5.0, 180.0) for n in range(3)]
    found = wind_at(far + near, 40.0, 116.0, T)
    assert found is not None and found.direction == pytest.approx(180.0)
    assert {code for code, _, _ in found.stations} == {"N0", "N1", "N2"}


def test_the_hour_is_matched_across_time_zones() -> None:
    readings = [station("W", WEST, 3.0, 90.0)]
    assert wind_at(readings, 40.0, 116.0, T.astimezone(UTC) + timedelta(minutes=30)) is not None


def test_station_winds_pair_speed_and_direction_of_the_same_hour() -> None:
    other = T + timedelta(hours=1)
    winds = station_winds(
        [("A", 40.0, 116.0), ("B", 40.1, 116.1)],
        [("A", T, "a01007", 2.0), ("A", T, "a01008", 90.0), ("A", other, "a01007", 1.0)],
    )
    assert winds[0].hours == {T: (2.0, 90.0)}
    assert winds[1].hours == {}
