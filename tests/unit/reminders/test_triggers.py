"""Each trigger as a pure rule on hand-built facts, with the near misses that must not fire."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from ecoradar.reminders import triggers as rules
from ecoradar.reminders.config import load

CONFIG = load()
AS_OF = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)  # midnight, 21 November, China time
TODAY = date(2026, 11, 21)


def rule(code: str):  # type: ignore[no-untyped-def]
    return CONFIG.trigger(code)


def series(values: list[tuple[int, float, bool]], averaging: str = "hour") -> rules.LimitedSeries:
    """``(days back from 20 November, value, valid)``, one value a day at 10:00 China time."""
    base = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    hours = [rules.HourValue(base - timedelta(days=d), v, ok) for d, v, ok in values]
    return rules.LimitedSeries(1, "MN1", "DA001", "a21026", 35.0, "mg/m3", averaging, 6.0, hours)


def test_permit_expiry_fires_at_60_and_again_at_30_days_as_separate_issues() -> None:
    at_60 = rules.permit_expiry("P1", TODAY + timedelta(days=55), TODAY, rule("permit_expiry"))
    at_30 = rules.permit_expiry("P1", TODAY + timedelta(days=20), TODAY, rule("permit_expiry"))
    assert [d.evidence["stage_days"] for d in at_60] == [60]
    assert [d.evidence["stage_days"] for d in at_30] == [30]
    assert at_60[0].subject != at_30[0].subject


def test_permit_expiry_is_silent_far_ahead_after_expiry_and_without_a_permit() -> None:
    assert rules.permit_expiry("P1", TODAY + timedelta(days=61), TODAY, rule("permit_expiry")) == []
    assert rules.permit_expiry("P1", TODAY - timedelta(days=1), TODAY, rule("permit_expiry")) == []
    assert rules.permit_expiry(None, None, TODAY, rule("permit_expiry")) == []


def test_near_limit_fires_on_seven_of_fourteen_days_above_80_percent() -> None:
    due = rules.near_limit(series([(d, 30.0, True) for d in range(7)]), AS_OF, rule("near_limit"))
    assert len(due) == 1
    assert due[0].factor == "a21026"
    assert due[0].evidence["days"] == 7
    assert due[0].evidence["limit"] == 35.0


def test_a_short_high_spell_does_not_fire() -> None:
    six_days = series([(d, 34.0, True) for d in range(6)] + [(d, 10.0, True) for d in range(6, 14)])
    assert rules.near_limit(six_days, AS_OF, rule("near_limit")) == []


def test_values_flagged_as_a_stop_do_not_count() -> None:
    """A planned shutdown: the high values carry a stop flag (not valid)."""
    shutdown = series([(d, 30.0, d < 4) for d in range(10)])
    assert rules.near_limit(shutdown, AS_OF, rule("near_limit")) == []


def test_an_exceedance_in_the_window_is_an_alert_not_a_reminder() -> None:
    exceeding = series([(d, 30.0, True) for d in range(8)] + [(9, 36.0, True)])
    assert rules.near_limit(exceeding, AS_OF, rule("near_limit")) == []


def test_days_before_the_window_do_not_count() -> None:
    old = series([(d, 30.0, True) for d in range(10, 20)])
    assert rules.near_limit(old, AS_OF, rule("near_limit")) == []


def test_a_daily_limit_compares_the_days_mean_as_the_exceedance_rule_does() -> None:
    base = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    hours = []
    for d in range(7):  # one hour at 34 and one at 10 each day: the mean 22 is below 80 %
        hours += [
            rules.HourValue(base - timedelta(days=d), 34.0, True),
            rules.HourValue(base - timedelta(days=d) + timedelta(hours=1), 10.0, True),
        ]
    daily = rules.LimitedSeries(1, "MN1", "DW001", "w01018", 35.0, "mg/L", "day", None, hours)
    assert rules.near_limit(daily, AS_OF, rule("near_limit")) == []


def test_maintenance_flags_fire_above_twice_the_usual_rate_only() -> None:
    frequent = rules.FlagCounts(1, "MN1", "DA001", window_hours=12, baseline_hours=8)
    usual = rules.FlagCounts(1, "MN1", "DA001", window_hours=12, baseline_hours=60)
    few = rules.FlagCounts(1, "MN1", "DA001", window_hours=4, baseline_hours=0)
    assert len(rules.maintenance_flags(frequent, rule("maintenance_flags"))) == 1
    assert rules.maintenance_flags(usual, rule("maintenance_flags")) == []
    assert rules.maintenance_flags(few, rule("maintenance_flags")) == []


def hourly(start: datetime, count: int, stopped_last: bool = False) -> list[rules.DataHour]:
    out = [rules.DataHour(start + timedelta(hours=h), False) for h in range(count)]
    if stopped_last:
        out[-1] = rules.DataHour(out[-1].at, True)
    return out


def test_device_offline_fires_on_a_gap_of_a_day_in_the_last_week() -> None:
    start = AS_OF - timedelta(days=5)
    data = hourly(start, 10) + hourly(start + timedelta(hours=40), 80)
    due = rules.device_offline(1, "MN1", "DA001", data, AS_OF, rule("device_offline"))
    assert len(due) == 1
    assert due[0].evidence["hours"] == 30


def test_device_offline_is_silent_for_a_short_gap_and_after_a_stop_flag() -> None:
    start = AS_OF - timedelta(days=5)
    short = hourly(start, 10) + hourly(start + timedelta(hours=30), 90)
    planned = hourly(start, 10, stopped_last=True) + hourly(start + timedelta(hours=40), 80)
    assert rules.device_offline(1, "M", "D", short, AS_OF, rule("device_offline")) == []
    assert rules.device_offline(1, "M", "D", planned, AS_OF, rule("device_offline")) == []
    assert rules.device_offline(1, "M", "D", [], AS_OF, rule("device_offline")) == []


def test_device_offline_counts_a_gap_still_going_at_the_end() -> None:
    data = hourly(AS_OF - timedelta(days=3), 10)
    due = rules.device_offline(1, "M", "D", data, AS_OF, rule("device_offline"))
    assert due and due[0].evidence["until"] is None


def test_selfcheck_overdue_needs_the_configured_number_of_tasks() -> None:
    one = [rules.OverdueTask(1, "CP01", "点位", TODAY - timedelta(days=2))]
    two = [*one, rules.OverdueTask(2, "CP01", "点位", TODAY - timedelta(days=1))]
    assert rules.selfcheck_overdue(one, rule("selfcheck_overdue")) == []
    assert rules.selfcheck_overdue(two, rule("selfcheck_overdue"))[0].evidence["count"] == 2


def test_rectification_due_within_the_horizon_and_not_past_it() -> None:
    soon = rules.Rectification(1, "a", AS_OF + timedelta(days=3))
    later = rules.Rectification(2, "b", AS_OF + timedelta(days=30))
    past = rules.Rectification(3, "c", AS_OF - timedelta(days=1))
    due = rules.rectification_due([soon, later, past], AS_OF, rule("rectification_due"))
    assert [d.subject for d in due] == ["problem:1"]


def test_standard_change_for_the_industry_within_the_horizon() -> None:
    boiler = rules.Standard(1, "44", "GB 13271-2026", TODAY + timedelta(days=40), "NOx 150→50")
    other = rules.Standard(2, "26", "GB 31571", TODAY + timedelta(days=40), "VOCs")
    far = rules.Standard(3, "44", "GB X", TODAY + timedelta(days=200), "later")
    due = rules.standard_change("4411", [boiler, other, far], TODAY, rule("standard_change"))
    assert [d.subject for d in due] == ["standard:1"]


def test_campaign_covers_its_period_industries_and_regions() -> None:
    voc = rules.CampaignFacts(
        7, "夏季VOCs治理", date(2026, 6, 1), date(2026, 12, 31), ("44",), frozenset({5}), "自查"
    )
    assert rules.campaign("4411", 5, [voc], TODAY, rule("campaign"))[0].subject == "campaign:7"
    assert rules.campaign("2614", 5, [voc], TODAY, rule("campaign")) == []
    assert rules.campaign("4411", 6, [voc], TODAY, rule("campaign")) == []
    assert rules.campaign("4411", 5, [voc], date(2027, 1, 1), rule("campaign")) == []
