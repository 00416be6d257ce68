"""Hotspots (issue 17, item 4): seeded clusters against uniform noise, an area's usual level,
a cluster on a cell boundary, and the Poisson tail."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import h3
import pytest

from ecoradar.core.geo import haversine_m
from ecoradar.linkage.hotspots_rules import (
    RESOLUTION,
    Event,
    Settings,
    boundary,
    cell_of,
    find,
    poisson_tail,
)

NOW = datetime(2026, 11, 30, tzinfo=UTC)
LAT, LON = 30.75, 120.75
M_PER_DEG = 111_195.0
SPAN_M = 20_000.0
WEEKS = 9


def place(north_m: float, east_m: float) -> tuple[float, float]:
    return LAT + north_m / M_PER_DEG, LON + east_m / (M_PER_DEG * math.cos(math.radians(LAT)))


def noise(rng: random.Random, per_week: int = 60) -> list[Event]:
    """Events spread evenly over a 20 km square and nine weeks."""
    events = []
    for i in range(per_week * WEEKS):
        lat, lon = place(rng.uniform(0, SPAN_M), rng.uniform(0, SPAN_M))
        at = NOW - timedelta(seconds=rng.uniform(1, WEEKS * 7 * 86400))
        events.append(Event(lat, lon, at, rng.choice(["air", "water", "odour"]), "public", i))
    return events


def cluster(
    rng: random.Random, n: int, north_m: float, east_m: float, days: float = 3
) -> list[Event]:
    """``n`` odour reports within 300 m of a place over the last ``days``."""
    events = []
    for i in range(n):
        r, theta = 300 * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        lat, lon = place(north_m + r * math.cos(theta), east_m + r * math.sin(theta))
        at = NOW - timedelta(seconds=rng.uniform(1, days * 86400))
        events.append(Event(lat, lon, at, "odour", "grid_worker", 10_000 + i))
    return events


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_uniform_noise_makes_no_hotspot(seed: int) -> None:
    assert find(noise(random.Random(seed)), NOW) == []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_seeded_cluster_is_found_where_it_is(seed: int) -> None:
    rng = random.Random(seed)
    spots = find(noise(rng) + cluster(rng, 10, 8000, 12000), NOW)
    assert len(spots) == 1
    spot = spots[0]
    centre = place(8000, 12000)
    assert haversine_m(spot.lat, spot.lon, *centre) < 400
    assert spot.category == "odour"
    assert spot.count >= 10 and spot.p_value < Settings().alpha
    assert spot.sources["grid_worker"] == 10
    assert set(range(10_000, 10_010)) <= set(spot.refs)
    assert spot.score > 4


def test_an_area_with_that_many_every_week_is_not_a_hotspot() -> None:
    rng = random.Random(7)
    chronic = []
    for week in range(WEEKS):
        for event in cluster(rng, 10, 5000, 5000, days=7):
            chronic.append(
                Event(event.lat, event.lon, event.at - timedelta(weeks=week), "odour", "public")
            )
    assert find(noise(rng) + chronic, NOW) == []


def test_fewer_than_the_least_number_of_events_is_never_a_hotspot() -> None:
    rng = random.Random(3)
    assert find(cluster(rng, 4, 0, 0), NOW) == []
    assert len(find(cluster(rng, 5, 0, 0), NOW)) == 1  # nothing usual there: five stand out


def test_a_cluster_on_a_cell_boundary_counts_whole() -> None:
    cell = cell_of(LAT, LON)
    (a_lat, a_lon), (b_lat, b_lon) = h3.cell_to_boundary(cell)[:2]
    mid_lat, mid_lon = (a_lat + b_lat) / 2, (a_lon + b_lon) / 2  # on an edge
    rng = random.Random(5)
    events = [
        Event(mid_lat + rng.uniform(-5e-4, 5e-4), mid_lon + rng.uniform(-5e-4, 5e-4),
              NOW - timedelta(hours=i + 1), "water", "public", i)
        for i in range(6)
    ]  # fmt: skip
    assert len({cell_of(e.lat, e.lon) for e in events}) > 1
    spots = find(events, NOW, Settings(min_events=6))
    assert len(spots) == 1 and spots[0].count == 6


def test_events_outside_the_window_and_baseline_are_left_out() -> None:
    rng = random.Random(2)
    old = [
        Event(e.lat, e.lon, e.at - timedelta(weeks=20), e.category, e.source)
        for e in cluster(rng, 12, 0, 0)
    ]
    future = [Event(e.lat, e.lon, NOW + timedelta(hours=1), "air", "public") for e in old]
    assert find(old + future, NOW) == []


def test_poisson_tail_matches_known_values() -> None:
    assert poisson_tail(0, 3.0) == 1.0
    assert poisson_tail(1, 2.0) == pytest.approx(1 - math.exp(-2))
    assert poisson_tail(3, 1.0) == pytest.approx(1 - math.exp(-1) * (1 + 1 + 0.5))
    tiny = poisson_tail(40, 0.5)
    assert 0 < tiny < 1e-50  # not rounded to zero
    assert poisson_tail(5, 100.0) == pytest.approx(1.0)


def test_a_cells_outline_is_a_closed_ring_around_it() -> None:
    ring = boundary(cell_of(LAT, LON))
    assert ring[0] == ring[-1] and len(ring) == 7
    assert h3.get_resolution(cell_of(LAT, LON)) == RESOLUTION
