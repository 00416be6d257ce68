"""A labelled scenario of analyser parameters (issue 20): every analyser reports its parameters
once a day (HJ 212-2017 CN=3020, i13001 range, i13006 last calibration, i13007 intercept,
i13008 slope), and some are tampered with (pure but for writing the files; deterministic per
seed).

Each point's first analyser gets one behaviour, drawn in equal shares:

* ``tampering`` (labelled ``parameter_tampering``): the slope is cut to 50-80 % at some hour,
  nothing calibrated, no maintenance; from that hour the readings drop by the same ratio. Half
  the cheats put the slope back after 2-5 days (the label ends there), the others keep it;
* ``calibration`` (honest): a real calibration: i13006 moves to the hour it happened, the slope
  changes by up to 8 % (the readings with it), the hour of the calibration flagged C;
* ``maintenance`` (honest): 2-3 hours flagged M, after which the range is changed or the slope
  reset by up to 20 % (a new electrode: the readings do not move);
* ``drift`` (honest): slope and intercept wander within tolerance, nothing else;
* ``plain`` (honest): nothing changes.

The other analysers of each point report unchanged parameters. Hourly data (CN 2061) of every
factor come from ``ecoradar.simulate.traffic``.
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ecoradar.core.clock import CHINA_TZ
from ecoradar.hj212.encoder import encode
from ecoradar.hj212.packet import LENIENT_MAX_LENGTH, Edition, flag_for, format_time, make_qn
from ecoradar.simulate.city import write_sample_city
from ecoradar.simulate.traffic import (
    CN_HOUR,
    GAS_FLOW,
    OXYGEN,
    PH,
    WATER_FLOW,
    FactorProfile,
    PointProfile,
    interval_rng,
    values_at,
)

KIND = "parameter_tampering"
BEHAVIOURS = ("tampering", "calibration", "maintenance", "drift", "plain")
SCALED = ("Avg", "Min", "Max", "ZsAvg", "ZsMin", "ZsMax", "Cou")
"""Suffixes that scale with the analyser's slope."""
NO_ANALYSER = frozenset({GAS_FLOW, WATER_FLOW, OXYGEN, PH})
DEFAULT_LIMIT = 50.0
REPORT_OFFSET = timedelta(minutes=5)
"""The daily parameter upload leaves at 00:05 China time."""


@dataclass(frozen=True)
class Params:
    range_value: float
    calibrated_at: datetime
    intercept: float
    slope: float


@dataclass
class Analyser:
    """One analyser's story: parameters over time and what the readings do."""

    factor: str
    behaviour: str
    params: list[tuple[datetime, Params]]
    """From each time on, these parameters (sorted)."""
    ratio: list[tuple[datetime, float]]
    """From each time on, readings times this (sorted)."""
    flags: dict[datetime, str]
    label: tuple[datetime, datetime] | None = None

    def at(self, when: datetime) -> Params:
        return [p for t, p in self.params if t <= when][-1]

    def ratio_at(self, when: datetime) -> float:
        found = [r for t, r in self.ratio if t <= when]
        return found[-1] if found else 1.0


@dataclass(frozen=True)
class ParamScenarioFiles:
    directory: Path
    regions: Path
    enterprises: Path
    points: Path
    packets: Path
    labels: Path
    behaviours: Path


def write_param_scenario(
    directory: Path, *, seed: int = 1, points: int = 30, days: int = 21
) -> ParamScenarioFiles:
    """Write the registry, the packets and the labels of a parameter scenario into
    ``directory``; the same arguments always give the same files."""
    directory.mkdir(parents=True, exist_ok=True)
    profiles, files = _registry(directory, seed, points)
    rng = random.Random(f"params:{seed}")
    origin = datetime(2026, 10, 1, tzinfo=CHINA_TZ)
    behaviours = [BEHAVIOURS[i % len(BEHAVIOURS)] for i in range(len(profiles))]
    rng.shuffle(behaviours)
    stories = {
        p.mn: _stories(p, behaviour, origin, days, rng)
        for p, behaviour in zip(profiles, behaviours, strict=True)
    }
    packets = directory / "packets.txt"
    with packets.open("wb") as out:
        for hour in range(days * 24):
            when = origin + timedelta(hours=hour)
            for profile in profiles:
                if hour % 24 == 0:
                    for story in stories[profile.mn]:
                        out.write(params_packet(profile, story, when + REPORT_OFFSET))
                out.write(hour_packet(profile, stories[profile.mn], when, seed))
    labels = directory / "labels.jsonl"
    behaviour_file = directory / "behaviours.jsonl"
    with labels.open("w") as lab, behaviour_file.open("w") as beh:
        for mn, story_list in stories.items():
            for story in story_list:
                if story.label is not None:
                    start, end = story.label
                    lab.write(
                        json.dumps(
                            {
                                "mn": mn,
                                "factor": story.factor,
                                "kind": KIND,
                                "start": start.isoformat(),
                                "end": end.isoformat(),
                            }
                        )
                        + "\n"
                    )
                if story.behaviour != "constant":
                    beh.write(
                        json.dumps({"mn": mn, "factor": story.factor, "behaviour": story.behaviour})
                        + "\n"
                    )
    return ParamScenarioFiles(
        directory, files[0], files[1], files[2], packets, labels, behaviour_file
    )


def _registry(directory: Path, seed: int, count: int) -> tuple[list[PointProfile], list[Path]]:
    city = write_sample_city(directory, seed=seed, enterprises=count)
    with city.points.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    col = {name: i for i, name in enumerate(header)}
    chosen: dict[str, list[list[str]]] = {}
    for row in body:
        mn = row[col["mn"]]
        if mn in chosen or len(chosen) < count:
            chosen.setdefault(mn, []).append(row)
    with city.points.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *[r for rs in chosen.values() for r in rs]])
    profiles = []
    for mn, rs in chosen.items():
        factors = tuple(
            FactorProfile(
                r[col["factor"]],
                float(r[col["limit"]]) if r[col["limit"]] else DEFAULT_LIMIT,
                float(r[col["o2_reference"]]) if r[col["o2_reference"]] else None,
            )
            for r in rs
        )
        password = rs[0][col["password"]] or "123456"
        profiles.append(PointProfile(mn, password, rs[0][col["medium"]], factors))
    return profiles, [city.regions, city.enterprises, city.points]


def _stories(
    profile: PointProfile, behaviour: str, origin: datetime, days: int, rng: random.Random
) -> list[Analyser]:
    analysers = [f.code for f in profile.factors if f.code not in NO_ANALYSER]
    stories = []
    for index, factor in enumerate(analysers):
        base = Params(
            rng.choice((200.0, 500.0, 1000.0)),
            origin - timedelta(days=rng.randint(10, 60), hours=rng.randint(0, 23)),
            round(rng.uniform(-0.5, 0.5), 3),
            round(rng.uniform(0.95, 1.05), 4),
        )
        story = Analyser(factor, "constant", [(origin - timedelta(days=90), base)], [], {})
        if index == 0:
            story.behaviour = behaviour
            _apply(story, base, origin, days, rng)
        stories.append(story)
    return stories


def _apply(story: Analyser, base: Params, origin: datetime, days: int, rng: random.Random) -> None:
    when = origin + timedelta(days=rng.randint(4, days - 4), hours=rng.randint(1, 22))
    end = origin + timedelta(days=days)
    kind = story.behaviour
    if kind == "tampering":
        ratio = round(rng.uniform(0.5, 0.8), 3)
        tampered = Params(base.range_value, base.calibrated_at, base.intercept, base.slope * ratio)
        story.params.append((when, tampered))
        story.ratio.append((when, ratio))
        stop = end
        if rng.random() < 0.5:
            stop = min(end, when + timedelta(days=rng.randint(2, 5), hours=rng.randint(0, 12)))
            story.params.append((stop, base))
            story.ratio.append((stop, 1.0))
        story.label = (when, stop)
    elif kind == "calibration":
        ratio = round(1 + rng.choice((-1, 1)) * rng.uniform(0.02, 0.08), 4)
        calibrated = Params(
            base.range_value,
            when,
            round(base.intercept * rng.uniform(0.8, 1.2), 3),
            base.slope * ratio,
        )
        story.params.append((when + timedelta(minutes=20), calibrated))
        story.ratio.append((when + timedelta(hours=1), ratio))
        story.flags[when] = "C"
    elif kind == "maintenance":
        hours = rng.randint(2, 3)
        for h in range(hours):
            story.flags[when + timedelta(hours=h)] = "M"
        done = when + timedelta(hours=hours)
        if rng.random() < 0.5:
            new = Params(base.range_value * 2, base.calibrated_at, base.intercept, base.slope)
        else:
            factor = 1 + rng.choice((-1, 1)) * rng.uniform(0.1, 0.2)
            new = Params(base.range_value, base.calibrated_at, base.intercept, base.slope * factor)
        story.params.append((done - timedelta(minutes=30), new))
    elif kind == "drift":
        for day in range(1, days):
            at = origin + timedelta(days=day, hours=3)
            p = story.params[-1][1]
            story.params.append(
                (
                    at,
                    Params(
                        p.range_value,
                        p.calibrated_at,
                        round(base.intercept + rng.uniform(-0.002, 0.002) * p.range_value, 3),
                        round(base.slope * rng.uniform(0.985, 1.015), 4),
                    ),
                )
            )


def params_packet(
    profile: PointProfile, story: Analyser, when: datetime, *, needs_answer: bool = False
) -> bytes:
    """The daily CN=3020 upload of one analyser's parameters (tables C.44/C.45)."""
    p = story.at(when)
    return encode(
        st=profile.st,
        cn="3020",
        pw=profile.password,
        mn=profile.mn,
        qn=make_qn(when),
        flag=flag_for(Edition.V2017, needs_answer=needs_answer),
        data_time=when,
        cp={"PolId": story.factor},
        items={
            "i13001": {"Info": f"{p.range_value:g}"},
            "i13006": {"Info": format_time(p.calibrated_at)},
            "i13007": {"Info": f"{p.intercept:g}"},
            "i13008": {"Info": f"{p.slope:.4f}"},
        },
        max_length=LENIENT_MAX_LENGTH,
    )


def hour_packet(profile: PointProfile, stories: list[Analyser], when: datetime, seed: int) -> bytes:
    items = values_at(profile, when, interval_rng(profile, CN_HOUR, when, seed=seed), cn=CN_HOUR)
    for story in stories:
        item = items.get(story.factor)
        if item is None:
            continue
        ratio = story.ratio_at(when)
        if ratio != 1.0:
            for suffix in SCALED:
                if suffix in item:
                    item[suffix] = f"{float(item[suffix]) * ratio:.3f}"
        flag = story.flags.get(when)
        if flag is not None:
            item["Flag"] = flag
    return encode(
        st=profile.st,
        cn=CN_HOUR,
        pw=profile.password,
        mn=profile.mn,
        qn=make_qn(when),
        flag=flag_for(Edition.V2017, needs_answer=False),
        data_time=when,
        items=items,
        max_length=LENIENT_MAX_LENGTH,
    )
