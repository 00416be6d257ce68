"""The green code's arithmetic on hand-built facts: each indicator, no data, vetoes, colours."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from ecoradar.greencode import scoring
from ecoradar.greencode.facts import (
    AlertFact,
    EnterpriseFacts,
    FactorHours,
    OutcomeFact,
    PermitFact,
    PointHours,
    ProblemFact,
    RemindersFacts,
    TaskFact,
)
from ecoradar.greencode.model import INDICATORS, load_model

MODEL = load_model()
NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)  # 12:00 China time
AS_OF = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
SO2 = "a21026"


def facts(**kw: object) -> EnterpriseFacts:
    base = EnterpriseFacts(enterprise_id=1, code="E1", now=NOW, data_as_of=AS_OF)
    return replace(base, **kw)  # type: ignore[arg-type]


def alert(
    i: int, kind: str, start: datetime, hours: int | None = 1, factor: str = SO2
) -> AlertFact:
    end = start + timedelta(hours=hours) if hours is not None else None
    return AlertFact(i, kind, factor, "DA001", start, end, "high")


def problem(i: int, severity: str = "high", **kw: object) -> ProblemFact:
    base = ProblemFact(i, severity, "water", "confirmed", NOW - timedelta(days=10))
    return replace(base, **kw)  # type: ignore[arg-type]


# --- the national curve ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("share", "expected"),
    [
        (1.0, 100.0),
        (0.95, 90.0),
        (0.90, 80.0),
        (0.825, 64.5),  # halfway through 75-90 %: 50 + 29 / 2
        (0.75, 50.0),
        (0.375, 24.5),
        (0.0, 0.0),
    ],
)
def test_the_compliance_curve_is_linear_inside_each_national_band(
    share: float, expected: float
) -> None:
    assert scoring.band_score(share, MODEL.compliance_bands) == pytest.approx(expected)


# --- monitoring compliance ---------------------------------------------------------------------


def test_compliance_is_the_share_of_valid_hours_without_exceedance_of_the_worst_factor() -> None:
    start = AS_OF - timedelta(days=2)
    so2 = FactorHours(1, "DA001", SO2, 100, (alert(7, "exceedance", start, hours=10),))
    nox = FactorHours(1, "DA001", "a21002", 100, ())
    result = scoring.monitoring_compliance(facts(factors=(so2, nox)), MODEL)
    assert result.detail["share"] == pytest.approx(0.90)
    assert result.score == pytest.approx(80.0)
    assert result.detail["factors"] == {"DA001/SO2": 0.9, "DA001/NOx": 1.0}
    (event,) = result.events
    assert event.text == f"alert #7 exceedance SO2 at DA001 {scoring.china_date(start).isoformat()}"
    assert "#" not in event.public_text


def test_pooled_hours_aggregate_weighs_every_factor_by_its_hours() -> None:
    start = AS_OF - timedelta(days=2)
    so2 = FactorHours(1, "DA001", SO2, 100, (alert(7, "exceedance", start, hours=10),))
    nox = FactorHours(1, "DA001", "a21002", 100, ())
    model = replace(MODEL, compliance_aggregate="hours")
    result = scoring.monitoring_compliance(facts(factors=(so2, nox)), model)
    assert result.detail["share"] == pytest.approx(0.95)
    assert result.score == pytest.approx(90.0)


def test_exceedance_hours_outside_the_window_do_not_count() -> None:
    lo = AS_OF - timedelta(days=MODEL.compliance_window_days)
    early = alert(3, "exceedance", lo - timedelta(hours=5), hours=8)  # 3 hours inside
    so2 = FactorHours(1, "DA001", SO2, 60, (early,))
    result = scoring.monitoring_compliance(facts(factors=(so2,)), MODEL)
    assert result.detail["share"] == pytest.approx(1 - 3 / 60)


def test_an_open_exceedance_counts_up_to_the_data_as_of() -> None:
    running = alert(4, "exceedance", AS_OF - timedelta(hours=30), hours=None)
    so2 = FactorHours(1, "DA001", SO2, 300, (running,))
    result = scoring.monitoring_compliance(facts(factors=(so2,)), MODEL)
    assert result.detail["share"] == pytest.approx(0.9)


def test_factors_with_too_few_valid_hours_leave_compliance_without_data() -> None:
    thin = FactorHours(1, "DA001", SO2, MODEL.compliance_min_valid_hours - 1, ())
    assert scoring.monitoring_compliance(facts(factors=(thin,)), MODEL).score is None
    assert scoring.monitoring_compliance(facts(data_as_of=None), MODEL).score is None


# --- data quality -------------------------------------------------------------------------------


def test_data_quality_is_the_online_curve_less_alert_penalties_falsification_heavier() -> None:
    day = AS_OF - timedelta(days=1)
    points = (PointHours(1, "DA001", 100, 100),)
    clean = scoring.data_quality(facts(points=points), MODEL)
    assert clean.score == 100.0
    flat = scoring.data_quality(facts(points=points, alerts=(alert(1, "flatline", day),)), MODEL)
    off = scoring.data_quality(
        facts(points=points, alerts=(alert(2, "offline", day, factor=""),)), MODEL
    )
    assert flat.score == 100 - MODEL.falsification_penalty
    assert off.score == 100 - MODEL.device_penalty
    assert flat.score is not None and off.score is not None and flat.score < off.score
    assert flat.events[0].text.startswith("alert #1 flatline SO2 at DA001")
    assert off.events[0].text.startswith("alert #2 offline at DA001")


def test_data_quality_names_a_point_with_a_low_online_rate() -> None:
    points = (PointHours(1, "DA001", 100, 80), PointHours(2, "DA002", 100, 100))
    result = scoring.data_quality(facts(points=points), MODEL)
    assert result.detail["online_rate"] == pytest.approx(0.9)
    assert result.score == round(scoring.band_score(0.9, MODEL.online_bands), 2)
    (event,) = result.events
    assert event.text == "online rate 80 % at DA001 over 30 days"


def test_every_kind_of_suspected_falsification_costs_the_falsification_penalty() -> None:
    day = AS_OF - timedelta(days=1)
    kinds = sorted(MODEL.falsification_kinds)
    assert set(kinds) == {
        "flatline",
        "near_limit_pinning",
        "repeated_sequence",
        "zero_value",
        "flag_abuse",
        "o2_anomaly",
        "parameter_tampering",
        "variance_collapse",
        "cloned_stream",
        "limit_bunching",
        "inspection_drop",
        "dilution",
        "rounded_values",
    }
    alerts = tuple(alert(i, k, day) for i, k in enumerate(kinds))
    result = scoring.data_quality(
        facts(points=(PointHours(1, "DA001", 10, 10),), alerts=alerts), MODEL
    )
    assert result.detail["falsification_alerts"] == 13
    assert result.score == max(0.0, 100 - 13 * MODEL.falsification_penalty)


def test_data_quality_without_points_or_alerts_has_no_data() -> None:
    assert scoring.data_quality(facts(), MODEL).score is None


# --- self-inspection ----------------------------------------------------------------------------


def test_self_inspection_is_the_on_time_share_less_failed_items() -> None:
    today = NOW.date()
    tasks = (
        TaskFact(1, "CP1", today - timedelta(days=1), True, True, 0),
        TaskFact(2, "CP1", today - timedelta(days=2), True, True, 2),
        TaskFact(3, "CP1", today - timedelta(days=3), False, True, 0),
        TaskFact(4, "CP1", today - timedelta(days=4), False, False, 0),
    )
    result = scoring.self_inspection(facts(tasks=tasks), MODEL)
    assert result.score == pytest.approx(100 * 2 / 4 - 2 * MODEL.failed_item_penalty)
    texts = [e.text for e in result.events]
    assert any("task #3" in t and "submitted late" in t for t in texts)
    assert any("task #4" in t and "not done" in t for t in texts)
    assert any("task #2" in t and "2 failed" in t for t in texts)


def test_tasks_before_the_window_and_no_tasks_mean_no_data() -> None:
    old = TaskFact(1, "CP1", date(2026, 1, 1), False, False, 0)
    assert scoring.self_inspection(facts(tasks=(old,)), MODEL).score is None
    assert scoring.self_inspection(facts(), MODEL).score is None


# --- problems -----------------------------------------------------------------------------------


def test_problems_cost_points_by_severity_and_overdue_rectification() -> None:
    overdue = problem(2, "low", state="rectifying", overdue_since=NOW - timedelta(days=1))
    result = scoring.problems(facts(problems=(problem(1, "high"), overdue)), MODEL)
    expected = 100 - MODEL.severity_penalty["high"] - MODEL.severity_penalty["low"]
    assert result.score == expected - MODEL.overdue_penalty
    assert result.detail["overdue"] == 1
    assert any("problem #2 rectification overdue" in e.text for e in result.events)


def test_closed_problems_confirmed_before_the_window_no_longer_count() -> None:
    old = problem(
        1,
        "critical",
        state="closed",
        confirmed_at=NOW - timedelta(days=400),
        final_at=NOW - timedelta(days=390),
    )
    result = scoring.problems(facts(problems=(old,)), MODEL)
    assert result.score == 100.0 and result.events == ()


def test_no_problems_is_a_clean_record_not_missing_data() -> None:
    assert scoring.problems(facts(), MODEL).score == 100.0


# --- enforcement --------------------------------------------------------------------------------


def test_a_fine_weighs_more_than_an_order_to_correct_more_than_a_warning() -> None:
    at = NOW - timedelta(days=5)

    def one(kind: str, amount: str | None = None) -> float:
        money = Decimal(amount) if amount else None
        found = scoring.enforcement(facts(outcomes=(OutcomeFact(1, kind, money, at),)), MODEL)
        assert found.score is not None
        return found.score

    assert one("fine", "500") < one("order_to_correct") < one("warning") < 100
    assert one("fine", "200000") < one("fine", "20000") < one("fine", "500")
    assert one("fine", "20000") == 100 - 40


def test_penalties_older_than_twelve_months_do_not_count() -> None:
    old = OutcomeFact(1, "fine", Decimal("50000"), NOW - timedelta(days=366))
    assert scoring.enforcement(facts(outcomes=(old,)), MODEL).score == 100.0


# --- reminders and permit -------------------------------------------------------------------------


def test_reminders_have_no_data_until_they_exist_but_the_arithmetic_does() -> None:
    assert scoring.reminders(facts(), MODEL).score is None
    some = RemindersFacts(sent=4, answered_on_time=3, late_ids=(9,))
    result = scoring.reminders(facts(reminders=some), MODEL)
    assert result.score == 75.0
    assert result.events[0].text == "service reminder #9 not answered in time"


@pytest.mark.parametrize(
    ("valid_until", "expected"),
    [
        (date(2027, 6, 1), 100.0),
        (date(2026, 12, 20), 100.0),  # exactly 30 days
        (date(2026, 12, 5), 60 + 40 * 15 / 30),
        (date(2026, 11, 20), 60.0),  # the last valid day
        (date(2026, 11, 19), 0.0),
    ],
)
def test_the_permit_scores_by_days_to_expiry(valid_until: date, expected: float) -> None:
    found = scoring.permit(facts(permit=PermitFact("913305001234567890001P", valid_until)), MODEL)
    assert found.score == pytest.approx(expected)


def test_no_permit_recorded_means_no_data() -> None:
    assert scoring.permit(facts(), MODEL).score is None
    assert scoring.permit(facts(permit=PermitFact(None, None)), MODEL).score is None


# --- total, no data, colours, vetoes ------------------------------------------------------------


def test_indicators_without_data_leave_the_total_and_the_weights_are_renormalised() -> None:
    points = (PointHours(1, "DA001", 100, 100),)
    day = AS_OF - timedelta(days=1)
    result = scoring.score(facts(points=points, alerts=(alert(1, "flatline", day),)), MODEL)
    with_data = {n for n, i in result.indicators.items() if i.has_data}
    assert with_data == {"data_quality", "problems", "enforcement"}
    w = MODEL.weights
    dq = 100 - MODEL.falsification_penalty
    expected = (w["data_quality"] * dq + w["problems"] * 100 + w["enforcement"] * 100) / (
        w["data_quality"] + w["problems"] + w["enforcement"]
    )
    assert result.score == pytest.approx(round(expected, 2))
    assert set(result.indicators) == set(INDICATORS)


def test_an_enterprise_with_nothing_against_it_is_green_without_reasons() -> None:
    result = scoring.score(facts(data_as_of=None), MODEL)
    assert result.colour == "green" and result.score == 100.0 and result.reasons == ()


def test_colours_follow_the_cutoffs_of_the_scheme() -> None:
    assert [scoring.colour_of(s, MODEL) for s in (100, 80, 79.99, 60, 59.9, 0)] == [
        "green",
        "green",
        "yellow",
        "yellow",
        "red",
        "red",
    ]
    cutoffs = (("green", 90.0), ("blue", 75.0), ("yellow", 60.0), ("red", 0.0))
    five = replace(MODEL, scheme=replace(MODEL.scheme, name="five", cutoffs=cutoffs))
    assert [scoring.colour_of(s, five) for s in (95, 80, 65, 10)] == [
        "green",
        "blue",
        "yellow",
        "red",
    ]


def test_a_non_green_code_names_the_events_behind_it_heaviest_first() -> None:
    many = tuple(problem(i, "critical") for i in range(1, 5))
    result = scoring.score(facts(problems=many), MODEL)
    assert result.colour != "green"
    assert result.reasons and all(r.text.startswith("problem #") for r in result.reasons)
    assert all("#" not in r.public_text for r in result.reasons)


@pytest.mark.parametrize(
    "rule", ["data_falsification", "hazardous_waste_disposal", "bypass", "refused_inspection"]
)
def test_a_named_violation_turns_the_code_red_at_once(rule: str) -> None:
    result = scoring.score(facts(problems=(problem(5, "low", violation=rule),)), MODEL)
    assert result.colour == "red"
    assert result.score <= MODEL.veto_score_cap
    assert [v.key for v in result.vetoes] == [f"problem:5:{rule}"]
    assert result.reasons[0].indicator == "veto"
    assert "problem #5" in result.reasons[0].text
    assert "#" not in result.reasons[0].public_text


def test_a_transfer_to_public_security_is_a_veto_and_black_in_five_colours() -> None:
    moved = problem(6, "high", state="transferred", public_security=True, final_at=NOW)
    assert scoring.score(facts(problems=(moved,)), MODEL).colour == "red"
    five = replace(MODEL, scheme=replace(MODEL.scheme, name="five", veto_colour="black"))
    assert scoring.score(facts(problems=(moved,)), five).colour == "black"


def test_a_lifted_veto_no_longer_counts_and_disabled_rules_never_do() -> None:
    bypass = problem(5, "low", violation="bypass", state="closed", final_at=NOW)
    lifted = scoring.score(facts(problems=(bypass,), lifted=frozenset({"problem:5:bypass"})), MODEL)
    assert lifted.vetoes == () and lifted.colour == "green"
    off = replace(MODEL, veto_rules=frozenset({"public_security"}))
    assert scoring.score(facts(problems=(bypass,)), off).vetoes == ()


def test_events_carry_what_and_params_for_pages_that_word_them_without_personal_data() -> None:
    start = AS_OF - timedelta(days=1)
    flat = alert(8, "flatline", start)
    quality = scoring.data_quality(
        facts(points=(PointHours(1, "DA001", 10, 10),), alerts=(flat,)), MODEL
    )
    (event,) = quality.events
    assert event.what == "alert"
    assert event.params == {
        "kind": "flatline",
        "factor": "SO2",
        "outlet": "DA001",
        "day": scoring.china_date(start).isoformat(),
    }
    result = scoring.score(facts(problems=(problem(5, "low", violation="bypass"),)), MODEL)
    veto = result.reasons[0]
    assert veto.what == "veto" and veto.params["rule"] == "bypass"
    assert set(veto.params) == {"rule", "day"}  # no ids
