"""Gap recovery state (pure): which hours a device owes and when to ask for them again."""

from __future__ import annotations

from datetime import datetime, timedelta

from ecoradar.core.clock import CHINA_TZ
from ecoradar.hj212.gateway_recovery import (
    MAX_RECOVERY_ATTEMPTS,
    MAX_RECOVERY_HOURS,
    RECOVERY_ANSWER_TIMEOUT,
    Gap,
    GapTracker,
)

H = timedelta(hours=1)
T0 = datetime(2026, 11, 2, 0, 0, tzinfo=CHINA_TZ)
NOW = T0 + 24 * H
POINT = 7


def hours(gap: Gap | None) -> tuple[datetime, datetime] | None:
    return None if gap is None else (gap.begin, gap.end)


def test_a_late_hour_reveals_the_hours_between_as_a_gap() -> None:
    tracker = GapTracker({POINT: T0})
    gap = tracker.stored_hour(POINT, T0 + 4 * H, NOW)
    assert hours(gap) == (T0 + H, T0 + 3 * H) and gap is not None and gap.hours == 3
    assert tracker.latest[POINT] == T0 + 4 * H


def test_consecutive_and_older_hours_reveal_no_gap() -> None:
    tracker = GapTracker({POINT: T0})
    assert tracker.stored_hour(POINT, T0 + H, NOW) is None
    assert tracker.stored_hour(POINT, T0 - 5 * H, NOW) is None  # a recovered hour
    assert tracker.latest[POINT] == T0 + H


def test_a_point_never_seen_before_starts_its_history_without_a_gap() -> None:
    tracker = GapTracker()
    assert tracker.stored_hour(POINT, T0, NOW) is None and tracker.latest == {POINT: T0}


def test_a_gap_is_bounded_to_seven_days() -> None:
    tracker = GapTracker({POINT: T0 - 30 * 24 * H})
    gap = tracker.stored_hour(POINT, T0, NOW)
    assert gap is not None and gap.hours == MAX_RECOVERY_HOURS and gap.end == T0 - H


def test_a_gap_asked_for_is_not_asked_again_while_the_device_works_on_it() -> None:
    tracker = GapTracker({POINT: T0})
    gap = tracker.stored_hour(POINT, T0 + 3 * H, NOW)
    assert gap is not None
    tracker.asked(POINT, gap, "q1", NOW)
    assert tracker.stored_hour(POINT, T0 + H, NOW) is None  # its uploads
    assert tracker.stored_hour(POINT, T0 + 4 * H, NOW) is None


def test_the_execution_result_closes_the_gap_and_the_next_one_is_due() -> None:
    tracker = GapTracker({POINT: T0})
    first = tracker.stored_hour(POINT, T0 + 3 * H, NOW)
    assert first is not None
    tracker.asked(POINT, first, "q1", NOW)
    assert tracker.stored_hour(POINT, T0 + 6 * H, NOW) is None  # a second gap waits its turn
    assert not tracker.answered(POINT, "9011", "q1", {"QnRtn": "1"})  # ready: not done yet
    assert not tracker.answered(POINT, "9012", "other", {"ExeRtn": "1"})
    assert tracker.answered(POINT, "9012", "q1", {"ExeRtn": "100"})
    assert hours(tracker.next_due(POINT, NOW)) == (T0 + 4 * H, T0 + 5 * H)


def test_a_refusal_closes_the_gap_without_asking_again() -> None:
    tracker = GapTracker({POINT: T0})
    gap = tracker.stored_hour(POINT, T0 + 3 * H, NOW)
    assert gap is not None
    tracker.asked(POINT, gap, "q1", NOW)
    assert tracker.answered(POINT, "9011", "q1", {"QnRtn": "2"})
    assert tracker.owed(POINT) == [] and tracker.reconnected(POINT, NOW) is None


def test_a_gap_is_asked_again_on_reconnection_at_most_three_times() -> None:
    tracker = GapTracker({POINT: T0})
    gap = tracker.stored_hour(POINT, T0 + 3 * H, NOW)
    asked = 0
    while gap is not None:
        tracker.asked(POINT, gap, f"q{asked}", NOW)
        asked += 1
        gap = tracker.reconnected(POINT, NOW)
    assert asked == MAX_RECOVERY_ATTEMPTS and tracker.given_up == 1
    assert tracker.owed(POINT) == []


def test_an_unanswered_request_is_due_again_after_the_answer_timeout() -> None:
    tracker = GapTracker({POINT: T0})
    gap = tracker.stored_hour(POINT, T0 + 3 * H, NOW)
    assert gap is not None
    tracker.asked(POINT, gap, "q1", NOW)
    later = NOW + RECOVERY_ANSWER_TIMEOUT
    assert tracker.stored_hour(POINT, T0 + 4 * H, NOW + timedelta(minutes=1)) is None
    assert tracker.stored_hour(POINT, T0 + 5 * H, later) is gap


def test_hours_stamped_far_ahead_of_the_clock_are_not_trusted() -> None:
    tracker = GapTracker({POINT: T0})
    assert tracker.stored_hour(POINT, NOW + 48 * H, NOW) is None
    assert tracker.latest[POINT] == T0  # a later real hour still reveals its gap
    assert hours(tracker.stored_hour(POINT, T0 + 3 * H, NOW)) == (T0 + H, T0 + 2 * H)
