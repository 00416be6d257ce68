"""Labeled scenarios for measuring problem detection: injected incidents and distractors.

``write_scenarios(directory, seed=..., points=..., days=...)`` writes, deterministically per seed:

* ``regions.geojson``, ``enterprises.csv``, ``points.csv`` — a registry in the import format: the
  sample city's regions (:func:`ecoradar.simulate.city.write_sample_city`) and ``points`` of its
  monitoring points, half gas (SO2, NOx, dust; hourly limits at a reference O2) and half water
  (COD, NH3-N, TP; daily limits), with the enterprises owning them. Every fourth gas device sends
  no ``ZsAvg``: the converted value has to be computed from ``Avg`` and O2.
* ``packets.txt`` — one HJ 212-2017 hourly upload (CN 2061) per point and hour over ``days``
  China-time days from ``start``, one frame a line, in the order they leave the devices. The packet
  of hour H is sent 20 s to 4 min after H + 1 h, and its QN is its send time; retransmissions and
  premature packets sit where they are sent. Baseline values are the traffic simulator's
  (:func:`ecoradar.simulate.traffic.values_at`): diurnal, 12 % to 74 % of the limits, flag N.
* ``labels.jsonl`` — one line per injected incident: ``{"mn", "factor", "kind", "start", "end"}``,
  ``[start, end)`` in ISO 8601 at +08:00 covering exactly the hours the alert definition makes
  alarming; ``factor`` is null for ``offline`` and ``time_anomaly`` and ``a19001`` for
  ``o2_anomaly``.
* ``distractors.jsonl`` — the same fields for each distractor (``kind`` = distractor type), plus
  ``lines``: the lines of ``packets.txt`` holding its extra packets (retransmissions).

Incidents (``incidents`` of each alert kind; the window is the label):

* ``exceedance`` — hourly (3 in 5): 1-6 hours of a gas factor, converted value 1.15-2.0 x limit
  (every third at a point without ``ZsAvg``: ``Avg`` is back-computed from the hour's O2);
  daily (2 in 5): a water factor's China-time day (label 00:00-24:00) with all 24 hours at
  1.1-1.4 x limit, or a burst of 6-10 hours at >= 2.6 x limit lifting the day's mean >= 1.08 x.
* ``flatline`` — 6-10 hours of one value, 25-60 % of the limit (``Avg`` and ``ZsAvg`` both
  constant, ``Min`` = ``Max``), at water points and gas points sending ``ZsAvg``.
* ``zero_value`` — 3-8 hours of 0 (and ``ZsAvg`` 0), flag N, the flow running as usual.
* ``offline`` — 3-10 hours without any packet from the device.
* ``near_limit_pinning`` — 24-36 hours at 88-96 % of the limit (the compared value), CV about
  1.2 %, no two consecutive values equal; every third at a point without ``ZsAvg``.
* ``repeated_sequence`` — 12-24 hours of a factor's items copied as sent from the same hours 1-3
  days earlier (plain, varying baseline values).
* ``over_range`` — 1-3 hours flagged T at 3-5 x the limit.
* ``negative_value`` — 1-2 hours below 0 with flag N: a concentration at -2 % to -10 % of the
  limit, or (every fourth) the flow.
* ``flag_abuse`` — a day (label 00:00-24:00) with 5-8 hours of one factor flagged M (value 0),
  C (a span value, 1.5-2.5 x limit) or S, the source running.
* ``o2_anomaly`` — gas points: 2-5 hours of O2 at 19.3-20.5 % with the flow running (raw values
  drop so the converted ones stay normal), or 6-10 hours of one O2 value.
* ``time_anomaly`` — a packet sent 3-10 hours or 1-3 days before its DataTime (QN = send time; its
  hour's regular packet is not sent again; label: the DataTime's hour), or an hour's packet sent
  again 1-20 hours later with every limited factor's values 4-12 % different (label: that hour).

Distractors (``distractors`` of each type; none may raise an alert):

* ``shutdown`` — 4-12 hours flagged F: every value 0, flow 0, O2 20.5-20.9 % (varying).
* ``maintenance`` — 1-4 hours of one factor flagged M or C: zeros, 2 x the limit, or slightly
  negative values.
* ``short_gap`` — 1-2 hours without a packet.
* ``high_varying`` — 12-30 hours at 60-95 % of the limit, CV above 8 % in every 24 hours.
* ``at_limit`` — gas: 2-3 separate hours with ``ZsAvg`` exactly the limit; water: a day whose 24
  values (limit +- multiples of 0.125, binary-exact) average exactly the limit.
* ``daily_spike`` — a water factor's single hour at 2.5-4 x its daily limit; the day's mean stays
  below 90 % of it.
* ``short_day`` — a water point stopped (F) 5 hours of a day while one factor's other 19 hours
  are 1.1-1.4 x the limit: their mean is above it, but a day needs 20 valid hours.
* ``instrument_floor`` — 8-30 hours of one tiny value, 0.5-2 % of the limit (below the 5 % floor).
* ``duplicate`` — an hour's packet sent again unchanged: byte for byte within 3 minutes or after
  1-20 hours, or with a new QN.
* ``corrupted`` — an hour's packet sent again within 3 minutes with a value digit or the CRC
  changed: the codec refuses it (``bad_crc``).

Patterns never share a China-time day, or neighbouring days, on a point (see
:mod:`ecoradar.simulate.scenarios_plan`), so one cannot look like another kind.
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from ecoradar.core.clock import CHINA_TZ
from ecoradar.detection.models import KINDS
from ecoradar.hj212.crc import format_crc
from ecoradar.hj212.encoder import encode
from ecoradar.hj212.packet import LENIENT_MAX_LENGTH, Edition, flag_for, make_qn
from ecoradar.registry import standards
from ecoradar.simulate.city import write_sample_city
from ecoradar.simulate.scenarios_distract import DISTRACTORS
from ecoradar.simulate.scenarios_inject import INCIDENTS, Extra, Grid, Items
from ecoradar.simulate.scenarios_plan import (
    HOURS_PER_DAY,
    Event,
    ScenarioError,
    ScenarioPoint,
    plan,
)
from ecoradar.simulate.traffic import CN_HOUR, FactorProfile, PointProfile

__all__ = ["KINDS", "ScenarioError", "ScenarioFiles", "write_scenarios"]

START: Final = date(2026, 3, 2)
_PASSWORD_WHEN_UNCHECKED: Final = "123456"


@dataclass(frozen=True, slots=True)
class ScenarioFiles:
    """The files ``write_scenarios`` wrote."""

    directory: Path
    regions: Path
    enterprises: Path
    points: Path
    packets: Path
    labels: Path
    distractors: Path


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _registry(directory: Path, seed: int, count: int) -> list[ScenarioPoint]:
    """Write the sample city and keep ``count`` of its points (half gas), with their owners."""
    enterprises = 4 * count
    while True:
        files = write_sample_city(directory, seed=seed, enterprises=enterprises)
        header, rows = _read_csv(files.points)
        column = {name: i for i, name in enumerate(header)}
        by_mn: dict[str, list[list[str]]] = {}
        for row in rows:
            by_mn.setdefault(row[column["mn"]], []).append(row)
        gas = [mn for mn, r in by_mn.items() if r[0][column["medium"]] == "gas"]
        water = [mn for mn, r in by_mn.items() if r[0][column["medium"]] == "water"]
        if len(gas) >= count // 2 and len(water) >= count - count // 2:
            break
        enterprises *= 2
    chosen = gas[: count // 2] + water[: count - count // 2]
    keep = set(chosen)
    _write_csv(files.points, header, [r for r in rows if r[column["mn"]] in keep])
    owners = {by_mn[mn][0][column["enterprise_code"]] for mn in chosen}
    e_header, e_rows = _read_csv(files.enterprises)
    _write_csv(files.enterprises, e_header, [r for r in e_rows if r[0] in owners])
    points = []
    for mn in chosen:
        factors, averaging = [], {}
        for row in by_mn[mn]:
            value = {name: row[i] for name, i in column.items()}
            spec = (
                standards.limit_for(value["standard"], value["factor"])
                if value["standard"]
                else None
            )
            limit = float(value["limit"]) if value["limit"] else spec.limit if spec else None
            if limit is None:
                raise ScenarioError(f"scenario: no limit for {mn} {value['factor']}")
            o2 = float(value["o2_reference"]) if value["o2_reference"] else None
            factors.append(FactorProfile(value["factor"], limit, o2))
            averaging[value["factor"]] = value["averaging"]
        first = by_mn[mn][0]
        medium = first[column["medium"]]
        profile = PointProfile(
            mn, first[column["password"]] or _PASSWORD_WHEN_UNCHECKED, medium, tuple(factors)
        )
        sends_zs = medium == "gas" and gas.index(mn) % 4 != 3
        points.append(ScenarioPoint(profile, averaging, sends_zs))
    return points


def _frame(point: ScenarioPoint, when: datetime, items: Items, sent: datetime) -> bytes:
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


def _corrupt(frame: bytes, how: str, rng: random.Random) -> bytes:
    """``frame`` with one value digit changed (length and CRC kept) or with another CRC."""
    body = frame.rstrip(b"\r\n")
    if how == "crc":
        crc = int(body[-4:], 16)
        return body[:-4] + format_crc(crc ^ rng.randint(1, 0xFFFF)).encode() + b"\r\n"
    positions = [i for i in range(body.index(b"&&"), len(body) - 4) if body[i : i + 1].isdigit()]
    at = rng.choice(positions)
    digit = (int(body[at : at + 1]) + rng.randint(1, 9)) % 10
    return body[:at] + str(digit).encode() + body[at + 1 :] + b"\r\n"


def _packets(grid: Grid, rng: random.Random) -> list[tuple[datetime, str, bytes, Extra | None]]:
    sent: list[tuple[datetime, str, bytes, Extra | None]] = []
    regular: dict[tuple[str, int], tuple[datetime, bytes]] = {}
    for mn, series in grid.items.items():
        point = grid.points[mn]
        for hour, items in enumerate(series):
            if items is not None:
                at = grid.send_at.get((mn, hour)) or grid.regular_send_time(mn, hour)
                frame = _frame(point, grid.time(hour), items, at)
                regular[mn, hour] = (at, frame)
                sent.append((at, mn, frame, None))
    for extra in grid.extras:
        mn = extra.event.point.mn
        frame = regular[mn, extra.hour][1]
        if extra.items is not None or not extra.same_qn:
            items = extra.items if extra.items is not None else grid.items[mn][extra.hour]
            assert items is not None
            frame = _frame(grid.points[mn], grid.time(extra.hour), items, extra.send_at)
        if extra.corrupt is not None:
            frame = _corrupt(frame, extra.corrupt, rng)
        sent.append((extra.send_at, mn, frame, extra))
    sent.sort(key=lambda s: (s[0], s[1]))
    return sent


def _record(event: Event, start: datetime, *, lines: bool) -> dict[str, Any]:
    record: dict[str, Any] = {
        "mn": event.point.mn,
        "factor": event.factor,
        "kind": event.spec.kind,
        "start": (start + timedelta(hours=event.start)).isoformat(),
        "end": (start + timedelta(hours=event.end)).isoformat(),
    }
    if lines:
        record["lines"] = event.lines
    return record


def _write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    records.sort(key=lambda r: (r["start"], r["mn"], r["kind"]))
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    path.write_text(text, encoding="utf-8")


def write_scenarios(
    directory: Path,
    *,
    seed: int = 1,
    points: int = 36,
    days: int = 28,
    incidents: int = 12,
    distractors: int = 8,
    start: date = START,
) -> ScenarioFiles:
    """Write a labeled scenario into ``directory`` (see the module documentation).

    ``incidents`` per alert kind and ``distractors`` per distractor type are spread over
    ``points`` points and ``days`` days from ``start`` (00:00 China time); the same arguments
    always give byte-identical files. Raises ``ScenarioError`` when they do not fit.
    """
    if points < 2 or days < 5:
        raise ScenarioError("scenario: needs at least 2 points and 5 days")
    directory.mkdir(parents=True, exist_ok=True)
    chosen = _registry(directory, seed, points)
    rng = random.Random(f"scenario:{seed}")
    events = plan(chosen, days=days, incidents=incidents, distractors=distractors, rng=rng)
    origin = datetime(start.year, start.month, start.day, tzinfo=CHINA_TZ)
    grid = Grid(chosen, origin, days * HOURS_PER_DAY, seed)
    for event in events:
        appliers = INCIDENTS if event.spec.incident else DISTRACTORS
        appliers[event.spec.name](event, grid, rng)
    files = ScenarioFiles(
        directory=directory,
        regions=directory / "regions.geojson",
        enterprises=directory / "enterprises.csv",
        points=directory / "points.csv",
        packets=directory / "packets.txt",
        labels=directory / "labels.jsonl",
        distractors=directory / "distractors.jsonl",
    )
    with files.packets.open("wb") as handle:
        for line, (_, _, frame, extra) in enumerate(_packets(grid, rng), start=1):
            handle.write(frame)
            if extra is not None:
                extra.event.lines.append(line)
    _write_jsonl(files.labels, [_record(e, origin, lines=False) for e in events if e.spec.incident])
    _write_jsonl(
        files.distractors, [_record(e, origin, lines=True) for e in events if not e.spec.incident]
    )
    return files
