"""Draw periods: months, quarters, years and date ranges, and what is refused."""

from __future__ import annotations

from datetime import date

import pytest

from ecoradar.core.errors import InputError
from ecoradar.inspections.periods import parse_period


@pytest.mark.parametrize(
    ("text", "label", "start", "end"),
    [
        ("2026-12", "2026-12", date(2026, 12, 1), date(2026, 12, 31)),
        ("2028-02", "2028-02", date(2028, 2, 1), date(2028, 2, 29)),
        (" 2026-q4 ", "2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("2027", "2027", date(2027, 1, 1), date(2027, 12, 31)),
        ("2026-12-01..2026-12-15", "2026-12-01..2026-12-15", date(2026, 12, 1), date(2026, 12, 15)),
    ],
)
def test_a_period_is_read_as_its_first_and_last_china_date(
    text: str, label: str, start: date, end: date
) -> None:
    period = parse_period(text)
    assert (period.label, period.start, period.end) == (label, start, end)


@pytest.mark.parametrize(
    "text",
    [
        "2026-13",
        "2026-Q5",
        "26-12",
        "2026-12-15..2026-12-01",
        "2026-02-30..2026-03-01",
        "",
        "next month",
    ],
)
def test_a_period_that_is_not_one_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(InputError, match="period"):
        parse_period(text)


def test_periods_overlap_when_they_share_a_day() -> None:
    december = parse_period("2026-12")
    assert december.overlaps(date(2026, 12, 31), date(2027, 1, 5))
    assert not december.overlaps(date(2027, 1, 1), date(2027, 1, 5))
