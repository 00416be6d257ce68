"""WGS84 / GCJ-02 / BD-09 conversions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecoradar.core.coords import (
    CRS_NAMES,
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

# Published WGS84 -> GCJ-02 pairs, (lon, lat): the test table of googollee/eviltransform
# (go/transform_test.go, "shanghai", "shenzhen", "beijing").
EVILTRANSFORM_PAIRS = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),
]

# Near Tiananmen, (116.404, 39.915), the example in the README of wandergis/coordtransform
# (npm "coordtransform"): wgs84togcj02 -> (116.41024449916938, 39.91640428150164) and
# gcj02tobd09 -> (116.41036949371029, 39.92133699351021). Its inverses are the one-step
# approximations (gcj02towgs84 -> (116.39775550083061, 39.91359571849836), bd09togcj02 ->
# (116.39762729119315, 39.90865673957631)), which ours refine by iteration.
TIANANMEN = (116.404, 39.915)

china_lon = st.floats(min_value=73.7, max_value=134.9)
china_lat = st.floats(min_value=18.2, max_value=53.5)
sample_city_lon = st.floats(min_value=119.9, max_value=120.5)
sample_city_lat = st.floats(min_value=30.6, max_value=31.1)


@pytest.mark.parametrize(("wgs", "gcj"), EVILTRANSFORM_PAIRS)
def test_wgs84_to_gcj02_matches_the_published_pairs(
    wgs: tuple[float, float], gcj: tuple[float, float]
) -> None:
    assert wgs84_to_gcj02(*wgs) == pytest.approx(gcj, abs=1e-12)


@pytest.mark.parametrize(("wgs", "gcj"), EVILTRANSFORM_PAIRS)
def test_gcj02_to_wgs84_recovers_the_published_pairs_to_a_centimetre(
    wgs: tuple[float, float], gcj: tuple[float, float]
) -> None:
    assert gcj02_to_wgs84(*gcj) == pytest.approx(wgs, abs=1e-7)


def test_tiananmen_wgs84_to_gcj02_matches_coordtransform() -> None:
    assert wgs84_to_gcj02(*TIANANMEN) == pytest.approx(
        (116.41024449916938, 39.91640428150164), abs=1e-12
    )


def test_tiananmen_gcj02_to_bd09_matches_coordtransform() -> None:
    assert gcj02_to_bd09(*TIANANMEN) == pytest.approx(
        (116.41036949371029, 39.92133699351021), abs=1e-12
    )


def test_inverses_agree_with_the_one_step_approximations_to_within_their_error() -> None:
    assert gcj02_to_wgs84(*TIANANMEN) == pytest.approx(
        (116.39775550083061, 39.91359571849836), abs=1e-5
    )
    assert bd09_to_gcj02(*TIANANMEN) == pytest.approx(
        (116.39762729119315, 39.90865673957631), abs=1e-5
    )


def test_precise_inverse_beats_the_one_step_approximation() -> None:
    one_step = (116.39775550083061, 39.91359571849836)
    precise = gcj02_to_wgs84(*TIANANMEN)
    assert residual(wgs84_to_gcj02(*precise), TIANANMEN) < 1e-8
    assert residual(wgs84_to_gcj02(*one_step), TIANANMEN) > 1e-7


def residual(a: tuple[float, float], b: tuple[float, float]) -> float:
    return max(abs(a[0] - b[0]), abs(a[1] - b[1]))


def test_gcj02_offset_is_a_few_hundred_metres_in_china() -> None:
    lon, lat = wgs84_to_gcj02(120.2, 30.85)
    assert 1e-3 < abs(lon - 120.2) + abs(lat - 30.85) < 1e-2


@given(china_lon, china_lat)
def test_wgs84_gcj02_round_trip_is_within_1e_6_degrees(lon: float, lat: float) -> None:
    assert gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat)) == pytest.approx((lon, lat), abs=1e-6)


@given(china_lon, china_lat)
def test_gcj02_bd09_round_trip_is_within_1e_6_degrees(lon: float, lat: float) -> None:
    assert bd09_to_gcj02(*gcj02_to_bd09(lon, lat)) == pytest.approx((lon, lat), abs=1e-6)


@given(sample_city_lon, sample_city_lat)
def test_wgs84_bd09_round_trip_is_within_1e_6_degrees(lon: float, lat: float) -> None:
    assert bd09_to_wgs84(*wgs84_to_bd09(lon, lat)) == pytest.approx((lon, lat), abs=1e-6)


@given(china_lon, china_lat)
def test_gcj02_to_wgs84_inverts_the_forward_transform_to_1e_7(lon: float, lat: float) -> None:
    back = wgs84_to_gcj02(*gcj02_to_wgs84(lon, lat))
    assert back == pytest.approx((lon, lat), abs=1e-7)


@pytest.mark.parametrize(
    "point", [(2.3522, 48.8566), (-74.006, 40.7128), (151.2093, -33.8688), (139.69, 35.69)]
)
def test_points_outside_china_are_not_offset_by_gcj02(point: tuple[float, float]) -> None:
    assert wgs84_to_gcj02(*point) == point
    assert gcj02_to_wgs84(*point) == point


def test_bd09_offset_applies_everywhere() -> None:
    assert gcj02_to_bd09(2.3522, 48.8566) != (2.3522, 48.8566)


@pytest.mark.parametrize("crs", ["wgs84", "WGS84", " Wgs84 "])
def test_to_wgs84_leaves_wgs84_alone_in_any_case(crs: str) -> None:
    assert to_wgs84(120.1, 30.8, crs) == (120.1, 30.8)


def test_to_wgs84_converts_gcj02_and_bd09() -> None:
    gcj = wgs84_to_gcj02(120.1, 30.8)
    bd = wgs84_to_bd09(120.1, 30.8)
    assert to_wgs84(*gcj, "GCJ02") == pytest.approx((120.1, 30.8), abs=1e-8)
    assert to_wgs84(*bd, "bd09") == pytest.approx((120.1, 30.8), abs=1e-8)


def test_to_wgs84_rejects_an_unknown_crs_by_name() -> None:
    with pytest.raises(ValueError, match="'cgcs2000'"):
        to_wgs84(120.1, 30.8, "cgcs2000")


def test_crs_names_are_the_three_supported_systems() -> None:
    assert set(CRS_NAMES) == {"wgs84", "gcj02", "bd09"}
