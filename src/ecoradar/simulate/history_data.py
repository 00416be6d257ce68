"""The monitoring side of a simulated history: a registry of enterprises with one monitoring
point each (from the sample city), and each day's HJ 212 hourly packets with every
enterprise's incidents written in (:mod:`ecoradar.simulate.behaviour` places them,
:mod:`ecoradar.simulate.scenarios_inject` writes them).

A day is made for each point from a :class:`~ecoradar.simulate.scenarios_inject.Grid` covering
the day and whatever hours the incidents touching it read or change (a copied sequence reads
hours days back; a flatline changes the hour after it), so the days made one by one give the
very packets one long grid would. Each incident draws from a generator of its own.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from ecoradar.hj212.encoder import encode
from ecoradar.hj212.packet import LENIENT_MAX_LENGTH, Edition, flag_for, make_qn
from ecoradar.registry import standards
from ecoradar.simulate.city import write_sample_city
from ecoradar.simulate.scenarios_inject import INCIDENTS, Grid, Items
from ecoradar.simulate.scenarios_plan import HOURS_PER_DAY, Event, ScenarioError, ScenarioPoint
from ecoradar.simulate.traffic import CN_HOUR, FactorProfile, PointProfile

UNCHECKED_PASSWORD: Final = "123456"
"""What a device whose registry row has no password sends (the platform does not check it)."""


@dataclass(frozen=True)
class RegistryFiles:
    regions: Path
    enterprises: Path
    points: Path
    owners: dict[str, str]
    """MN -> enterprise code."""
    points_made: tuple[ScenarioPoint, ...]


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _profile(mn: str, rows: list[dict[str, str]], sends_zs: bool) -> ScenarioPoint:
    factors, averaging = [], {}
    for value in rows:
        spec = (
            standards.limit_for(value["standard"], value["factor"]) if value["standard"] else None
        )
        limit = float(value["limit"]) if value["limit"] else spec.limit if spec else None
        if limit is None:
            raise ScenarioError(f"history: no limit for {mn} {value['factor']}")
        o2 = float(value["o2_reference"]) if value["o2_reference"] else None
        factors.append(FactorProfile(value["factor"], limit, o2))
        averaging[value["factor"]] = value["averaging"]
    first = rows[0]
    password = first["password"] or UNCHECKED_PASSWORD
    return ScenarioPoint(
        PointProfile(mn, password, first["medium"], tuple(factors)), averaging, sends_zs
    )


def write_registry(directory: Path, *, seed: int, enterprises: int) -> RegistryFiles:
    """The sample city's regions and its first ``enterprises`` emitting enterprises, each
    with one monitoring point only (gas and water in turn where an enterprise has both), in
    the import format. Every fourth gas point sends no ``ZsAvg`` (the converted value is
    computed from ``Avg`` and O2)."""
    directory.mkdir(parents=True, exist_ok=True)
    drawn = max(8, enterprises * 2)
    while True:
        files = write_sample_city(directory, seed=seed, enterprises=drawn)
        header, rows = _read(files.points)
        column = {name: i for i, name in enumerate(header)}
        points_of: dict[str, list[tuple[str, str]]] = {}
        by_mn: dict[str, list[list[str]]] = {}
        for row in rows:
            mn = row[column["mn"]]
            if mn not in by_mn:
                points_of.setdefault(row[column["enterprise_code"]], []).append(
                    (mn, row[column["medium"]])
                )
            by_mn.setdefault(mn, []).append(row)
        having = {
            medium: sum(1 for c in points_of.values() if any(k == medium for _, k in c))
            for medium in ("gas", "water")
        }
        if having["gas"] >= enterprises // 2 and having["water"] >= enterprises // 2 + 1:
            break
        drawn *= 2
    # One point per enterprise, gas and water in turn (in file order within each medium).
    first_point: dict[str, str] = {}
    queues = {
        medium: [(c, mn) for c, choices in points_of.items() for mn, k in choices if k == medium]
        for medium in ("gas", "water")
    }
    media = {"gas": 0, "water": 0}
    while len(first_point) < enterprises:
        want = "gas" if media["gas"] <= media["water"] else "water"
        for medium in (want, "water" if want == "gas" else "gas"):
            queue = queues[medium]
            while queue and queue[0][0] in first_point:
                queue.pop(0)
            if queue:
                code, mn = queue.pop(0)
                first_point[code] = mn
                media[medium] += 1
                break
    owners = {mn: code for code, mn in first_point.items()}
    _write(files.points, header, [r for r in rows if r[column["mn"]] in owners])
    e_header, e_rows = _read(files.enterprises)
    kept = set(owners.values())
    _write(files.enterprises, e_header, [r for r in e_rows if r[0] in kept])
    made: list[ScenarioPoint] = []
    gas = 0
    for mn in owners:
        records = [{name: r[i] for name, i in column.items()} for r in by_mn[mn]]
        medium = records[0]["medium"]
        sends_zs = medium == "gas" and gas % 4 != 3
        gas += medium == "gas"
        made.append(_profile(mn, records, sends_zs))
    return RegistryFiles(files.regions, files.enterprises, files.points, owners, tuple(made))


# --- packets ------------------------------------------------------------------------------


def touched(event: Event) -> tuple[int, int]:
    """Hours ``[lo, hi)`` an incident reads or changes (its window, the hour on each side,
    and for a copied sequence its source and the hour before it)."""
    back = event.params.get("back", 0)
    return event.start - 1 - back, event.end + 1


def frame(point: ScenarioPoint, when: datetime, items: Items, sent: datetime) -> bytes:
    """The HJ 212-2017 hourly upload (CN 2061) of ``items``, its QN the send time."""
    return encode(
        st=point.profile.st,
        cn=CN_HOUR,
        pw=point.profile.password,
        mn=point.mn,
        qn=make_qn(sent),
        flag=flag_for(Edition.V2017),
        data_time=when,
        items=items,
        max_length=LENIENT_MAX_LENGTH,
    )


def send_time(origin: datetime, mn: str, hour: int) -> datetime:
    """When the packet of ``hour`` leaves: 20 s to 4 min after its hour closes."""
    jitter = random.Random(f"send:{mn}:{hour}").randint(20, 240)
    return origin + timedelta(hours=hour + 1, seconds=jitter)


def event_rng(seed: int, mn: str, event: Event) -> random.Random:
    """An incident's own generator: the same values whichever day's grid writes it."""
    return random.Random(f"history:{seed}:{mn}:{event.spec.name}:{event.index}:{event.start}")


def day_packets(
    points: Sequence[ScenarioPoint],
    events: Mapping[str, Sequence[Event]],
    *,
    origin: datetime,
    day: int,
    seed: int,
) -> list[tuple[datetime, bytes]]:
    """``(send time, frame)`` of every packet whose data hour lies in day ``day`` (hours
    counted from ``origin``), in the order they leave the devices."""
    first, last = day * HOURS_PER_DAY, (day + 1) * HOURS_PER_DAY
    out: list[tuple[datetime, bytes]] = []
    for point in points:
        near = [
            e for e in events.get(point.mn, ()) if touched(e)[0] < last and touched(e)[1] > first
        ]
        lo = min([first, *(touched(e)[0] for e in near)])
        hi = max([last, *(touched(e)[1] for e in near)])
        grid = Grid([point], origin + timedelta(hours=lo), hi - lo, seed)
        for event in near:
            shifted = Event(
                event.spec,
                event.index,
                event.point,
                event.factor,
                event.start - lo,
                event.hours,
                event.days,
                event.params,
            )
            INCIDENTS[event.spec.name](shifted, grid, event_rng(seed, point.mn, event))
        series = grid.items[point.mn]
        for hour in range(first, last):
            items = series[hour - lo]
            if items is None:
                continue
            sent = send_time(origin, point.mn, hour)
            out.append((sent, frame(point, grid.time(hour - lo), items, sent)))
    out.sort(key=lambda item: item[0])
    return out
