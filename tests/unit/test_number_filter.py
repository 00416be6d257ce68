"""The pages' ``number`` filter: no trailing ``.0``, thousands grouped, never an exponent."""

from __future__ import annotations

import pytest

from ecoradar.web.templating import number


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, ""),
        (35.0, "35"),
        (1234567.5, "1,234,567.5"),
        (0.05, "0.05"),
        (0.00003, "0.00003"),  # mercury, mg/m3: every digit, no exponent
        (-0.000002, "-0.000002"),
        (2.67e-30, "0.00000000000000000000000000000267"),
        (1.5e12, "1,500,000,000,000"),
        (12345678901.25, "12,345,678,901.25"),
    ],
)
def test_numbers_are_shown_without_an_exponent(value: float | None, shown: str) -> None:
    assert number(value) == shown
