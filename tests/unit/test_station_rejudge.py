"""The pure parts of judging late hours again: how late hours are grouped into spans, and how
an episode found again widens the findings it overlaps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ecoradar.stations.rejudge import BACK, late_spans, widened
from ecoradar.stations.rules import Episode
from ecoradar.stations.standards import water_limits

H = timedelta(hours=1)
T0 = datetime(2015, 7, 1, tzinfo=UTC)


def test_late_hours_closer_than_the_look_back_are_one_span() -> None:
    hours = [T0, T0 + 5 * H, T0 + BACK + 5 * H, T0 + 3 * BACK]
    assert late_spans(hours) == [(T0, T0 + BACK + 5 * H), (T0 + 3 * BACK, T0 + 3 * BACK)]
    assert late_spans([]) == []


def found(start: datetime, values: list[float], peak: float) -> dict[str, object]:
    return {
        "start": start.isoformat(),
        "end": (start + len(values) * H).isoformat(),
        "peak": peak,
        "values": [[(start + n * H).isoformat(), v] for n, v in enumerate(values)],
        "baseline": 3.0,
    }


def test_an_episode_found_again_takes_the_union_of_spans_values_and_the_worst_value() -> None:
    oxygen = next(x for x in water_limits(3) if x.factor == "w01009")  # at least 5 mg/L
    late = Episode(
        "exceedance", "W1", "w01009", "hour", T0 + 2 * H, T0 + 5 * H, 3.5,
        ((T0 + 2 * H, 4.0), (T0 + 3 * H, 3.5), (T0 + 4 * H, 4.5)), oxygen,
    )  # fmt: skip
    wide = widened(late, [found(T0, [4.8, 4.1, 4.0], 4.0), found(T0 + 4 * H, [4.5, 2.9], 2.9)])
    assert (wide.start, wide.end) == (T0, T0 + 6 * H)
    assert wide.peak == 2.9  # dissolved oxygen: the lowest is the worst
    assert [v for _, v in wide.values] == [4.8, 4.1, 4.0, 3.5, 4.5, 2.9]
    assert wide.evidence["baseline"] == 3.0
