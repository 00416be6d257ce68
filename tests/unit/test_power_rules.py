"""The power rules on constructed curves: a treatment facility off or idling while production
runs (29 minutes is not an episode, 30 is), meters that drop out (unknown, never off), the
idle threshold, production running while monitoring is silent; and the payload checks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from ecoradar.core.errors import InputError
from ecoradar.power import payload, rules
from ecoradar.power.rules import Meter, Sample

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
LINE = Meter("P1", "L1", "production", rated_kw=200, running_kw=60, idle_kw=20)
FAN = Meter("T1", "TF1", "treatment", rated_kw=100, running_kw=30, idle_kw=10)


def curve(kw_by_minute: list[float | None], start: datetime = T0) -> list[Sample]:
    """One reading a minute; None: no reading that minute (the meter dropped out)."""
    return [Sample(start + i * MIN, kw) for i, kw in enumerate(kw_by_minute) if kw is not None]


def idle_episodes(production: list[Sample], treatment: list[Sample]) -> list[rules.Found]:
    end = T0 + timedelta(hours=4)
    return rules.treatment_idle(
        "TF1",
        [rules.meter_spans(LINE, production)],
        [rules.meter_spans(FAN, treatment)],
        T0,
        end,
    )


def test_a_reading_is_off_idle_partial_or_running_by_the_meters_thresholds() -> None:
    assert [FAN.state(kw) for kw in (0.5, 1.99, 2.0, 9.99, 10, 29.9, 30, 100)] == [
        "off",
        "off",
        "idle",
        "idle",
        "partial",
        "partial",
        "running",
        "running",
    ]


def test_a_facility_idling_for_thirty_minutes_while_production_runs_is_one_episode() -> None:
    production = curve([150.0] * 90)
    treatment = curve([50.0] * 20 + [5.0] * 30 + [50.0] * 40)
    (found,) = idle_episodes(production, treatment)
    assert found.start == T0 + 20 * MIN and found.end == T0 + 50 * MIN
    assert found.minutes == 30 and found.state == "idle" and found.subject == "TF1"


def test_twenty_nine_minutes_is_not_an_episode() -> None:
    production = curve([150.0] * 90)
    treatment = curve([50.0] * 20 + [5.0] * 29 + [50.0] * 41)
    assert idle_episodes(production, treatment) == []


def test_a_facility_off_the_whole_time_is_off_and_one_idle_minute_makes_it_idle() -> None:
    production = curve([150.0] * 60)
    assert idle_episodes(production, curve([0.0] * 60))[0].state == "off"
    assert idle_episodes(production, curve([0.0] * 30 + [5.0] + [0.0] * 29))[0].state == "idle"


def test_no_episode_when_production_is_not_running() -> None:
    production = curve([150.0] * 10 + [40.0] * 50 + [0.0] * 30)
    treatment = curve([0.0] * 90)
    (found,) = idle_episodes(production, treatment) or [None]
    assert found is None


def test_a_treatment_meter_that_drops_out_is_unknown_not_off() -> None:
    production = curve([150.0] * 120)
    # the fan meter sends 10 minutes, then nothing for 100 minutes, then 10 minutes: silence
    treatment = curve([50.0] * 10 + [None] * 100 + [50.0] * 10)
    assert idle_episodes(production, treatment) == []
    spans = rules.meter_spans(FAN, treatment)
    gaps = rules.unknown_spans(spans, T0, T0 + 120 * MIN)
    assert [(g.start, g.end) for g in gaps] == [(T0 + 10 * MIN, T0 + 110 * MIN)]


def test_a_drop_out_inside_an_idle_stretch_breaks_it_into_parts_too_short_to_report() -> None:
    production = curve([150.0] * 80)
    treatment = curve([5.0] * 20 + [None] * 20 + [5.0] * 20 + [50.0] * 20)
    assert idle_episodes(production, treatment) == []


def test_a_production_meter_that_drops_out_cannot_make_production_run() -> None:
    production = curve([150.0] * 5 + [None] * 80)
    treatment = curve([0.0] * 85)
    assert idle_episodes(production, treatment) == []


def test_one_or_two_lost_readings_are_bridged_by_the_readings_either_side() -> None:
    production = curve([150.0] * 60)
    treatment = curve([5.0] * 10 + [None, None] + [5.0] * 28 + [50.0] * 20)
    (found,) = idle_episodes(production, treatment)
    assert found.minutes == 40


def test_production_running_on_another_line_is_enough() -> None:
    other = Meter("P2", "L2", "production", rated_kw=200, running_kw=60, idle_kw=20)
    production = [
        rules.meter_spans(LINE, curve([0.0] * 60)),
        rules.meter_spans(other, curve([120.0] * 60)),
    ]
    treatment = [rules.meter_spans(FAN, curve([0.0] * 60))]
    (found,) = rules.treatment_idle("TF1", production, treatment, T0, T0 + 2 * 60 * MIN)
    assert found.minutes == 60


def test_a_facility_of_two_meters_idles_only_when_both_do() -> None:
    pump = Meter("T2", "TF1", "treatment", rated_kw=50, running_kw=20, idle_kw=5)
    production = [rules.meter_spans(LINE, curve([150.0] * 60))]
    fan_off = rules.meter_spans(FAN, curve([0.0] * 60))
    pump_on = rules.meter_spans(pump, curve([30.0] * 60))
    assert rules.treatment_idle("TF1", production, [fan_off, pump_on], T0, T0 + 90 * MIN) == []


def test_production_running_while_monitoring_is_silent_for_thirty_minutes() -> None:
    production = [rules.meter_spans(LINE, curve([150.0] * 120))]
    # real-time values every minute for 30 minutes, then nothing
    sent = rules.monitoring_spans([(T0 + i * MIN, "rtd") for i in range(30)])
    (found,) = rules.monitoring_offline("MN1", production, sent, T0, T0 + 120 * MIN)
    assert found.start == T0 + 39 * MIN  # the last value at 0:29 shows it sending 10 minutes
    assert found.end == T0 + 120 * MIN and found.state == "silent"


def test_hourly_values_cover_their_hour_so_an_hourly_point_is_not_silent() -> None:
    production = [rules.meter_spans(LINE, curve([150.0] * 180))]
    sent = rules.monitoring_spans([(T0 + timedelta(hours=h), "hour") for h in range(3)])
    assert rules.monitoring_offline("MN1", production, sent, T0, T0 + 180 * MIN) == []


def test_monitoring_silent_while_production_stopped_is_not_an_episode() -> None:
    production = [rules.meter_spans(LINE, curve([0.0] * 120))]
    assert rules.monitoring_offline("MN1", production, [], T0, T0 + 120 * MIN) == []


def test_evidence_curves_are_thinned_to_the_point_limit_and_name_their_gaps() -> None:
    samples = curve([float(i % 7) for i in range(1000)])
    made = rules.curve(FAN, samples, T0, T0 + 1200 * MIN)
    assert len(made["points"]) <= rules.MAX_CURVE_POINTS
    assert made["gaps"] == [
        [int((T0 + 1000 * MIN).timestamp()), int((T0 + 1200 * MIN).timestamp())]
    ]
    assert made["idle_kw"] == 10 and made["role"] == "treatment"


# --- payloads ----------------------------------------------------------------------------------

NOW = T0 + timedelta(hours=2)
TOPIC = "ecoradar/power/91330100MA27XY1234/M-1"


def test_a_topic_names_the_enterprise_and_the_meter() -> None:
    assert payload.parse_topic(TOPIC, "ecoradar/power") == ("91330100MA27XY1234", "M-1")
    for bad in ("other/x/y", "ecoradar/power/91330100MA27XY1234", "ecoradar/power/short/M1",
                "ecoradar/power/91330100MA27XY1234/M 1", "ecoradar/power/a/b/c"):  # fmt: skip
        with pytest.raises(InputError, match="topic"):
            payload.parse_topic(bad, "ecoradar/power")


def test_a_payload_is_one_object_or_a_list() -> None:
    one = json.dumps({"ts": "2026-11-02T09:30:00+08:00", "kw": 12.5, "kwh": 100})
    (reading,) = payload.parse_payload(one.encode(), topic=TOPIC, meter="M-1", now=NOW)
    assert reading.at == T0 + 30 * MIN and reading.kw == 12.5 and reading.kwh == 100
    many = json.dumps(
        [{"ts": "2026-11-02T01:00:00Z", "kw": 1}, {"ts": "2026-11-02T01:01:00Z", "kw": 2}]
    )
    assert len(payload.parse_payload(many.encode(), topic=TOPIC, meter="M-1", now=NOW)) == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"not json", "payload: not JSON"),
        (b"\xff\xfe", "payload: not UTF-8"),
        (b"[]", "empty list"),
        (b'"text"', "expected an object"),
        (b'{"kw": 1}', "ts: missing"),
        (b'{"ts": "2026-11-02T01:00:00Z"}', "kw: missing"),
        (b'{"ts": "2026-11-02T01:00:00", "kw": 1}', "ts: .* has no offset"),
        (b'{"ts": "yesterday", "kw": 1}', "ts: .* is not an ISO 8601 time"),
        (b'{"ts": 1762045200, "kw": 1}', "ts: .* is not an ISO 8601 time"),
        (b'{"ts": "2099-01-01T00:00:00Z", "kw": 1}', "ts: .* lies in the future"),
        (b'{"ts": "2020-01-01T00:00:00Z", "kw": 1}', "ts: .* older than 90 days"),
        (b'{"ts": "2026-11-02T01:00:00Z", "kw": "12"}', "kw: '12' is not a number"),
        (b'{"ts": "2026-11-02T01:00:00Z", "kw": true}', "kw: True is not a number"),
        (b'{"ts": "2026-11-02T01:00:00Z", "kw": -1}', "kw: -1 is not a finite number"),
        (b'{"ts": "2026-11-02T01:00:00Z", "kw": 1e999}', "kw: inf is not a finite number"),
        (b'{"ts": "2026-11-02T01:00:00Z", "kw": 1, "kwh": "x"}', "kwh: 'x' is not a number"),
        (b'[{"ts": "2026-11-02T01:00:00Z", "kw": 1}, {"kw": 2}]', "item 1: ts: missing"),
        (b"[" * 100_000, "payload: not JSON"),
    ],
)
def test_hostile_payloads_are_refused_naming_the_topic_and_field(body: bytes, field: str) -> None:
    with pytest.raises(InputError, match=f"topic {TOPIC}.*{field}"):
        payload.parse_payload(body, topic=TOPIC, meter="M-1", now=NOW)


def test_a_payload_over_the_size_limit_is_refused_before_parsing() -> None:
    with pytest.raises(InputError, match="bytes over"):
        payload.parse_payload(
            b" " * (payload.MAX_PAYLOAD_BYTES + 1), topic=TOPIC, meter="M", now=NOW
        )
