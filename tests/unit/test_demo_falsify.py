"""Live falsification patterns of the demo's falsifying enterprises (simulate/traffic.py
``PointProfile.falsify``): on a spell day the values are what the detectors (detection/
detectors.py ``update``) need for a ``flatline`` or a ``near_limit_pinning`` alert, an honest
point sending the same hours raises neither, and profiles that do not falsify send exactly
what they sent before the field existed."""

from __future__ import annotations

import hashlib
import json
import statistics
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from ecoradar.core.clock import CHINA_TZ
from ecoradar.detection.detectors import PointState, update
from ecoradar.detection.params import DEFAULTS, FactorConfig, HourRecord, PointConfig, Reading
from ecoradar.detection.runs import Span
from ecoradar.simulate.demo_live import FALSIFY_DAYS
from ecoradar.simulate.traffic import (
    CN_DAY,
    CN_HOUR,
    CN_MINUTE,
    CN_REALTIME,
    PH,
    FactorProfile,
    PointProfile,
    interval_rng,
    values_at,
)

GAS = PointProfile(
    "FALSIFYGAS00000000000001",
    "123456",
    "gas",
    (
        FactorProfile("a21026", 35.0, 6.0),
        FactorProfile("a21002", 50.0, 6.0),
        FactorProfile("a34013", 10.0, 6.0),
    ),
)
WATER = PointProfile(
    "FALSIFYWATER000000000001",
    "654321",
    "water",
    (FactorProfile("w01018", 50.0), FactorProfile("w21003", 5.0), FactorProfile(PH, 9.0)),
)
TARGET = {GAS.mn: "a21002", WATER.mn: "w01018"}
"""The factor with the highest limit: the one a spell falsifies."""
START = datetime(2026, 11, 1, tzinfo=CHINA_TZ)
DAYS = 14
HOUR = timedelta(hours=1)
KINDS = {"flatline", "near_limit_pinning"}
"""The kinds (alert names) of the patterns sent live."""
FALSIFYING_KINDS = KINDS | {"repeated_sequence", "zero_value", "flag_abuse", "o2_anomaly"}


def hour_items(profile: PointProfile, when: datetime, cn: str = CN_HOUR) -> dict:
    return values_at(profile, when, interval_rng(profile, cn, when), cn=cn)


def record(when: datetime, items: dict[str, dict[str, str]]) -> HourRecord:
    """The hour as the platform stores it (Avg, ZsAvg, flag per factor)."""
    return HourRecord(
        when.astimezone(CHINA_TZ),
        {
            code: Reading(
                float(item["Avg"]),
                float(item["ZsAvg"]) if "ZsAvg" in item else None,
                flag=item["Flag"],
            )
            for code, item in items.items()
        },
    )


def config(profile: PointProfile) -> PointConfig:
    """The detection view of the point: its limited factors (pH has a range, not a limit)."""
    averaging = "hour" if profile.medium == "gas" else "day"
    factors = {
        f.code: FactorConfig(f.code, f.limit, averaging, f.o2_reference, DEFAULTS)
        for f in profile.factors
        if f.code != PH
    }
    return PointConfig(1, profile.mn, profile.medium, factors)


def sent(profile: PointProfile, when: datetime, cn: str = CN_HOUR) -> dict:
    """What the profile sends in the ``DAYS`` days from ``START``, an honest point's values
    outside them (so every spell in them begins and ends there)."""
    inside = START <= when < START + timedelta(days=DAYS)
    return hour_items(profile if inside else replace(profile, falsify=0.0), when, cn)


def detect(profile: PointProfile) -> list[Span]:
    """Every span the real detector fold gives for the profile's hours from a day before
    ``START`` to a day after the ``DAYS`` days."""
    state = PointState(config(profile))
    spans: list[Span] = []
    for hour in range(-24, (DAYS + 1) * 24):
        when = START + hour * HOUR
        spans += update(state, record(when, sent(profile, when)))
    return spans


def alerts(spans: list[Span]) -> dict[tuple[str, str, datetime], Span]:
    """Each alert once (its last span: the widest window), by kind, factor and start."""
    return {(s.kind, s.factor, s.start): s for s in spans}


@pytest.mark.parametrize("profile", [GAS, WATER], ids=["gas", "water"])
def test_every_spell_day_raises_its_pattern_alert_on_the_falsified_factor(
    profile: PointProfile,
) -> None:
    falsifying = replace(profile, falsify=1.0)  # a spell every day
    found = alerts(detect(falsifying))
    mine = {key: span for key, span in found.items() if key[0] in FALSIFYING_KINDS}
    assert {kind for kind, _, _ in mine} == KINDS  # both patterns, nothing else suspicious
    assert {factor for _, factor, _ in mine} == {TARGET[profile.mn]}
    covered = set()
    for span in mine.values():
        assert span.end is not None  # every spell ends
        hour = span.start
        while hour < span.end:
            covered.add(hour.astimezone(CHINA_TZ).date())
            hour += HOUR
    assert covered == {START.date() + timedelta(days=d) for d in range(DAYS)}  # every day


@pytest.mark.parametrize("profile", [GAS, WATER], ids=["gas", "water"])
def test_a_flatline_spell_is_six_to_ten_identical_hours_above_the_floor(
    profile: PointProfile,
) -> None:
    falsifying = replace(profile, falsify=1.0)
    code = TARGET[profile.mn]
    limit = next(f.limit for f in profile.factors if f.code == code)
    spans = [s for s in alerts(detect(falsifying)).values() if s.kind == "flatline"]
    assert spans
    for span in spans:
        assert span.end is not None
        hours = int((span.end - span.start) / HOUR)
        assert 6 <= hours <= 10  # flatline_hours is 6
        items = [sent(falsifying, span.start + h * HOUR)[code] for h in range(hours)]
        for key in ("Avg", "ZsAvg") if "ZsAvg" in items[0] else ("Avg",):
            assert len({item[key] for item in items}) == 1, key
        item = items[0]
        assert item["Min"] == item["Avg"] == item["Max"]
        assert float(item["Avg"]) > DEFAULTS.flatline_floor_share * limit
        assert 8 <= span.start.astimezone(CHINA_TZ).hour <= 13
        # the hours around the spell differ: the run is exactly the spell
        for edge in (span.start - HOUR, span.end):
            assert sent(falsifying, edge)[code]["Avg"] != item["Avg"]
        # a stuck analyser: its minute values are stuck too
        minute = sent(falsifying, span.start + timedelta(minutes=20), CN_MINUTE)[code]
        assert minute["Avg"] == item["Avg"]


@pytest.mark.parametrize("profile", [GAS, WATER], ids=["gas", "water"])
def test_a_pinning_spell_is_the_whole_day_just_under_the_limit(profile: PointProfile) -> None:
    falsifying = replace(profile, falsify=1.0)
    code = TARGET[profile.mn]
    limit = next(f.limit for f in profile.factors if f.code == code)
    spans = [s for s in alerts(detect(falsifying)).values() if s.kind == "near_limit_pinning"]
    assert spans
    for span in spans:
        assert span.end is not None
        # whole days (spells on consecutive days make one alert)
        assert span.start.astimezone(CHINA_TZ).hour == 0
        hours = int((span.end - span.start) / HOUR)
        assert hours % 24 == 0 and hours >= DEFAULTS.pinning_hours
        key = "ZsAvg" if profile.medium == "gas" else "Avg"  # the value the limit applies to
        for day in range(0, hours, 24):
            values = [
                float(sent(falsifying, span.start + (day + h) * HOUR)[code][key]) for h in range(24)
            ]
            assert all(DEFAULTS.pinning_band * limit <= v <= limit for v in values)
            assert statistics.pstdev(values) / statistics.mean(values) < DEFAULTS.pinning_cv
            assert len(set(values)) > 12  # not a flatline
        for edge in (span.start - HOUR, span.end):  # the hours around are ordinary
            value = float(sent(falsifying, edge)[code][key])
            assert value < DEFAULTS.pinning_band * limit


@pytest.mark.parametrize("profile", [GAS, WATER], ids=["gas", "water"])
def test_an_honest_point_sending_the_same_hours_raises_no_falsification_alert(
    profile: PointProfile,
) -> None:
    found = alerts(detect(profile))
    assert not [key for key in found if key[0] in FALSIFYING_KINDS]


def test_a_spell_changes_only_the_falsified_factor_and_days_without_one_are_unchanged() -> None:
    sometimes = replace(GAS, falsify=0.5)
    changed_days = set()
    for hour in range(DAYS * 24):
        when = START + hour * HOUR
        honest, falsified = hour_items(GAS, when), hour_items(sometimes, when)
        changed = {code for code in honest if honest[code] != falsified[code]}
        assert changed <= {TARGET[GAS.mn]}
        if changed:
            changed_days.add(when.date())
    assert 0 < len(changed_days) < DAYS


def test_daily_values_are_left_as_they_are() -> None:
    always = replace(GAS, falsify=1.0)
    for day in range(DAYS):
        when = START + timedelta(days=day)
        assert hour_items(always, when, CN_DAY) == hour_items(GAS, when, CN_DAY)


def test_the_demo_falsifiers_have_spells_on_about_their_share_of_days() -> None:
    fleet = [replace(GAS, mn=f"FALSIFYGAS{n:014d}") for n in range(40)]
    days = 60
    spell_days = 0
    for honest in fleet:
        falsifying = replace(honest, falsify=FALSIFY_DAYS)
        for day in range(days):
            noon = START + timedelta(days=day, hours=12)
            code = TARGET[GAS.mn]
            spell_days += hour_items(falsifying, noon)[code] != hour_items(honest, noon)[code]
    share = spell_days / (len(fleet) * days)
    # noon is in every pinning spell and in most flatline ones
    assert 0.5 * FALSIFY_DAYS < share < 1.5 * FALSIFY_DAYS


def _digest(profile: PointProfile) -> str:
    digest = hashlib.sha256()
    for cn, step, count in (
        (CN_HOUR, HOUR, 24 * 40),
        (CN_MINUTE, timedelta(minutes=10), 6 * 24 * 3),
        (CN_DAY, timedelta(days=1), 40),
        (CN_REALTIME, timedelta(minutes=7), 50),
    ):
        for n in range(count):
            when = START + n * step
            digest.update(json.dumps(hour_items(profile, when, cn), sort_keys=True).encode())
    return digest.hexdigest()[:16]


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        (GAS, "a601c97fd1bdcfab"),
        (WATER, "95c4a5fc9c794a26"),
        (replace(GAS, excess=0.08), "5d10012a43381182"),
        (replace(WATER, excess=0.08), "2db72b43585129a4"),
    ],
    ids=["gas", "water", "careless-gas", "careless-water"],
)
def test_profiles_that_do_not_falsify_send_what_they_sent_before(
    profile: PointProfile, expected: str
) -> None:
    """Digests of 40 days of hourly, 3 of minute, 40 daily and 50 real-time values, taken
    before ``falsify`` existed."""
    assert _digest(profile) == expected
