"""Labeled detection scenarios (simulate/scenarios*.py) and the scoring of bench_detection.py."""

from __future__ import annotations

import importlib.util
import json
import random
import statistics
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.tables import read_table
from ecoradar.hj212.codec import decode
from ecoradar.hj212.errors import HJ212Error, Reason
from ecoradar.hj212.packet import Packet, parse_time
from ecoradar.regions.geojson import check_hierarchy
from ecoradar.regions.index import IndexedRegion, RegionIndex
from ecoradar.regions.service import read_regions_file
from ecoradar.registry import importer
from ecoradar.registry.standards import limit_for
from ecoradar.simulate.scenarios import KINDS, ScenarioFiles, write_scenarios
from ecoradar.simulate.scenarios_beyond import BEYOND_KINDS
from ecoradar.simulate.scenarios_depth import DEPTH_KINDS
from ecoradar.simulate.scenarios_plan import SPECS, ScenarioPoint, counts, plan
from ecoradar.simulate.traffic import FactorProfile, PointProfile

SCENARIO_KINDS = tuple(
    k for k in KINDS if k not in {"parameter_tampering", *DEPTH_KINDS, *BEYOND_KINDS}
)
"""The kinds these scenarios inject (issue 20's kinds have labelled sets of their own)."""

SMALL: dict[str, Any] = {"seed": 3, "points": 16, "days": 12, "incidents": 3, "distractors": 2}
DEVICE_KINDS = {"offline", "time_anomaly"}
O2, FLOWS = "a19001", {"a00000", "w00000"}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> ScenarioFiles:
    return write_scenarios(tmp_path_factory.mktemp("scenario"), **SMALL)


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def points_of(files: ScenarioFiles) -> dict[str, dict[str, dict[str, str]]]:
    """MN -> factor -> its row of points.csv."""
    table = read_table(
        files.points, required=importer.POINT_COLUMNS, optional=importer.POINT_OPTIONAL
    )
    found: dict[str, dict[str, dict[str, str]]] = {}
    for row in table.rows:
        found.setdefault(row.get("mn"), {})[row.get("factor")] = row.values
    return found


def test_the_same_seed_writes_identical_files_and_another_seed_other_packets(
    scenario: ScenarioFiles, tmp_path: Path
) -> None:
    again = write_scenarios(tmp_path / "again", **SMALL)
    for name in ("regions", "enterprises", "points", "packets", "labels", "distractors"):
        assert getattr(again, name).read_bytes() == getattr(scenario, name).read_bytes(), name
    other = write_scenarios(tmp_path / "other", **{**SMALL, "seed": 4})
    assert other.packets.read_bytes() != scenario.packets.read_bytes()


def test_every_alert_kind_has_labels_and_every_distractor_type_occurs(
    scenario: ScenarioFiles,
) -> None:
    assert {label["kind"] for label in jsonl(scenario.labels)} == set(SCENARIO_KINDS)
    types = {s.kind for s in SPECS.values() if not s.incident}
    assert {d["kind"] for d in jsonl(scenario.distractors)} == types


def test_the_default_size_holds_a_dozen_incidents_of_every_kind() -> None:
    gas = (FactorProfile("a21026", 35, 6), FactorProfile("a21002", 50, 6))
    water = (FactorProfile("w01018", 50), FactorProfile("w21011", 0.5))
    points = [
        ScenarioPoint(
            PointProfile(f"MN{n:02d}", "", medium, gas if medium == "gas" else water),
            {f.code: "hour" if medium == "gas" else "day" for f in (*gas, *water)},
            sends_zs=medium == "gas" and n % 4 != 3,
        )
        for n, medium in enumerate(["gas", "water"] * 18)
    ]
    events = plan(points, days=28, incidents=12, distractors=8, rng=random.Random(1))
    kinds = Counter(e.spec.kind for e in events if e.spec.incident)
    assert kinds == dict.fromkeys(SCENARIO_KINDS, 12)
    assert len({e.point.mn for e in events if e.spec.incident}) >= 30
    assert counts(12, 8)["near_limit_pinning"] == 12 and counts(12, 8)["shutdown"] == 8


def test_labels_follow_the_conventions(scenario: ScenarioFiles) -> None:
    registered = points_of(scenario)
    for label in jsonl(scenario.labels):
        assert list(label) == ["mn", "factor", "kind", "start", "end"]
        start, end = datetime.fromisoformat(label["start"]), datetime.fromisoformat(label["end"])
        assert start.utcoffset() == end.utcoffset() == timedelta(hours=8)
        assert start < end and start.minute == end.minute == start.second == 0
        factors = registered[label["mn"]]
        if label["kind"] in DEVICE_KINDS:
            assert label["factor"] is None
        elif label["kind"] == "o2_anomaly":
            assert label["factor"] == O2 and factors[next(iter(factors))]["medium"] == "gas"
        elif label["kind"] == "negative_value":
            assert label["factor"] in factors or label["factor"] in FLOWS
        else:
            assert label["factor"] in factors
        daily = label["kind"] == "exceedance" and factors[label["factor"]]["averaging"] == "day"
        if daily or label["kind"] == "flag_abuse":
            assert start.hour == 0 and end - start == timedelta(days=1)


def test_every_packet_decodes_except_the_corrupted_retransmissions(scenario: ScenarioFiles) -> None:
    corrupted = {
        n for d in jsonl(scenario.distractors) if d["kind"] == "corrupted" for n in d["lines"]
    }
    assert len(corrupted) == SMALL["distractors"]
    refused = set()
    for number, line in enumerate(scenario.packets.read_bytes().splitlines(), start=1):
        try:
            packet = decode(line)
        except HJ212Error as exc:
            assert exc.reason is Reason.BAD_CRC
            refused.add(number)
            continue
        assert packet.cn == "2061" and packet.data_time is not None
    assert refused == corrupted


def test_packets_are_in_the_order_they_were_sent(scenario: ScenarioFiles) -> None:
    resent_as_is = {n for d in jsonl(scenario.distractors) for n in d.get("lines", [])}
    qns = [
        line.split(b"QN=")[1][:17]
        for n, line in enumerate(scenario.packets.read_bytes().splitlines(), start=1)
        if n not in resent_as_is
    ]
    assert qns == sorted(qns)


def test_distractors_stay_at_least_a_day_away_from_labels(scenario: ScenarioFiles) -> None:
    def spans(path: Path) -> list[tuple[str, datetime, datetime]]:
        return [
            (r["mn"], *map(datetime.fromisoformat, (r["start"], r["end"]))) for r in jsonl(path)
        ]

    for mn, start, end in spans(scenario.distractors):
        for other, label_start, label_end in spans(scenario.labels):
            assert other != mn or end + timedelta(days=1) <= label_start or label_end <= start


def test_the_registry_files_pass_the_import_checks(scenario: ScenarioFiles) -> None:
    features = read_regions_file(scenario.regions)
    check_hierarchy(features, {}, "regions.geojson")
    index = RegionIndex(
        [IndexedRegion(i, f.code, f.level, f.geometry) for i, f in enumerate(features)]
    )

    def locate(lon: float, lat: float) -> int | None:
        return hit.id if (hit := index.smallest(lon, lat)) else None

    table = read_table(
        scenario.enterprises,
        required=importer.ENTERPRISE_COLUMNS,
        optional=importer.ENTERPRISE_OPTIONAL,
    )
    enterprises, errors = importer.check_enterprises(table, locate=locate)
    assert errors == []
    table = read_table(
        scenario.points, required=importer.POINT_COLUMNS, optional=importer.POINT_OPTIONAL
    )
    limits, errors = importer.check_points(
        table, enterprise_codes={e.code for e in enterprises}, stored_mn_owner={}
    )
    assert errors == []
    media = Counter(medium for _, medium in {(r.mn, r.medium) for r in limits})
    assert media == {"gas": SMALL["points"] // 2, "water": SMALL["points"] // 2}


# A plain reading of the alert definitions: the labels must be exactly what it finds.


def runs(flags: list[bool], minimum: int) -> Iterator[tuple[int, int]]:
    start = None
    for hour, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = hour
        elif not flag and start is not None:
            if hour - start >= minimum:
                yield start, hour
            start = None


def received(files: ScenarioFiles) -> tuple[dict[tuple[str, datetime], Packet], set[Any]]:
    """The first packet of each MN and DataTime, and the time anomalies seen on the way."""
    first: dict[tuple[str, datetime], Packet] = {}
    anomalies = set()
    for line in files.packets.read_bytes().splitlines():
        try:
            packet = decode(line)
        except HJ212Error:
            continue
        assert packet.data_time is not None and packet.qn is not None
        key = (packet.mn, packet.data_time)
        late = key in first and first[key].items != packet.items
        if late or packet.data_time > parse_time(packet.qn, "QN") + timedelta(minutes=10):
            anomalies.add((packet.mn, None, "time_anomaly", packet.data_time, 1))
        first.setdefault(key, packet)
    return first, anomalies


class Series:
    """One point's first-received items per hour, read the plain way."""

    def __init__(self, items: list[dict[str, dict[str, str]]]) -> None:
        self.items = items
        self.hours = range(len(items))
        self.flow = "a00000" if any("a00000" in i for i in items) else "w00000"
        self.running = [
            self.valid(h, self.flow) and self.number(h, self.flow) > 0 for h in self.hours
        ]

    def valid(self, hour: int, code: str) -> bool:
        return self.flag(hour, code) == "N"

    def flag(self, hour: int, code: str) -> str | None:
        return self.items[hour].get(code, {}).get("Flag")

    def number(self, hour: int, code: str) -> float:
        return float(self.items[hour][code]["Avg"])


def factor_findings(
    series: Series, code: str, row: dict[str, str]
) -> Iterator[tuple[str, int, int]]:
    limit = float(row["limit"]) if row["limit"] else _standard_limit(row)
    hours, items = series.hours, series.items
    value = [_compared(items[h], code, row) if series.valid(h, code) else None for h in hours]
    sent = [items[h][code]["Avg"] if value[h] is not None else None for h in hours]
    if row["averaging"] == "hour":
        for s, e in runs([v is not None and v > limit for v in value], 1):
            yield "exceedance", s, e
    for day in range(0, len(value), 24):
        got = [v for v in value[day : day + 24] if v is not None]
        if row["averaging"] == "day" and len(got) >= 20 and statistics.fmean(got) > limit:
            yield "exceedance", day, day + 24
        abused = [
            series.flag(h, code) in ("M", "C", "S") and series.running[h]
            for h in range(day, day + 24)
        ]
        if sum(abused) > 4:
            yield "flag_abuse", day, day + 24
    same = [sent[h] is not None and h > 0 and sent[h] == sent[h - 1] for h in hours]
    for s, e in runs(same, 5):
        if (value[s - 1] or 0) > 0.05 * limit:
            yield "flatline", s - 1, e
    zero = [sent[h] is not None and float(sent[h] or 1) == 0 and series.running[h] for h in hours]
    for s, e in runs(zero, 3):
        yield "zero_value", s, e
    for s, e in runs([v is not None and 0.85 * limit <= v <= limit for v in value], 24):
        got = [v for v in value[s:e] if v is not None]
        if statistics.pstdev(got) / statistics.fmean(got) < 0.05:
            yield "near_limit_pinning", s, e
    for s, e in runs([series.flag(h, code) == "T" for h in hours], 1):
        yield "over_range", s, e
    for s, e in _repeats(sent):
        yield "repeated_sequence", s, e


def findings(files: ScenarioFiles) -> set[Any]:
    first, found = received(files)
    origin = min(t for _, t in first)
    hours = (max(t for _, t in first) - origin) // timedelta(hours=1) + 1
    for mn, factors in points_of(files).items():
        packets = [first.get((mn, origin + timedelta(hours=h))) for h in range(hours)]
        series = Series([p.items if p else {} for p in packets])
        spans: list[tuple[str | None, str, int, int]] = [
            (None, "offline", s, e) for s, e in runs([p is None for p in packets], 3)
        ]
        for code in (*factors, series.flow):
            negative = [series.valid(h, code) and series.number(h, code) < 0 for h in series.hours]
            spans += [(code, "negative_value", s, e) for s, e in runs(negative, 1)]
        for code, row in factors.items():
            spans += [(code, kind, s, e) for kind, s, e in factor_findings(series, code, row)]
        if next(iter(factors.values()))["medium"] == "gas":
            o2 = [series.number(h, O2) if series.valid(h, O2) else None for h in series.hours]
            high = [o is not None and o >= 19 and series.running[h] for h, o in enumerate(o2)]
            same = [o is not None and h > 0 and o == o2[h - 1] for h, o in enumerate(o2)]
            spans += [(O2, "o2_anomaly", s, e) for s, e in runs(high, 1)]
            spans += [(O2, "o2_anomaly", s - 1, e) for s, e in runs(same, 5)]
        for code, kind, s, e in spans:
            found.add((mn, code, kind, origin + timedelta(hours=s), e - s))
    return found


def _standard_limit(row: dict[str, str]) -> float:
    spec = limit_for(row["standard"], row["factor"])
    assert spec is not None
    return spec.limit


def _compared(items: dict[str, dict[str, str]], code: str, row: dict[str, str]) -> float:
    item = items[code]
    if not row["o2_reference"]:
        return float(item["Avg"])
    if "ZsAvg" in item:
        return float(item["ZsAvg"])
    ratio = (21 - float(row["o2_reference"])) / (21 - float(items[O2]["Avg"]))
    return float(item["Avg"]) * ratio


def _repeats(sent: list[str | None]) -> Iterator[tuple[int, int]]:
    """Runs of >= 12 values equal to those k >= 24 hours earlier (k <= 30 days), not constant."""
    where: dict[str, list[int]] = {}
    offsets: dict[int, list[bool]] = {}
    for hour, value in enumerate(sent):
        if value is None:
            continue
        for earlier in where.get(value, []):
            if 24 <= hour - earlier <= 720:
                offsets.setdefault(hour - earlier, [False] * len(sent))[hour] = True
        where.setdefault(value, []).append(hour)
    for flags in offsets.values():
        for s, e in runs(flags, 12):
            if len(set(sent[s:e])) > 1:
                yield s, e


def test_the_labels_are_exactly_what_the_alert_definitions_find(scenario: ScenarioFiles) -> None:
    expected = set()
    for r in jsonl(scenario.labels):
        start, end = datetime.fromisoformat(r["start"]), datetime.fromisoformat(r["end"])
        expected.add((r["mn"], r["factor"], r["kind"], start, (end - start) // timedelta(hours=1)))
    assert findings(scenario) == expected


# Scoring of bench/bench_detection.py, on hand-made alerts.


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    path = Path(__file__).parents[2] / "bench" / "bench_detection.py"
    spec = importlib.util.spec_from_file_location("bench_detection", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def at(hour: int) -> str:
    return (datetime(2026, 3, 2, tzinfo=CHINA_TZ) + timedelta(hours=hour)).isoformat()


def span(bench: ModuleType, kind: str, first: int, end: int | None, **fields: Any) -> Any:
    record = {"mn": "M1", "factor": "a21026", "kind": kind, "start": at(first)}
    record["end"] = None if end is None else at(end)
    return bench.Span.of({**record, **fields})


def test_an_alert_matches_a_label_of_the_same_point_kind_and_factor_that_it_overlaps(
    bench: ModuleType,
) -> None:
    label = span(bench, "exceedance", 10, 13)
    assert bench.matches(span(bench, "exceedance", 12, 20), label)
    assert bench.matches(span(bench, "exceedance", 0, None), label)  # open: ends at +infinity
    assert not bench.matches(span(bench, "exceedance", 13, 14), label)  # [10, 13) ends at 13
    assert not bench.matches(span(bench, "exceedance", 5, 10), label)
    assert not bench.matches(span(bench, "exceedance", 10, 13, factor="a21002"), label)
    assert not bench.matches(span(bench, "exceedance", 10, 13, mn="M2"), label)
    assert not bench.matches(span(bench, "flatline", 10, 13), label)
    device = span(bench, "offline", 10, 13, factor=None)
    assert bench.matches(span(bench, "offline", 11, 12, factor="a21026"), device)


def test_precision_and_recall_are_counted_per_kind(bench: ModuleType) -> None:
    labels = [
        span(bench, "exceedance", 10, 13),
        span(bench, "exceedance", 40, 41),
        span(bench, "offline", 10, 15, factor=None),
    ]
    alerts = [
        span(bench, "exceedance", 10, 13),  # exact
        span(bench, "exceedance", 12, 14),  # the same label again
        span(bench, "exceedance", 60, 61),  # nothing there
        span(bench, "offline", 14, None, factor=None),
        span(bench, "made_up", 1, 2),
    ]
    result = bench.score(labels, alerts)
    exceedance, offline = result.kinds["exceedance"], result.kinds["offline"]
    assert (exceedance.alerts, exceedance.matched_alerts, exceedance.exact) == (3, 2, 1)
    assert (exceedance.precision, exceedance.recall) == (2 / 3, 1 / 2)
    assert (offline.precision, offline.recall) == (1.0, 1.0)
    assert result.kinds["made_up"].alerts == 1 and result.kinds["flatline"].alerts == 0
    assert [str(s) for s in result.unmatched_labels] == [str(labels[1])]
    assert {a.kind for a in result.unmatched_alerts} == {"exceedance", "made_up"}
    text = bench.report(result)
    assert "exceedance" in text and "0.667" in text and "labels matched by no alert: 1" in text


def test_the_chunked_comparison_ignores_order_and_offsets(bench: ModuleType) -> None:
    one = [span(bench, "offline", 1, 4, factor=None), span(bench, "exceedance", 2, None)]
    utc = {"start": "2026-03-01T17:00:00+00:00", "end": "2026-03-01T20:00:00+00:00"}
    again = [one[1], bench.Span.of({"mn": "M1", "factor": None, "kind": "offline", **utc})]
    assert "identical" in bench.compare(one, again)
    assert "DIFFERENT" in bench.compare(one, again[:1])
