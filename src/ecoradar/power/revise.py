"""Re-judging stored episodes (pure, no I/O): readings that arrive late, out of order (a meter
gateway uploading its backlog), change what the curves say about time already judged.

``revise`` compares the episodes stored for one rule and subject with every stretch in which
the rule holds now over the judged window, and says what to do with each:

- a stretch of ``rules.MIN_EPISODE`` or more overlapping a stored episode becomes that episode
  as it stands now (it may have grown, shrunk or moved); a second such stretch overlapping the
  same episode (late readings show the rule broken in the middle) is a new episode *split* off
  it; a stretch overlapping no stored episode is new;
- a stored episode left with no such stretch is *withdrawn*, with the reason: what is left of
  it is shorter than ``rules.MIN_EPISODE`` (no violation), nothing of it holds any more, or it
  was *merged* into the episode before it (late readings filled the gap between them).

What a stored episode covers outside the judged window stands as judged before (the late
readings change nothing there): a stretch reaching the window's edge continues it.
Withdrawn episodes are never deleted: the caller marks them and their findings, with the
reason (stored Chinese text, like the findings' descriptions; times in China time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ecoradar.core.clock import CHINA_TZ
from ecoradar.power.rules import MIN_EPISODE, Found

KINDS = ("new", "grown", "revised", "withdrawn")
"""``new`` (a split-off piece names its origin), ``grown`` (longer only), ``revised``
(shortened or moved), ``withdrawn``."""
WITHDRAWN = ("short", "gone", "merged")
"""Why an episode was withdrawn."""


@dataclass(frozen=True)
class Known:
    """A stored episode (not withdrawn) as the revision sees it."""

    id: int
    rule: str
    subject: str
    start: datetime
    end: datetime
    state: str


@dataclass(frozen=True)
class Change:
    kind: str
    found: Found | None
    """The episode as it stands now (None: withdrawn)."""
    episode: int | None = None
    """The stored episode changed (None: a new one)."""
    split_from: int | None = None
    code: str = ""
    """For a withdrawal: one of ``WITHDRAWN``."""
    reason: str = ""


def _clock(at: datetime) -> str:
    return f"{at.astimezone(CHINA_TZ):%Y-%m-%d %H:%M}"


def _minutes(a: datetime, b: datetime) -> str:
    return f"{round((b - a).total_seconds() / 60, 1):g}"


def _overlaps(k: Known, f: Found) -> bool:
    return k.start <= f.end and k.end >= f.start


def _outside(k: Known, start: datetime, end: datetime) -> list[Found]:
    """The parts of ``k`` before ``start`` and after ``end``: judged before, unchanged."""
    parts = []
    if k.start < start:
        parts.append(Found(k.rule, k.subject, k.start, min(start, k.end), k.state))
    if k.end > end:
        parts.append(Found(k.rule, k.subject, max(end, k.start), k.end, k.state))
    return parts


def stitch(pieces: Sequence[Found]) -> list[Found]:
    """Pieces joined where they touch or overlap (``idle`` if any piece idled)."""
    whole: list[Found] = []
    for piece in sorted(pieces, key=lambda p: (p.start, p.end)):
        last = whole[-1] if whole else None
        if last is not None and piece.start <= last.end:
            state = "idle" if "idle" in (last.state, piece.state) else last.state
            end = max(last.end, piece.end)
            whole[-1] = Found(last.rule, last.subject, last.start, end, state)
        else:
            whole.append(piece)
    return whole


def revise(
    known: Sequence[Known], runs: Sequence[Found], start: datetime, end: datetime
) -> list[Change]:
    """What to do with the stored episodes ``known`` (one rule and subject, overlapping
    ``[start, end]``) given ``runs``, every stretch of any length in which the rule holds in
    ``[start, end)`` now. What a stored episode covers outside the window stands (nothing
    there changed): a run reaching the window's edge continues it."""
    stored = sorted(known, key=lambda k: (k.start, k.id))
    outside = [part for k in stored for part in _outside(k, start, end)]
    pieces = stitch([*runs, *outside])
    long = [r for r in pieces if r.end - r.start >= MIN_EPISODE]
    owned: dict[int, Found] = {}
    changes: list[Change] = []
    for run in long:
        over = [k for k in stored if _overlaps(k, run)]
        free = [k for k in over if k.id not in owned]
        if free:
            owned[free[0].id] = run
        elif over:
            origin = over[0]
            reason = (
                f"由事件 #{origin.id} 拆分：迟到的读数表明其中间时段规则不成立，"
                f"此段为 {_clock(run.start)} 至 {_clock(run.end)}"
            )
            changes.append(Change("new", run, None, split_from=origin.id, reason=reason))
        else:
            changes.append(Change("new", run))
    for k in stored:
        now = owned.get(k.id)
        if now is not None:
            changes += _kept(k, now)
        else:
            changes.append(_withdrawn(k, pieces, owned))
    return changes


def _kept(k: Known, now: Found) -> list[Change]:
    if (now.start, now.end, now.state) == (k.start, k.end, k.state):
        return []
    if now.start <= k.start and now.end >= k.end:
        return [Change("grown", now, k.id)]
    was = f"{_clock(k.start)} 至 {_clock(k.end)}（{_minutes(k.start, k.end)} 分钟）"
    is_ = f"{_clock(now.start)} 至 {_clock(now.end)}（{_minutes(now.start, now.end)} 分钟）"
    reason = f"迟到的读数重新判定：原 {was}，现 {is_}"
    return [Change("revised", now, k.id, reason=reason)]


def _withdrawn(k: Known, runs: Sequence[Found], owned: dict[int, Found]) -> Change:
    into = next((i for i, f in owned.items() if _overlaps(k, f)), None)
    if into is not None:
        return Change(
            "withdrawn",
            None,
            k.id,
            code="merged",
            reason=f"迟到的读数表明它与事件 #{into} 连续，已并入该事件",
        )
    left = [
        min(r.end, k.end) - max(r.start, k.start)
        for r in runs
        if r.start < k.end and r.end > k.start
    ]
    longest = max(left, default=timedelta(0))
    if longest > timedelta(0):
        return Change(
            "withdrawn",
            None,
            k.id,
            code="short",
            reason=(
                f"迟到的读数重新判定后，{_clock(k.start)} 至 {_clock(k.end)} 内规则连续成立最长仅 "
                f"{round(longest.total_seconds() / 60, 1):g} 分钟，不足 "
                f"{int(MIN_EPISODE.total_seconds() // 60)} 分钟，不构成违规"
            ),
        )
    return Change(
        "withdrawn",
        None,
        k.id,
        code="gone",
        reason=(
            f"迟到的读数表明 {_clock(k.start)} 至 {_clock(k.end)} 内规则并不成立"
            "（治污设施在运行或生产设施未运行，或监控点位在发送数据）"
        ),
    )
