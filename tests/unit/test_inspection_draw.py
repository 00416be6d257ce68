"""The inspection draw (pure): reproducible from its published inputs, independent per
enterprise, with the rates per colour."""

from __future__ import annotations

import hashlib
import math
import random

import pytest

from ecoradar.inspections.draw import (
    ALGORITHM,
    Candidate,
    draw,
    draw_enterprises,
    expected,
)

RATES = {"green": 0.05, "blue": 0.1, "yellow": 0.3, "red": 1.0, "black": 1.0}
COLOURS = ("green", "yellow", "red", None)


def codes(n: int, prefix: str = "E") -> list[str]:
    return [f"{prefix}{i:05d}" for i in range(n)]


def mixed(n: int) -> list[tuple[str, str | None]]:
    return [(code, COLOURS[i % len(COLOURS)]) for i, code in enumerate(codes(n))]


def test_the_same_inputs_give_the_same_draw_whatever_the_order_given() -> None:
    pairs = mixed(400)
    first = draw_enterprises(pairs, RATES, "seed-1", "2026-12")
    again = draw_enterprises(list(reversed(pairs)), dict(RATES), "seed-1", "2026-12")
    assert first == again
    assert first == sorted(first)
    assert 0 < len(first) < len(pairs)


def test_a_different_seed_or_period_gives_a_different_draw() -> None:
    pairs = [(code, "yellow") for code in codes(400)]
    base = draw_enterprises(pairs, RATES, "seed-1", "2026-12")
    assert draw_enterprises(pairs, RATES, "seed-2", "2026-12") != base
    assert draw_enterprises(pairs, RATES, "seed-1", "2027-01") != base


def test_adding_or_removing_an_enterprise_changes_nobody_elses_draw() -> None:
    pairs = [(code, "yellow") for code in codes(300)]
    base = set(draw_enterprises(pairs, RATES, "s", "2026-12"))
    extra = [("X99999", "yellow"), ("A00000", "green"), *pairs[:150], *pairs[151:]]
    changed = set(draw_enterprises(extra, RATES, "s", "2026-12"))
    assert changed - {"X99999", "A00000"} == base - {pairs[150][0]}


def test_red_is_always_drawn_and_a_rate_of_zero_never() -> None:
    rates = {**RATES, "green": 0.0}
    pairs = [(code, "red") for code in codes(500)] + [(code, "green") for code in codes(500, "G")]
    for seed in ("a", "b", "c"):
        chosen = set(draw_enterprises(pairs, rates, seed, "2026-Q4"))
        assert chosen == {code for code, _ in pairs if not code.startswith("G")}


def test_an_enterprise_without_a_code_gets_the_rate_of_the_uncoded_colour() -> None:
    pairs = [(code, None) for code in codes(200)]
    assert draw_enterprises(pairs, RATES, "s", "2026", uncoded_colour="red") == codes(200)
    assert draw_enterprises(pairs, {**RATES, "yellow": 0.0}, "s", "2026") == []


def within(count: int, n: int, rate: float, sigmas: float = 5.0) -> bool:
    sigma = math.sqrt(n * rate * (1 - rate))
    return abs(count - n * rate) <= sigmas * sigma


def test_the_share_drawn_follows_the_rate_within_five_sigma_over_many_seeds() -> None:
    pairs = [(code, "yellow") for code in codes(2000)]
    total = 0
    for n in range(30):
        count = len(draw_enterprises(pairs, RATES, f"seed-{n}", "2026-12"))
        assert within(count, 2000, 0.3), count
        total += count
    assert within(total, 2000 * 30, 0.3)


def test_each_colour_is_drawn_at_its_own_rate() -> None:
    rates = {"green": 0.05, "yellow": 0.3, "red": 1.0}
    pairs = [(code, colour) for colour in rates for code in codes(2000, colour[0].upper())]
    chosen = draw_enterprises(pairs, rates, "colours", "2026-12")
    for colour, rate in rates.items():
        count = sum(1 for c in chosen if c.startswith(colour[0].upper()))
        if rate == 1.0:
            assert count == 2000
        else:
            assert within(count, 2000, rate), (colour, count)


def test_the_published_algorithm_re_run_by_hand_gives_the_same_draw() -> None:
    """What the README tells a third party to do, written out independently."""
    pairs = mixed(300)
    inspectors = ("zhang", "li", "wang", "zhao", "chen")
    candidates = [Candidate(code, colour, inspectors) for code, colour in pairs]
    got = draw(candidates, RATES, "public-seed", "2026-12", uncoded_colour="yellow")
    by_hand = []
    for code, colour in sorted(pairs):
        key = hashlib.sha256(f"public-seed|2026-12|{code}".encode()).digest()
        rng = random.Random(int.from_bytes(key, "big"))
        if rng.random() < RATES[colour or "yellow"]:
            by_hand.append((code, tuple(rng.sample(sorted(inspectors), 2))))
    assert [(d.code, d.inspectors) for d in got] == by_hand
    assert ALGORITHM == "draw-v1"


def test_the_enterprises_drawn_are_the_same_with_or_without_inspectors() -> None:
    pairs = mixed(500)
    full = draw(
        [Candidate(c, k, ("a", "b")) for c, k in pairs], RATES, "s", "p", uncoded_colour="yellow"
    )
    assert [d.code for d in full] == draw_enterprises(pairs, RATES, "s", "p")


def test_inspectors_are_distinct_eligible_ones_drawn_whatever_the_order_given() -> None:
    names = tuple(f"officer{i}" for i in range(8))
    one = draw(
        [Candidate(c, "red", names) for c in codes(100)],
        RATES,
        "s",
        "p",
        uncoded_colour="yellow",
        inspectors_per_inspection=3,
    )
    two = draw(
        [Candidate(c, "red", tuple(reversed(names))) for c in codes(100)],
        RATES,
        "s",
        "p",
        uncoded_colour="yellow",
        inspectors_per_inspection=3,
    )
    assert one == two
    for d in one:
        assert d.staffed and len(set(d.inspectors)) == 3 and set(d.inspectors) <= set(names)
    assert len({d.inspectors for d in one}) > 10  # not always the same team


def test_an_enterprise_with_too_few_eligible_inspectors_is_drawn_but_unstaffed() -> None:
    got = draw(
        [
            Candidate("A1", "red", ("only",)),
            Candidate("A2", "red", ()),
            Candidate("A3", "red", ("x", "y")),
        ],
        RATES,
        "s",
        "p",
        uncoded_colour="yellow",
    )
    assert [(d.code, d.staffed, d.inspectors) for d in got][:2] == [
        ("A1", False, ()),
        ("A2", False, ()),
    ]
    assert got[2].staffed and sorted(got[2].inspectors) == ["x", "y"]


def test_the_drawn_record_their_colour_rate_and_whether_they_had_a_code() -> None:
    got = draw(
        [Candidate("N1", None, ("a", "b"))],
        {**RATES, "yellow": 1.0},
        "s",
        "p",
        uncoded_colour="yellow",
    )
    assert [(d.colour, d.coded, d.rate) for d in got] == [("yellow", False, 1.0)]


def test_a_colour_without_a_rate_or_a_rate_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="purple"):
        draw_enterprises([("A", "purple")], RATES, "s", "p")
    with pytest.raises(ValueError, match="between 0 and 1"):
        draw_enterprises([("A", "red")], {**RATES, "red": 1.5}, "s", "p")
    with pytest.raises(ValueError, match="twice"):
        draw(
            [Candidate("A", "red"), Candidate("A", "red")], RATES, "s", "p", uncoded_colour="yellow"
        )


def test_the_expected_number_per_colour_is_the_sum_of_the_rates() -> None:
    got = expected(["red", "red", "yellow", None, "green"], RATES, uncoded_colour="yellow")
    assert got == pytest.approx({"red": 2.0, "yellow": 0.6, "green": 0.05})
