"""Contribution metrics and monthly rankings on hand-built data: months in China time, problems
found and found first, the verified share, time to verify, scores, ties and masked names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import InputError
from ecoradar.praise import rules
from ecoradar.praise.rules import Contribution, Month, ProblemFacts, Report

NOV = Month(2026, 11)
T = datetime(2026, 11, 10, 9, 0, tzinfo=CHINA_TZ)


def confirmed(pid: int, first: int | None = None, **over: object) -> ProblemFacts:
    fields: dict[str, object] = {
        "problem_id": pid,
        "state": "rectifying",
        "reached": frozenset({"reported", "accepted", "assigned", "verifying", "confirmed"}),
        "first_finding_id": first,
    }
    fields.update(over)
    return ProblemFacts(**fields)  # type: ignore[arg-type]


def report(fid: int, person: str, pid: int, at: datetime = T) -> Report:
    return Report(fid, person, pid, at, region_id=1)


# --- months -------------------------------------------------------------------------------------


def test_a_month_runs_from_china_midnight_to_china_midnight() -> None:
    assert NOV.start == datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    assert NOV.end == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert NOV.holds(datetime(2026, 10, 31, 16, 0, tzinfo=UTC))
    assert not NOV.holds(datetime(2026, 10, 31, 15, 59, tzinfo=UTC))  # still October in China
    assert rules.month_of(datetime(2026, 11, 30, 16, 30, tzinfo=UTC)) == Month(2026, 12)
    assert Month(2026, 12).next() == Month(2027, 1) and Month(2027, 1).previous() == Month(2026, 12)
    assert [str(m) for m in rules.months(Month(2026, 11), Month(2027, 2))] == [
        "2026-11", "2026-12", "2027-01", "2027-02",
    ]  # fmt: skip
    assert rules.months(Month(2027, 1), Month(2026, 12)) == []


@pytest.mark.parametrize("text", ["2026-13", "2026-1", "26-01", "1999-12", "", "2026-00"])
def test_a_month_that_is_not_one_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(InputError, match="^month: "):
        rules.parse_month(text)


def test_a_month_is_parsed() -> None:
    assert rules.parse_month(" 2026-11 ") == NOV
    assert str(NOV) == "2026-11"
    assert rules.previous_month(datetime(2026, 12, 1, 1, tzinfo=CHINA_TZ)) == NOV


# --- metrics ------------------------------------------------------------------------------------


def test_an_empty_month_gives_zeros_and_no_share_or_median() -> None:
    c = rules.contribution("user:1", "grid_worker", NOV)
    assert (c.patrols_done, c.reports, c.problems_found, c.found_first) == (0, 0, 0, 0)
    assert c.verified_share is None and c.median_hours_to_verify is None and not c.active
    assert rules.score(c) == 0


def test_found_first_goes_to_the_earliest_finding_when_two_clues_attach_to_one_problem() -> None:
    problems = {7: confirmed(7, first=100)}
    reports = [report(100, "user:1", 7), report(101, "user:2", 7, T + timedelta(hours=2))]
    a = rules.contribution("user:1", "grid_worker", NOV, reports=reports, problems=problems)
    b = rules.contribution("user:2", "grid_worker", NOV, reports=reports, problems=problems)
    assert (a.problems_found, a.found_first) == (1, 1)
    assert (b.problems_found, b.found_first) == (1, 0)  # found it too, but not first


def test_the_first_finding_is_the_earliest_arrival_then_the_lowest_id() -> None:
    rows = [(7, 12, T), (7, 11, T), (7, 10, T + timedelta(seconds=1)), (8, 20, T)]
    assert rules.first_findings(rows) == {7: 11, 8: 20}


def test_problems_found_counts_verified_problems_once_and_not_rejected_or_duplicates() -> None:
    problems = {
        1: confirmed(1, first=1),
        2: confirmed(2, first=2, state="unfounded"),  # confirmed once, unfounded now
        3: confirmed(3, first=3, duplicate=True),
        4: ProblemFacts(4, "rejected", frozenset({"reported", "rejected"}), first_finding_id=4),
        5: ProblemFacts(5, "accepted", frozenset({"reported", "accepted"}), first_finding_id=5),
        6: ProblemFacts(
            6, "transferred", frozenset({"transferred"}), "public_security", first_finding_id=99
        ),
    }
    reports = [report(n, "user:1", n) for n in range(1, 7)] + [report(50, "user:1", 1)]
    c = rules.contribution("user:1", "grid_worker", NOV, reports=reports, problems=problems)
    assert c.reports == 7
    assert c.problems_found == 2  # 1 (twice) and 6
    assert c.found_first == 1  # 1; 6 was found first by someone else
    # decided: 1 (x2), 2, 3, 4, 6; pending: 5 -> 3 of 6 confirmed
    assert (c.decided, c.confirmed_reports) == (6, 3)
    assert c.verified_share == 0.5


def test_reports_patrols_and_verifications_of_other_months_are_left_out() -> None:
    october = datetime(2026, 10, 31, 23, 59, tzinfo=CHINA_TZ)
    december = datetime(2026, 12, 1, 0, 0, tzinfo=CHINA_TZ)
    problems = {1: confirmed(1, first=1), 2: confirmed(2, first=2)}
    reports = [report(1, "user:1", 1, october), report(2, "user:1", 2, december)]
    verified = [rules.Verification("user:1", 1, october - timedelta(hours=5), october)]
    c = rules.contribution(
        "user:1",
        "grid_worker",
        NOV,
        reports=reports,
        problems=problems,
        patrols_ended=[october, T, december],
        verified=verified,
    )
    assert (c.reports, c.problems_found, c.patrols_done, c.verifications) == (0, 0, 1, 0)


def test_time_to_verify_is_the_median_from_the_last_routing_to_the_same_worker() -> None:
    routed = [
        rules.Routing(1, "user:1", T - timedelta(hours=30)),
        rules.Routing(1, "user:2", T - timedelta(hours=20)),  # someone else's, later
        rules.Routing(1, "user:1", T - timedelta(hours=10)),  # routed back: counts from here
        rules.Routing(2, "user:1", T - timedelta(hours=2)),
        rules.Routing(3, "user:1", T - timedelta(hours=4)),
        rules.Routing(4, "user:1", T + timedelta(hours=1)),  # after: does not count
    ]
    events = [rules.VerifyEvent(p, "user:1", T) for p in (1, 2, 3, 4)]
    events.append(rules.VerifyEvent(5, "user:1", T))  # never routed to them: left out
    matched = rules.verifications(events, routed)
    assert sorted(v.hours for v in matched) == [2.0, 4.0, 10.0]
    c = rules.contribution("user:1", "grid_worker", NOV, verified=matched)
    assert c.verifications == 3 and c.median_hours_to_verify == 4.0


def test_a_reporter_has_no_patrols_and_a_score_of_what_they_found() -> None:
    problems = {1: confirmed(1, first=1), 2: confirmed(2, first=9)}
    reports = [report(1, "contact:x", 1), report(2, "contact:x", 2)]
    c = rules.contribution(
        "contact:x", "reporter", NOV, reports=reports, problems=problems, patrols_ended=[T]
    )
    assert (c.patrols_done, c.problems_found, c.found_first) == (0, 2, 1)
    assert rules.score(c) == 3 * 2 + 2 * 1


# --- ranking ------------------------------------------------------------------------------------


def worker(person: str, **figures: int) -> Contribution:
    return Contribution(person=person, kind="grid_worker", **figures)  # type: ignore[arg-type]


def test_the_worker_score_weighs_patrols_problems_found_first_and_share() -> None:
    c = worker("user:1", patrols_done=4, problems_found=2, found_first=1, decided=4,
               confirmed_reports=3)  # fmt: skip
    assert rules.score(c) == 4 + 3 * 2 + 2 * 1 + 5 * 0.75


def test_equal_scores_share_a_rank_and_are_ordered_deterministically() -> None:
    a = worker("user:5", patrols_done=5)  # 5 points
    b = worker("user:3", problems_found=1, patrols_done=2)  # 5 points, found something
    c = worker("user:4", patrols_done=5)  # 5 points, same as a: by key
    d = worker("user:1", patrols_done=9)  # 9 points
    e = worker("user:2")  # nothing
    ranked = rules.rank([a, b, c, d, e])
    assert [(r.rank, r.contribution.person) for r in ranked] == [
        (1, "user:1"), (2, "user:3"), (2, "user:4"), (2, "user:5"), (5, "user:2"),
    ]  # fmt: skip
    assert rules.rank([e, d, c, b, a]) == ranked  # the input order does not matter


def test_an_empty_ranking_is_empty() -> None:
    assert rules.rank([]) == []


# --- names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三丰", "张**"), ("欧阳举报人", "欧***"), ("李", "李*"), ("Alice Wang", "A."),
     ("  ", "*"), (None, "*")],
)  # fmt: skip
def test_the_public_sees_only_a_masked_name(name: str | None, masked: str) -> None:
    assert rules.mask_name(name) == masked
