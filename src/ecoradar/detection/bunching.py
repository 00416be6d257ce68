"""``limit_bunching`` (pure): over weeks, an excess of valid hours just below the limit against
the shape of the point's own distribution — the bunching estimator of the economics literature
(Saez 2010; Chetty et al. 2011; Kleven 2016) put at an emission limit.

The valid hourly values of a factor over ``DAYS`` days, as shares of the limit, are binned
(``BIN`` wide, ``LOW`` to ``HIGH``). The counterfactual shape is a quadratic in the log of the
counts (a Gaussian-like tail; Poisson-weighted least squares) fitted to the bins outside the
window ``[WINDOW_FROM, 1)`` just below the limit. The point bunches when the window holds
significantly more hours than the fit expects (Poisson tail below ``P_VALUE``, at least
``MIN_EXCESS`` hours and ``MIN_RATIO`` x the expectation), or when the hours the fit expects
above the limit are significantly missing while the window keeps its hours; either way the
hours above the limit must fall short of the fit (the mass bunched below came from above). The
fit leaves out the window and the band above the limit. An honest high runner has a smooth tail
through the limit: neither an excess below nor a hole above.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

KIND = "limit_bunching"
DAYS = 28
BIN = 0.025
LOW, HIGH = 0.5, 1.3
WINDOW_FROM = 0.925
ABOVE_TO = 1.1
"""The hours above the limit that must fall short: ``[1, ABOVE_TO)``."""
MIN_HOURS = 14 * 24
"""Valid hours needed in the period (half of four weeks)."""
MIN_IN_WINDOW = 30
MIN_EXCESS = 25.0
MIN_RATIO = 2.5
P_VALUE = 1e-6
MAX_ABOVE_SHARE = 0.33
"""The hours in ``[1, ABOVE_TO)`` must be at most this share of the fit's expectation."""
MIN_ABOVE = 10.0
"""Hours the fit must expect above the limit (the point's own shape reaches over it): a point
running far below its limit has nothing to hold under it, and a day or so of values steered
just under the limit is ``near_limit_pinning``'s to judge."""
MIN_MISSING = 15.0
"""Hours the fit expects above the limit before their absence alone can tell."""
MISSING_SHARE = 0.1
"""Missing means at most this share of the hours the fit expects above the limit (an honest
process whose tail ends before the fit's does still sends some)."""
KEPT_SHARE = 0.7


@dataclass(frozen=True)
class Bunching:
    """The test's numbers: bins (lower edges, shares of the limit), observed counts, the
    counterfactual, and the window's and the band above's observed and expected hours."""

    edges: list[float]
    observed: list[int]
    expected: list[float]
    window_observed: int
    window_expected: float
    above_observed: int
    above_expected: float
    below_observed: int
    """Hours in the band as wide as the window just below it."""
    p_value: float
    hours: int

    @property
    def excess(self) -> float:
        return self.window_observed - self.window_expected

    def evidence(self) -> dict[str, Any]:
        return {
            "histogram": {
                "edges": [round(e, 4) for e in self.edges],
                "observed": self.observed,
                "expected": [round(e, 3) for e in self.expected],
            },
            "window_share": [WINDOW_FROM, 1.0],
            "window_observed": self.window_observed,
            "window_expected": round(self.window_expected, 3),
            "excess_hours": round(self.excess, 3),
            "above_observed": self.above_observed,
            "above_expected": round(self.above_expected, 3),
            "below_observed": self.below_observed,
            "p_value": float(f"{self.p_value:.3g}"),
            "p_missing": float(f"{poisson_cdf(self.above_observed, self.above_expected):.3g}"),
            "valid_hours": self.hours,
        }


def bins() -> list[float]:
    count = round((HIGH - LOW) / BIN)
    return [LOW + i * BIN for i in range(count)]


def histogram(shares: Sequence[float]) -> list[int]:
    counts = [0] * len(bins())
    for share in shares:
        index = math.floor((share - LOW) / BIN + 1e-9)
        if 0 <= index < len(counts):
            counts[index] += 1
    return counts


def _in_window(edge: float) -> bool:
    return WINDOW_FROM - 1e-9 <= edge < 1.0 - 1e-9


def _above(edge: float) -> bool:
    return 1.0 - 1e-9 <= edge < ABOVE_TO - 1e-9


def measure(values: Sequence[float], limit: float) -> Bunching | None:
    """The bunching test of ``values`` (valid hourly values) at ``limit``; None when there are
    too few hours or too few near the limit to judge."""
    if limit <= 0 or len(values) < MIN_HOURS:
        return None
    edges = bins()
    observed = histogram([v / limit for v in values])
    window = sum(c for e, c in zip(edges, observed, strict=True) if _in_window(e))
    if window < MIN_IN_WINDOW:
        return None
    centres = [e + BIN / 2 for e in edges]
    fitted = [
        (x, c)
        for e, x, c in zip(edges, centres, observed, strict=True)
        if not _in_window(e) and not _above(e)
    ]
    coefficients = _fit([x for x, _ in fitted], [c for _, c in fitted])
    if coefficients is None:
        return None
    expected = [math.exp(min(_poly(coefficients, x), 50.0)) for x in centres]
    w_expected = sum(x for e, x in zip(edges, expected, strict=True) if _in_window(e))
    above = sum(c for e, c in zip(edges, observed, strict=True) if _above(e))
    a_expected = sum(x for e, x in zip(edges, expected, strict=True) if _above(e))
    width = 1.0 - WINDOW_FROM
    below = sum(
        c for e, c in zip(edges, observed, strict=True)
        if WINDOW_FROM - width - 1e-9 <= e < WINDOW_FROM - 1e-9
    )  # fmt: skip
    return Bunching(
        edges, observed, expected, window, w_expected, above, a_expected, below,
        poisson_sf(window, w_expected), len(values),
    )  # fmt: skip


def bunches(result: Bunching) -> bool:
    """An excess just below the limit (the window), or the hours above the limit missing while
    the window keeps at least ``KEPT_SHARE`` of its expected hours (they were moved, not lost);
    either way the hours above the limit must fall short of the fit."""
    short = (
        result.above_expected >= MIN_ABOVE
        and result.above_observed <= MAX_ABOVE_SHARE * result.above_expected
    )
    excess = (
        result.p_value < P_VALUE
        and result.excess >= MIN_EXCESS
        and result.window_observed >= MIN_RATIO * result.window_expected
    )
    missing = (
        result.above_observed <= MISSING_SHARE * result.above_expected
        and result.above_expected >= MIN_MISSING
        and poisson_cdf(result.above_observed, result.above_expected) < P_VALUE
        and result.window_observed >= KEPT_SHARE * result.window_expected
    )
    return short and (excess or missing)


def poisson_cdf(observed: int, mean: float) -> float:
    """P(X <= observed) for X ~ Poisson(mean)."""
    return 1.0 - poisson_sf(observed + 1, mean)


def _poly(coefficients: Sequence[float], x: float) -> float:
    return sum(c * x**i for i, c in enumerate(coefficients))


def _fit(xs: list[float], counts: list[int]) -> list[float] | None:
    """Weighted least squares of log(count + 0.5) on 1, x, x^2 (weights count + 0.5)."""
    size = 3
    matrix = [[0.0] * size for _ in range(size)]
    vector = [0.0] * size
    for x, count in zip(xs, counts, strict=True):
        weight = count + 0.5
        y = math.log(count + 0.5)
        powers = [(x - 1.0) ** i for i in range(size)]
        for i in range(size):
            vector[i] += weight * powers[i] * y
            for j in range(size):
                matrix[i][j] += weight * powers[i] * powers[j]
    solved = _solve(matrix, vector)
    if solved is None:
        return None
    # back from powers of (x - 1) to powers of x
    c0, c1, c2 = solved
    return [c0 - c1 + c2, c1 - 2 * c2, c2]


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float] | None:
    """Gaussian elimination with partial pivoting; None when singular."""
    n = len(vector)
    a = [row[:] + [vector[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        if abs(a[pivot][col]) < 1e-12:
            return None
        a[col], a[pivot] = a[pivot], a[col]
        for row in range(col + 1, n):
            factor = a[row][col] / a[col][col]
            for k in range(col, n + 1):
                a[row][k] -= factor * a[col][k]
    out = [0.0] * n
    for row in range(n - 1, -1, -1):
        out[row] = (a[row][n] - sum(a[row][k] * out[k] for k in range(row + 1, n))) / a[row][row]
    return out


def poisson_sf(observed: int, mean: float) -> float:
    """P(X >= observed) for X ~ Poisson(mean)."""
    if observed <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    # sum the upper tail in log space from ``observed`` until the terms vanish
    log_term = observed * math.log(mean) - mean - math.lgamma(observed + 1)
    total, k = 0.0, observed
    while True:
        term = math.exp(log_term)
        total += term
        k += 1
        log_term += math.log(mean) - math.log(k)
        if term < 1e-300 or (k > mean and term < total * 1e-15):
            break
    return min(1.0, total)
