"""Re-judging stored power episodes on hand-built curves: readings that arrive late split an
episode (both pieces 30 minutes or more), shorten it (the rest too short to count), withdraw
it (nothing of 30 minutes is left, or nothing at all), merge two into one, and leave alone what
they do not change; an episode reaching outside the judged window only grows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ecoradar.power import rules
from ecoradar.power.revise import Change, Known, revise
from ecoradar.power.rules import Meter, Sample

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
LINE = Meter("P1", "L1", "production", rated_kw=200, running_kw=60, idle_kw=20)
SLOW_FAN = Meter(
    "T1", "TF1", "treatment", rated_kw=100, running_kw=30, idle_kw=10, interval=10 * MIN
)
"""A treatment meter that reports every 10 minutes (a reading stands up to 30 minutes)."""
END = T0 + timedelta(hours=4)


def at(minute: float) -> datetime:
    return T0 + minute * MIN


def every(step: int, first: int, last: int, kw: float) -> list[Sample]:
    return [Sample(at(m), kw) for m in range(first, last + 1, step)]


def runs(production: list[Sample], treatment: list[Sample]) -> list[rules.Found]:
    """Every stretch of the facility idling while the line runs, of any length."""
    return rules.treatment_idle(
        "TF1",
        [rules.meter_spans(LINE, production)],
        [rules.meter_spans(SLOW_FAN, treatment)],
        T0,
        END,
        shortest=timedelta(0),
    )


def known(found: rules.Found, episode_id: int = 1) -> Known:
    return Known(episode_id, found.rule, found.subject, found.start, found.end, found.state)


LINE_RUNS = every(1, 0, 200, 150.0)


def stored(treatment: list[Sample], episode_id: int = 1) -> Known:
    (first,) = [r for r in runs(LINE_RUNS, treatment) if r.minutes >= 30]
    return known(first, episode_id)


def test_late_readings_showing_treatment_running_in_the_middle_split_the_episode() -> None:
    before = every(10, 0, 120, 5.0)  # idle from minute 0 to 130
    episode = stored(before)
    assert (episode.start, episode.end) == (at(0), at(130))
    late = [Sample(at(55), 50.0)]  # running from 55 until the reading at 60
    changes = revise([episode], runs(LINE_RUNS, before + late), T0, END)
    assert changes == [
        Change("new", changes[0].found, None, split_from=1, reason=changes[0].reason),
        Change("revised", changes[1].found, 1, reason=changes[1].reason),
    ]
    kept, split = changes[1].found, changes[0].found
    assert kept is not None and (kept.start, kept.end) == (at(0), at(55))
    assert split is not None and (split.start, split.end) == (at(60), at(130))
    assert "#1" in changes[0].reason and "09:55" in changes[1].reason  # China time


def test_a_piece_too_short_after_re_judging_is_dropped_and_the_episode_shortened() -> None:
    before = every(10, 0, 120, 5.0)
    late = [Sample(at(105), 50.0)]  # running 105-110: 110-130 is 20 minutes, no violation
    (change,) = revise([stored(before)], runs(LINE_RUNS, before + late), T0, END)
    assert change.kind == "revised" and change.episode == 1
    assert change.found is not None and (change.found.start, change.found.end) == (at(0), at(105))


def test_an_episode_left_with_less_than_thirty_minutes_is_withdrawn_as_short() -> None:
    before = every(10, 0, 30, 5.0)  # idle 0-40
    late = [Sample(at(15), 50.0)]  # running 15-20: 15 and 20 minutes are left
    (change,) = revise([stored(before)], runs(LINE_RUNS, before + late), T0, END)
    assert (change.kind, change.code, change.episode, change.found) == (
        "withdrawn",
        "short",
        1,
        None,
    )
    assert "20 分钟" in change.reason and "不足 30 分钟" in change.reason


def test_an_episode_of_which_nothing_holds_any_more_is_withdrawn_as_gone() -> None:
    """Monitoring silence that late values show was no silence at all."""
    production = [rules.meter_spans(LINE, every(1, 0, 90, 150.0))]
    silent = rules.monitoring_offline("MN1", production, [], T0, END)
    (episode,) = [known(f) for f in silent]
    sent = rules.monitoring_spans([(at(m), "minute") for m in range(-5, 100, 10)])
    now = rules.monitoring_offline("MN1", production, sent, T0, END, shortest=timedelta(0))
    assert now == []
    (change,) = revise([episode], now, T0, END)
    assert (change.kind, change.code) == ("withdrawn", "gone")


def test_late_readings_filling_the_gap_between_two_episodes_merge_them_into_the_first() -> None:
    # idle 0-40, the meter silent 40-75 (unknown), idle 75-120: two episodes
    before = every(10, 0, 30, 5.0) + every(10, 75, 115, 5.0)
    first, second = (known(r, i) for i, r in enumerate(runs(LINE_RUNS, before), start=1))
    late = [Sample(at(m), 5.0) for m in (45, 55, 65)]
    changes = revise([first, second], runs(LINE_RUNS, before + late), T0, END)
    by_kind = {c.kind: c for c in changes}
    assert set(by_kind) == {"grown", "withdrawn"}
    grown = by_kind["grown"].found
    assert by_kind["grown"].episode == 1 and grown is not None
    assert (grown.start, grown.end) == (at(0), at(125))
    assert (by_kind["withdrawn"].episode, by_kind["withdrawn"].code) == (2, "merged")
    assert "#1" in by_kind["withdrawn"].reason


def test_nothing_changes_when_the_late_readings_agree_with_what_was_judged() -> None:
    before = every(10, 0, 120, 5.0)
    late = [Sample(at(m), 6.0) for m in (5, 25, 45)]  # idle as well
    assert revise([stored(before)], runs(LINE_RUNS, before + late), T0, END) == []


def test_what_an_episode_covers_outside_the_window_stands_and_runs_at_the_edge_continue_it() -> (
    None
):
    before = every(10, 0, 120, 5.0)
    episode = stored(before)  # 0-130
    late = [Sample(at(55), 50.0)]
    # judged from minute 30 to 100 only (the late reading's time and hours around it)
    window = [
        rules.Found(r.rule, r.subject, max(r.start, at(30)), min(r.end, at(100)), r.state)
        for r in runs(LINE_RUNS, before + late)
        if r.end > at(30) and r.start < at(100)
    ]
    changes = revise([episode], window, at(30), at(100))
    assert [(c.kind, c.found.start, c.found.end) for c in changes if c.found] == [
        ("new", at(60), at(130)),
        ("revised", at(0), at(55)),
    ]  # as when judged whole
    assert revise([episode], [], at(140), at(200)) == []  # touching nothing it covers
    cut = revise([episode], [], at(20), at(140))  # nothing holds inside now: 0-20 is left
    assert [(c.kind, c.code) for c in cut] == [("withdrawn", "short")]


def test_a_new_stretch_far_from_any_stored_episode_is_new_and_short_ones_are_ignored() -> None:
    treatment = every(10, 0, 20, 50.0) + every(10, 30, 90, 5.0) + every(10, 100, 110, 50.0)
    found = runs(LINE_RUNS, treatment + [Sample(at(150), 5.0)])  # 150-160: 10 minutes
    changes = revise([], found, T0, END)
    assert [(c.kind, c.found.start, c.found.end) for c in changes if c.found] == [
        ("new", at(30), at(100))
    ]
