"""Suspects for a clue (issue 17, item 2): the ranking on constructed cases — a culprit upwind
and a closer innocent downwind, calm wind, changing wind — and each part of the score."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from ecoradar.core.geo import angle_between, bearing_deg, compass, haversine_m
from ecoradar.linkage.suspects_rules import (
    WIND_LAGS,
    Anomaly,
    Candidate,
    Clue,
    rank,
    reason_text,
    upwind,
    wind_part,
)
from ecoradar.stations.wind import Wind

LAT, LON = 30.75, 120.75
AT = datetime(2026, 11, 20, 1, tzinfo=UTC)
M_PER_DEG = 111_195.0


def at(north_m: float, east_m: float) -> tuple[float, float]:
    """The place ``north_m`` north and ``east_m`` east of the clue."""
    return LAT + north_m / M_PER_DEG, LON + east_m / (M_PER_DEG * math.cos(math.radians(LAT)))


def firm(
    code: str, north_m: float, east_m: float, industry: str = "2614", **kw: object
) -> Candidate:
    lat, lon = at(north_m, east_m)
    return Candidate(code, code, industry, lat, lon, **kw)  # type: ignore[arg-type]


def steady(wind: Wind | None) -> list[tuple[float, Wind | None]]:
    return [(weight, wind) for _, weight in WIND_LAGS]


ODOUR = Clue(LAT, LON, AT, "odour", 3000)
CULPRIT = firm("culprit", 1500, 0)  # 1.5 km north
INNOCENT = firm("innocent", -400, 0)  # 400 m south: closer


def test_the_culprit_upwind_outranks_a_closer_innocent_downwind() -> None:
    found = rank(ODOUR, [INNOCENT, CULPRIT], steady(Wind(3.0, 0, ())))  # a north wind
    assert [s.candidate.code for s in found] == ["culprit", "innocent"]
    culprit, innocent = found
    assert culprit.parts["wind"] == pytest.approx(1.0)
    assert innocent.parts["wind"] == pytest.approx(0.0, abs=1e-9)
    assert innocent.distance_m < culprit.distance_m
    assert [r.what for r in culprit.reasons][:2] == ["distance", "upwind"]
    assert "downwind" in [r.what for r in innocent.reasons]
    assert reason_text(culprit.reasons[1]).startswith("upwind of the clue: the wind came from 0°")


def test_with_a_calm_the_wind_says_nothing_and_the_closer_one_leads() -> None:
    found = rank(ODOUR, [CULPRIT, INNOCENT], steady(Wind(0.2, 0, ())))
    assert [s.candidate.code for s in found] == ["innocent", "culprit"]
    assert {s.parts["wind"] for s in found} == {0.5}
    assert all("wind_calm" in [r.what for r in s.reasons] for s in found)
    unknown = rank(ODOUR, [CULPRIT, INNOCENT], steady(None))
    assert [s.score for s in unknown] == [s.score for s in found]
    assert all("wind_unknown" in [r.what for r in s.reasons] for s in unknown)


def test_a_changing_wind_weighs_the_clues_own_hour_most() -> None:
    # at the clue's hour from the north; the two hours before from the south
    turning = [(1.0, Wind(3.0, 0, ())), (0.5, Wind(3.0, 180, ())), (0.25, Wind(3.0, 180, ()))]
    found = rank(ODOUR, [INNOCENT, CULPRIT], turning)
    assert [s.candidate.code for s in found] == ["culprit", "innocent"]
    assert found[0].parts["wind"] == pytest.approx(1.0)
    assert found[1].parts["wind"] == pytest.approx(0.5)  # upwind only an hour before
    # the other way round, the hour before cannot outweigh the clue's own
    turned = [(1.0, Wind(3.0, 180, ())), (0.5, Wind(3.0, 0, ())), (0.25, Wind(3.0, 0, ()))]
    assert rank(ODOUR, [INNOCENT, CULPRIT], turned)[0].candidate.code == "innocent"


def test_calm_hours_are_left_out_of_the_wind() -> None:
    mixed = [(1.0, Wind(0.1, 180, ())), (0.5, Wind(3.0, 0, ())), (0.25, None)]
    assert wind_part(0.0, mixed) == (pytest.approx(0.5), "upwind", Wind(3.0, 0, ()))
    assert wind_part(180.0, mixed) == (0.0, "upwind", Wind(3.0, 0, ()))


def test_upwind_wraps_round_north() -> None:
    assert upwind(355.0, Wind(2.0, 5.0, ())) == pytest.approx(math.cos(math.radians(10)))
    assert upwind(90.0, Wind(2.0, 0.0, ())) == pytest.approx(0.0, abs=1e-9)
    assert upwind(180.0, Wind(2.0, 0.0, ())) == 0.0
    assert angle_between(350, 10) == 20
    assert compass(350) == "N" and compass(135) == "SE"


def test_water_ignores_the_wind_and_weighs_industry_and_factors() -> None:
    clue = Clue(LAT, LON, AT, "water", 3000)
    dyer = firm("dyer", 900, 0, industry="1713", factors=frozenset({"w01018", "w21003"}))
    furniture = firm("furniture", 600, 0, industry="2110", factors=frozenset({"a24088"}))
    found = rank(clue, [furniture, dyer], steady(Wind(5.0, 180, ())))
    assert [s.candidate.code for s in found] == ["dyer", "furniture"]
    assert "wind" not in found[0].parts
    whats = [r.what for r in found[0].reasons]
    assert "industry" in whats and "factors" in whats and "upwind" not in whats
    assert [r.what for r in found[1].reasons] == ["distance"]


def test_anomalies_count_only_near_the_clues_time() -> None:
    near = Anomaly("alert", "exceedance", AT - timedelta(hours=2), "a21001")
    early = Anomaly("alert", "exceedance", AT - timedelta(hours=7), "a21001")
    power = Anomaly("power", "treatment_idle", AT + timedelta(hours=1))
    a = firm("a", 1000, 0, anomalies=(early,))
    b = firm("b", 1000, 0, anomalies=(near,))
    c = firm("c", 1000, 0, anomalies=(power,))
    d = firm("d", 1000, 0, anomalies=(Anomaly("alert", "flatline", AT, "a34013"),))
    parts = {s.candidate.code: s.parts["anomalies"] for s in rank(ODOUR, [a, b, c, d])}
    assert parts == {"a": 0.0, "b": 1.0, "c": 1.0, "d": 0.6}
    texts = [reason_text(r) for s in rank(ODOUR, [b, c]) for r in s.reasons]
    assert any("exceedance alert on a21001" in t for t in texts)
    assert any("treatment facility off or idling" in t for t in texts)


def test_only_candidates_within_the_radius_are_ranked_and_ties_go_to_the_nearer() -> None:
    far = firm("far", 3100, 0)
    twin_near = firm("b-near", 0, 1000)
    twin_nearer = firm("a-nearer", 0, -999)
    found = rank(ODOUR, [far, twin_near, twin_nearer], steady(None))
    assert [s.candidate.code for s in found] == ["a-nearer", "b-near"]
    assert all(0.0 <= s.score <= 1.0 for s in found)


def test_geometry_helpers_agree_with_each_other() -> None:
    lat, lon = at(1000, 1000)
    assert haversine_m(LAT, LON, lat, lon) == pytest.approx(1414.2, rel=0.005)
    assert bearing_deg(LAT, LON, lat, lon) == pytest.approx(45.0, abs=0.1)
    assert bearing_deg(lat, lon, LAT, LON) == pytest.approx(225.0, abs=0.1)
