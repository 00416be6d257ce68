"""Reward rules (pure): tiers by outcome, half-open fine brackets, the upper bound, rounding,
and the rules file's checks."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from ecoradar.core.errors import InputError
from ecoradar.rewards.rules import DEFAULT_RULES, award, parse_rules, rules_document


def fine(amount: str, rules: Any = DEFAULT_RULES) -> tuple[str, Decimal, bool]:
    given = award(rules, "fine", Decimal(amount))
    return given.tier, given.amount, given.capped


def document(**over: Any) -> dict[str, Any]:
    base = rules_document(DEFAULT_RULES)
    base.update(over)
    return base


def with_tiers(*changes: tuple[int, dict[str, Any]]) -> dict[str, Any]:
    base = rules_document(DEFAULT_RULES)
    for index, change in changes:
        base["tiers"][index] = {**base["tiers"][index], **change}
        for key in [k for k, v in change.items() if v is None]:
            del base["tiers"][index][key]
    return base


def test_the_outcomes_without_a_fine_pay_their_fixed_amounts() -> None:
    assert award(DEFAULT_RULES, "warning").amount == Decimal("200")
    assert award(DEFAULT_RULES, "order_to_correct").amount == Decimal("500")
    transfer = award(DEFAULT_RULES, "public_security")
    assert (transfer.tier, transfer.amount, transfer.capped) == (
        "public_security",
        Decimal("5000"),
        False,
    )


@pytest.mark.parametrize(
    ("amount", "tier", "reward"),
    [
        ("0.01", "fine_small", "500"),
        ("9999.99", "fine_small", "500"),
        ("10000", "fine_medium", "500.00"),
        ("10000.10", "fine_medium", "500.01"),  # 500.005 rounds half up to the fen
        ("99999.99", "fine_medium", "5000.00"),  # 4999.9995
        ("100000", "fine_large", "10000.00"),
    ],
)
def test_fine_brackets_include_their_lower_end_and_exclude_their_upper_end(
    amount: str, tier: str, reward: str
) -> None:
    assert fine(amount) == (tier, Decimal(reward), False)


def test_no_reward_exceeds_the_upper_bound() -> None:
    tier, amount, capped = fine("150000")
    assert (tier, amount, capped) == ("fine_large", Decimal("10000"), True)
    assert award(DEFAULT_RULES, "fine", Decimal("150000")).base == Decimal("15000.00")
    assert fine("100000.01") == ("fine_large", Decimal("10000.00"), False)


def test_the_upper_bound_is_configurable() -> None:
    rules = parse_rules(document(max_amount="5000"))
    assert fine("60000", rules) == ("fine_medium", Decimal("3000.00"), False)
    assert fine("200000", rules) == ("fine_large", Decimal("5000.00"), True)
    assert award(rules, "public_security").capped is False


def test_a_fine_needs_its_amount() -> None:
    with pytest.raises(InputError, match="fine_amount"):
        award(DEFAULT_RULES, "fine")
    with pytest.raises(InputError, match="fine_amount"):
        award(DEFAULT_RULES, "fine", Decimal(0))
    with pytest.raises(InputError, match="outcome"):
        award(DEFAULT_RULES, "caution")


def test_the_defaults_read_back_from_their_json_form_unchanged() -> None:
    text = json.dumps(rules_document(DEFAULT_RULES))
    assert parse_rules(json.loads(text, parse_float=Decimal)) == DEFAULT_RULES


def test_amounts_may_be_integers_strings_or_exact_decimals_but_not_floats() -> None:
    rules = parse_rules(document(max_amount=8000))
    assert rules.max_amount == Decimal("8000.00")
    assert parse_rules(document(max_amount=Decimal("7999.5"))).max_amount == Decimal("7999.50")
    with pytest.raises(InputError, match=r"max_amount: write the amount as a string"):
        parse_rules(document(max_amount=8000.0))


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (with_tiers((3, {"fine_from": "20000"})), r"fine_medium.*starts at 20000.00: a gap"),
        (with_tiers((3, {"fine_from": "5000"})), r"fine_medium.*starts at 5000.00: an overlap"),
        (with_tiers((4, {"fine_below": "900000"})), r"the last fine bracket ends at 900000"),
        (with_tiers((1, {"outcome": "warning"})), r"tiers: need exactly one warning tier, found 2"),
        (with_tiers((5, {"code": "warning"})), r"tiers\[5\].code: 'warning' is used twice"),
        (with_tiers((0, {"fixed": None, "percent": "5"})), r"tiers\[0\].percent: only a fine"),
        (with_tiers((0, {"percent": "5"})), r"tiers\[0\]: give either fixed"),
        (with_tiers((0, {"fixed": "1.005"})), r"tiers\[0\].fixed: .* more than 2 decimal"),
        (with_tiers((0, {"fixed": "-1"})), r"tiers\[0\].fixed: .* 0 or more"),
        (with_tiers((0, {"fine_from": "0"})), r"tiers\[0\]: only a fine tier has fine_from"),
        (with_tiers((2, {"bonus": "1"})), r"tiers\[2\]: unknown field 'bonus'"),
        (with_tiers((2, {"code": "Fine Small"})), r"tiers\[2\].code: 'Fine Small' is not a code"),
        (document(max_amount="0"), r"max_amount: must be more than 0"),
        (document(min_description_chars=-1), r"min_description_chars"),
        (document(tiers=[]), r"tiers: required"),
        ({"tiers": []}, r"max_amount: required"),
        (document(extra=1), r"rules: unknown field 'extra'"),
        ([], r"one JSON object"),
    ],
)
def test_a_bad_rules_document_is_refused_naming_the_field(rules: Any, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_rules(rules)
