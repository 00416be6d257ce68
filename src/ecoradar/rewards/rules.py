"""Reward rules (pure): tiers by enforcement outcome, brackets of fines, an upper bound.

A rule set has exactly one tier for each of ``warning``, ``order_to_correct`` and
``public_security``, and one or more ``fine`` tiers whose brackets cover every fine without a
gap or an overlap. A bracket is half-open, ``[fine_from, fine_below)``: with the defaults a
fine of 9,999.99 yuan is in the first bracket, 10,000 in the second and 100,000 in the third.
A tier pays a ``fixed`` amount or, for fines only, a ``percent`` of the fine (rounded half up
to the fen); no reward exceeds ``max_amount``. Amounts are ``Decimal``; a float is refused
(read JSON with ``parse_float=Decimal``).

The rules file (``ecoradar rewards rules import``) is the JSON form of a rule set::

    {"max_amount": "10000", "min_description_chars": 20,
     "tiers": [{"code": "warning", "outcome": "warning", "fixed": "200"},
               {"code": "fine_medium", "outcome": "fine", "fine_from": "10000",
                "fine_below": "100000", "percent": "5"}, ...]}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ecoradar.core.errors import InputError
from ecoradar.rewards.models import OUTCOMES

FEN = Decimal("0.01")
MAX_REWARD = Decimal("9999999999.99")
"""The largest amount the ledger holds (``Numeric(12, 2)``)."""
MAX_FINE = Decimal("999999999999.99")
"""The largest fine the outcome holds (``Numeric(14, 2)``)."""
MAX_TIERS = 50
MAX_DESCRIPTION_CHARS = 4000
CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")
SINGLE_OUTCOMES = tuple(o for o in OUTCOMES if o != "fine")
TIER_KEYS = frozenset({"code", "outcome", "fixed", "percent", "fine_from", "fine_below"})
TOP_KEYS = frozenset({"max_amount", "min_description_chars", "tiers"})


@dataclass(frozen=True)
class Tier:
    code: str
    outcome: str
    fixed: Decimal | None = None
    percent: Decimal | None = None
    fine_from: Decimal | None = None
    """Inclusive lower end of a fine bracket (None for other outcomes)."""
    fine_below: Decimal | None = None
    """Exclusive upper end of a fine bracket (None: no upper end)."""

    def covers(self, outcome: str, fine: Decimal | None) -> bool:
        if outcome != self.outcome:
            return False
        if outcome != "fine":
            return True
        assert fine is not None
        low = self.fine_from or Decimal(0)
        return fine >= low and (self.fine_below is None or fine < self.fine_below)


@dataclass(frozen=True)
class RuleSet:
    tiers: tuple[Tier, ...]
    max_amount: Decimal
    min_description_chars: int
    version: int = 0
    """0: the built-in defaults; imported rule sets count from 1."""


@dataclass(frozen=True)
class Award:
    """What the rules give for one outcome."""

    tier: str
    outcome: str
    base: Decimal
    """The tier's amount before the upper bound."""
    amount: Decimal
    capped: bool


DEFAULT_RULES = RuleSet(
    tiers=(
        Tier("warning", "warning", fixed=Decimal("200.00")),
        Tier("order_to_correct", "order_to_correct", fixed=Decimal("500.00")),
        Tier(
            "fine_small",
            "fine",
            fixed=Decimal("500.00"),
            fine_from=Decimal("0.00"),
            fine_below=Decimal("10000.00"),
        ),
        Tier(
            "fine_medium",
            "fine",
            percent=Decimal("5.0000"),
            fine_from=Decimal("10000.00"),
            fine_below=Decimal("100000.00"),
        ),
        Tier("fine_large", "fine", percent=Decimal("10.0000"), fine_from=Decimal("100000.00")),
        Tier("public_security", "public_security", fixed=Decimal("5000.00")),
    ),
    max_amount=Decimal("10000.00"),
    min_description_chars=20,
)
"""Built in until rules are imported: 200 yuan for a warning, 500 for an order to correct,
for a fine 500 below 10,000 yuan, 5 % from 10,000 to below 100,000, 10 % from 100,000; 5,000
for a transfer to public security; at most 10,000 yuan per reward."""


def award(rules: RuleSet, outcome: str, fine: Decimal | None = None) -> Award:
    """The tier and amount ``rules`` give for ``outcome`` (a fine needs its amount)."""
    if outcome not in OUTCOMES:
        raise InputError(f"outcome: {outcome!r} is not one of {', '.join(OUTCOMES)}")
    if outcome == "fine":
        if fine is None or fine <= 0:
            raise InputError("fine_amount: a fine needs its amount, more than 0")
    else:
        fine = None
    for tier in rules.tiers:
        if tier.covers(outcome, fine):
            if tier.fixed is not None:
                base = tier.fixed.quantize(FEN)
            else:
                assert tier.percent is not None and fine is not None
                base = (fine * tier.percent / 100).quantize(FEN, rounding=ROUND_HALF_UP)
            amount = min(base, rules.max_amount.quantize(FEN))
            return Award(tier.code, outcome, base, amount, capped=base > rules.max_amount)
    raise InputError(f"outcome: no tier of rule set {rules.version} covers {outcome} {fine or ''}")


# --- reading a rules document ------------------------------------------------------------------


def _decimal(value: Any, where: str, *, maximum: Decimal, places: int = 2) -> Decimal:
    shown = repr(value) if isinstance(value, str) else str(value)
    if isinstance(value, bool) or isinstance(value, float):
        raise InputError(f"{where}: write the amount as a string or an integer, not {shown}")
    if not isinstance(value, int | str | Decimal):
        raise InputError(f"{where}: {shown} is not an amount")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise InputError(f"{where}: {shown} is not an amount") from None
    if not number.is_finite() or number < 0:
        raise InputError(f"{where}: {shown} is not an amount of 0 or more")
    if number > maximum:
        raise InputError(f"{where}: {shown} is more than {maximum}")
    if number != number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):
        raise InputError(f"{where}: {shown} has more than {places} decimal places")
    return number.quantize(Decimal(1).scaleb(-places))


def _optional(entry: Mapping[str, Any], key: str, where: str, **limits: Any) -> Decimal | None:
    value = entry.get(key)
    return None if value is None else _decimal(value, f"{where}.{key}", **limits)


def _unknown(entry: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    extra = sorted(str(k) for k in entry if k not in allowed)
    if extra:
        raise InputError(
            f"{where}: unknown field {extra[0]!r} (allowed: {', '.join(sorted(allowed))})"
        )


def _tier(entry: Any, where: str) -> Tier:
    if not isinstance(entry, Mapping):
        raise InputError(f"{where}: not an object")
    _unknown(entry, TIER_KEYS, where)
    code = entry.get("code")
    if not isinstance(code, str) or not CODE.fullmatch(code):
        raise InputError(
            f"{where}.code: {code!r} is not a code (a-z, digits and _, starting with a letter, "
            "at most 40 characters)"
        )
    outcome = entry.get("outcome")
    if outcome not in OUTCOMES:
        raise InputError(f"{where}.outcome: {outcome!r} is not one of {', '.join(OUTCOMES)}")
    fixed = _optional(entry, "fixed", where, maximum=MAX_REWARD)
    percent = _optional(entry, "percent", where, maximum=Decimal(100), places=4)
    if (fixed is None) == (percent is None):
        raise InputError(f"{where}: give either fixed (an amount) or percent (of the fine)")
    if percent is not None and (outcome != "fine" or percent == 0):
        raise InputError(
            f"{where}.percent: only a fine tier pays a share (more than 0) of the fine"
        )
    fine_from = _optional(entry, "fine_from", where, maximum=MAX_FINE)
    fine_below = _optional(entry, "fine_below", where, maximum=MAX_FINE)
    if outcome != "fine" and (fine_from is not None or fine_below is not None):
        raise InputError(f"{where}: only a fine tier has fine_from and fine_below")
    if outcome == "fine":
        fine_from = fine_from if fine_from is not None else Decimal("0.00")
        if fine_below is not None and fine_below <= fine_from:
            raise InputError(f"{where}.fine_below: must be more than fine_from ({fine_from})")
    return Tier(code, outcome, fixed, percent, fine_from, fine_below)


def _check_cover(tiers: list[Tier]) -> None:
    for outcome in SINGLE_OUTCOMES:
        count = sum(t.outcome == outcome for t in tiers)
        if count != 1:
            raise InputError(f"tiers: need exactly one {outcome} tier, found {count}")
    brackets = sorted((t for t in tiers if t.outcome == "fine"), key=lambda t: t.fine_from or 0)
    if not brackets:
        raise InputError("tiers: need at least one fine tier")
    expected: Decimal | None = Decimal(0)
    for tier in brackets:
        if expected is None:
            raise InputError(f"tiers: fine tier {tier.code!r} lies above a bracket without an end")
        if tier.fine_from != expected:
            problem = "a gap" if (tier.fine_from or 0) > expected else "an overlap"
            raise InputError(
                f"tiers: fine tier {tier.code!r} starts at {tier.fine_from}: {problem} after "
                f"{expected} (brackets are [fine_from, fine_below) and must follow each other)"
            )
        expected = tier.fine_below
    if expected is not None:
        raise InputError(f"tiers: the last fine bracket ends at {expected}; leave fine_below out")


def parse_rules(document: Any) -> RuleSet:
    """A rule set from its JSON form; ``InputError`` names the first bad field."""
    if not isinstance(document, Mapping):
        raise InputError("rules: the file must hold one JSON object")
    _unknown(document, TOP_KEYS, "rules")
    if "max_amount" not in document:
        raise InputError("max_amount: required (the upper bound of one reward)")
    max_amount = _decimal(document["max_amount"], "max_amount", maximum=MAX_REWARD)
    if max_amount == 0:
        raise InputError("max_amount: must be more than 0")
    chars = document.get("min_description_chars", DEFAULT_RULES.min_description_chars)
    if (
        isinstance(chars, bool)
        or not isinstance(chars, int)
        or not 0 <= chars <= MAX_DESCRIPTION_CHARS
    ):
        raise InputError(f"min_description_chars: {chars!r} is not a whole number from 0 to 4000")
    entries = document.get("tiers")
    if not isinstance(entries, list) or not entries:
        raise InputError("tiers: required, a list of tiers")
    if len(entries) > MAX_TIERS:
        raise InputError(f"tiers: at most {MAX_TIERS}")
    tiers = [_tier(entry, f"tiers[{n}]") for n, entry in enumerate(entries)]
    codes = [t.code for t in tiers]
    for n, code in enumerate(codes):
        if code in codes[:n]:
            raise InputError(f"tiers[{n}].code: {code!r} is used twice")
    _check_cover(tiers)
    return RuleSet(tuple(tiers), max_amount, chars)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def rules_document(rules: RuleSet) -> dict[str, Any]:
    """The JSON form of ``rules`` (what ``parse_rules`` reads back to the same rule set)."""
    tiers: list[dict[str, Any]] = []
    for tier in rules.tiers:
        entry: dict[str, Any] = {"code": tier.code, "outcome": tier.outcome}
        if tier.fine_from is not None:
            entry["fine_from"] = _text(tier.fine_from)
        if tier.fine_below is not None:
            entry["fine_below"] = _text(tier.fine_below)
        if tier.fixed is not None:
            entry["fixed"] = _text(tier.fixed)
        else:
            entry["percent"] = _text(tier.percent)
        tiers.append(entry)
    return {
        "max_amount": _text(rules.max_amount),
        "min_description_chars": rules.min_description_chars,
        "tiers": tiers,
    }
