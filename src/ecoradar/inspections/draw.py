"""The draw itself, pure: which enterprises are inspected this period and by whom.

Algorithm ``draw-v1`` (a third party re-runs it from the published seed, period, rates and
lists; Python 3's ``random.Random`` is the Mersenne Twister, the same everywhere):

1. For each enterprise, by code: ``key = sha256(f"{seed}|{period}|{code}".encode())``;
   ``rng = random.Random(int.from_bytes(key.digest(), "big"))``.
2. Its colour is the green-code colour at draw time, or ``uncoded_colour`` if it has none.
   It is drawn when ``rng.random() < rates[colour]`` (rate 1.0: always; rate 0: never).
3. For a drawn enterprise, the inspectors eligible for it (region scope covering it, no
   declared conflict with it) are sorted by username, and
   ``rng.sample(sorted_usernames, min(k, len(sorted_usernames)))`` (the same ``rng``, right
   after step 2) are its inspectors, in the order drawn. Fewer than ``k`` eligible: the
   inspection is listed as unstaffable with no inspectors.

Each enterprise has its own generator, so adding or removing another enterprise changes
nothing for the rest; the period is in the key, so each period's draw is new.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

ALGORITHM = "draw-v1"
DEFAULT_INSPECTORS = 2


@dataclass(frozen=True)
class Candidate:
    """An enterprise that may be drawn: its code, its colour (None: no code yet) and the
    usernames of the inspectors eligible for it."""

    code: str
    colour: str | None
    inspectors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Drawn:
    code: str
    colour: str
    """The colour the rate was taken for (``uncoded_colour`` if the enterprise had none)."""
    coded: bool
    rate: float
    inspectors: tuple[str, ...]
    """Empty when too few were eligible (``staffed`` is False)."""
    staffed: bool


def generator(seed: str, period: str, code: str) -> random.Random:
    """The enterprise's own generator (step 1)."""
    digest = hashlib.sha256(f"{seed}|{period}|{code}".encode()).digest()
    return random.Random(int.from_bytes(digest, "big"))


def check_rates(rates: Mapping[str, float]) -> None:
    for colour, rate in rates.items():
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate of {colour}: {rate} is not between 0 and 1")


def _rate(rates: Mapping[str, float], colour: str) -> float:
    if colour not in rates:
        raise ValueError(f"no inspection rate for the colour {colour!r}")
    return float(rates[colour])


def draw(
    candidates: Sequence[Candidate],
    rates: Mapping[str, float],
    seed: str,
    period: str,
    *,
    uncoded_colour: str,
    inspectors_per_inspection: int = DEFAULT_INSPECTORS,
) -> list[Drawn]:
    """The drawn enterprises, by code, each with its inspectors (steps 1-3)."""
    if inspectors_per_inspection < 1:
        raise ValueError("inspectors per inspection: at least 1")
    check_rates(rates)
    codes = [c.code for c in candidates]
    if len(set(codes)) != len(codes):
        raise ValueError("an enterprise code appears twice among the candidates")
    drawn: list[Drawn] = []
    for candidate in sorted(candidates, key=lambda c: c.code):
        colour = candidate.colour or uncoded_colour
        rate = _rate(rates, colour)
        rng = generator(seed, period, candidate.code)
        if not rng.random() < rate:
            continue
        eligible = sorted(set(candidate.inspectors))
        staffed = len(eligible) >= inspectors_per_inspection
        chosen = tuple(rng.sample(eligible, inspectors_per_inspection)) if staffed else ()
        drawn.append(
            Drawn(
                code=candidate.code,
                colour=colour,
                coded=candidate.colour is not None,
                rate=rate,
                inspectors=chosen,
                staffed=staffed,
            )
        )
    return drawn


def draw_enterprises(
    candidates: Sequence[tuple[str, str | None]],
    rates: Mapping[str, float],
    seed: str,
    period: str,
    *,
    uncoded_colour: str = "yellow",
) -> list[str]:
    """The codes drawn (sorted) from ``(code, colour)`` pairs: the enterprise half of
    ``draw`` for simulations (no inspectors, the same result for the enterprises)."""
    check_rates(rates)
    chosen: list[str] = []
    for code, colour in sorted(candidates, key=lambda c: c[0]):
        rate = _rate(rates, colour or uncoded_colour)
        if generator(seed, period, code).random() < rate:
            chosen.append(code)
    return chosen


def expected(
    colours: Sequence[str | None], rates: Mapping[str, float], *, uncoded_colour: str
) -> dict[str, float]:
    """Expected number drawn per colour (the sum of the rates), for the page before a draw."""
    out: dict[str, float] = {}
    for colour in colours:
        name = colour or uncoded_colour
        out[name] = out.get(name, 0.0) + _rate(rates, name)
    return out
