"""Hotspots, the pure rules: where reports, alerts and findings crowd together in space and time
more than that area's usual level would explain.

Every event falls in an H3 cell (resolution :data:`RESOLUTION`, about 0.74 km², edges about
530 m). A cell's *neighbourhood* is the cell and its six neighbours (a cluster on a cell
boundary still counts whole). For each neighbourhood with an event in the current window
(``window``, 7 days up to ``now``) its count ``k`` is compared with its usual level: the
events of the same neighbourhood in the ``baseline_windows`` windows before (8, so 8 weeks),
per window, smoothed towards the level of the whole area by one window's weight (a place with no
history is not a hotspot for its first few events; a place with a long history is judged by its
own)::

    lambda = max(LAMBDA_FLOOR, (baseline_k + area_level) / (baseline_windows + 1))

The neighbourhood is hot when ``k >= min_events`` and the Poisson probability of ``k`` or more
at ``lambda`` is below ``alpha`` (1e-4: about one false alarm in a year of daily runs over a
city of a few hundred active cells). Hot neighbourhoods two cells apart or closer merge into one
hotspot, centred on the hottest; its score is ``-log10(p)``.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

import h3

RESOLUTION: Final = 8
LAMBDA_FLOOR: Final = 0.2
"""The least expected count per window a neighbourhood is given."""


@dataclass(frozen=True)
class Settings:
    window: timedelta = timedelta(days=7)
    baseline_windows: int = 8
    min_events: int = 5
    alpha: float = 1e-4


DEFAULT_SETTINGS: Final = Settings()


@dataclass(frozen=True)
class Event:
    lat: float
    lon: float
    at: datetime
    category: str
    source: str
    """Where it came from: a finding's channel."""
    ref: int | None = None


@dataclass(frozen=True)
class Hotspot:
    cell: str
    """The hottest neighbourhood's centre cell."""
    cells: tuple[str, ...]
    """Every cell of the merged neighbourhoods, sorted."""
    count: int
    """Events in the hottest neighbourhood in the window."""
    expected: float
    p_value: float
    lat: float
    lon: float
    """The mean place of the hotspot's events in the window."""
    category: str
    """The most frequent category among them."""
    sources: dict[str, int] = field(default_factory=dict)
    refs: tuple[int, ...] = ()

    @property
    def score(self) -> float:
        return round(-math.log10(max(self.p_value, 1e-300)), 2)


def cell_of(lat: float, lon: float) -> str:
    return str(h3.latlng_to_cell(lat, lon, RESOLUTION))


def poisson_tail(k: int, lam: float) -> float:
    """P(X >= k) for X ~ Poisson(lam), summed in log space (no overflow for large k)."""
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    below = 0.0
    log_term = -lam  # log P(X = 0)
    for i in range(k):
        if i:
            log_term += math.log(lam) - math.log(i)
        below += math.exp(log_term)
    return max(0.0, 1.0 - below) if below < 0.999999 else _tail_directly(k, lam)


def _tail_directly(k: int, lam: float) -> float:
    """P(X >= k) as a sum of the upper terms (precise when it is tiny)."""
    log_term = -lam + k * math.log(lam) - math.lgamma(k + 1)
    total, i = 0.0, k
    while True:
        term = math.exp(log_term)
        total += term
        if term < total * 1e-16 or i > k + 10_000:
            return total
        i += 1
        log_term += math.log(lam) - math.log(i)


@dataclass(frozen=True)
class Neighbourhood:
    """A hot neighbourhood (a cell and its six neighbours) of one window: what the live search
    and the batch jobs (``ecoradar.linkage.batch``) both produce, and must agree on."""

    centre: str
    count: int
    usual: int
    """Its events in the baseline windows."""
    expected: float
    p_value: float


def area_level(history_total: int, active_cells: int, settings: Settings) -> float:
    """The area's usual level per neighbourhood and window: every event of the baseline spread
    over the cells that were ever active (in the window or the baseline), times the seven
    cells of a neighbourhood."""
    return 7 * history_total / (settings.baseline_windows * active_cells)


def judge(
    centre: str, count: int, usual: int, level: float, settings: Settings
) -> Neighbourhood | None:
    """The neighbourhood around ``centre`` when it is hot: ``count`` events in the window where
    ``usual`` in the baseline and the area's ``level`` expect fewer (module text)."""
    if count < settings.min_events:
        return None
    lam = max(LAMBDA_FLOOR, (usual + level) / (settings.baseline_windows + 1))
    p = poisson_tail(count, lam)
    return Neighbourhood(centre, count, usual, round(lam, 6), p) if p < settings.alpha else None


def hot(
    events: Iterable[Event], now: datetime, settings: Settings = DEFAULT_SETTINGS
) -> tuple[list[Neighbourhood], dict[str, list[Event]]]:
    """The hot neighbourhoods of the window ending at ``now`` (hottest first, then by cell), and
    the window's events by cell."""
    window_start = now - settings.window
    baseline_start = window_start - settings.window * settings.baseline_windows
    current: dict[str, list[Event]] = defaultdict(list)
    history: Counter[str] = Counter()
    for event in events:
        if not (baseline_start <= event.at < now):
            continue
        cell = cell_of(event.lat, event.lon)
        if event.at >= window_start:
            current[cell].append(event)
        else:
            history[cell] += 1
    if not current:
        return [], current
    level = area_level(sum(history.values()), len(set(current) | set(history)), settings)
    found = []
    for centre in sorted(current):
        disk = neighbourhood(centre)
        count = sum(len(current.get(c, ())) for c in disk)
        spot = judge(centre, count, sum(history[c] for c in disk), level, settings)
        if spot is not None:
            found.append(spot)
    return sorted(found, key=lambda n: (n.p_value, n.centre)), current


def find(
    events: Iterable[Event], now: datetime, settings: Settings = DEFAULT_SETTINGS
) -> list[Hotspot]:
    """The hotspots of the window ending at ``now``, hottest first."""
    found, current = hot(events, now, settings)
    return _merge(
        [
            (
                n.p_value,
                n.centre,
                n.count,
                n.expected,
                [e for c in neighbourhood(n.centre) for e in current.get(c, ())],
            )
            for n in found
        ]
    )


def neighbourhood(cell: str) -> list[str]:
    """The cell and its six neighbours (five around a pentagon), sorted."""
    return sorted(str(c) for c in h3.grid_disk(cell, 1))


def _merge(hot: Sequence[tuple[float, str, int, float, list[Event]]]) -> list[Hotspot]:
    """Neighbourhoods two cells apart or closer join the hottest one they touch."""
    spots: list[Hotspot] = []
    taken: list[tuple[str, set[str], dict[int, Event]]] = []
    for p, centre, k, lam, inside in hot:
        for index, (head, cells, members) in enumerate(taken):
            if h3.grid_distance(head, centre) <= 2 or centre in cells:
                cells.update(neighbourhood(centre))
                members.update({id(e): e for e in inside})
                taken[index] = (head, cells, members)
                break
        else:
            taken.append((centre, set(neighbourhood(centre)), {id(e): e for e in inside}))
            spots.append(_spot(p, centre, k, lam, inside))
    merged = []
    for spot, (_, cells, members) in zip(spots, taken, strict=True):
        events = list(members.values())
        merged.append(
            Hotspot(
                cell=spot.cell,
                cells=tuple(sorted(cells)),
                count=spot.count,
                expected=spot.expected,
                p_value=spot.p_value,
                lat=sum(e.lat for e in events) / len(events),
                lon=sum(e.lon for e in events) / len(events),
                category=_most(e.category for e in events),
                sources=dict(sorted(Counter(e.source for e in events).items())),
                refs=tuple(sorted({e.ref for e in events if e.ref is not None})),
            )
        )
    return merged


def _spot(p: float, centre: str, k: int, lam: float, inside: list[Event]) -> Hotspot:
    return Hotspot(centre, (), k, round(lam, 3), p, 0.0, 0.0, "")


def _most(values: Iterable[str]) -> str:
    counts = Counter(values)
    return min(counts, key=lambda v: (-counts[v], v))


def boundary(cell: str) -> list[tuple[float, float]]:
    """The cell's outline as (lon, lat) pairs, closed (for GeoJSON)."""
    ring = [(lon, lat) for lat, lon in h3.cell_to_boundary(cell)]
    return [*ring, ring[0]]
