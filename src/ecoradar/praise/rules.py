"""Contribution metrics and monthly rankings (pure): what a grid worker or a reporter did in a
month (China calendar), their score and their rank.

No I/O here: the service reads rows and passes plain values in (``Report``, ``ProblemFacts``,
``Verification``, patrol end times).

A month is ``[first day 00:00, first day of the next month 00:00)`` in China Standard Time.
Per person and month:

- **patrols done**: patrols *ended* in the month (a patrol under way is not done);
- **reports**: findings the person sent (a grid worker's on the ``grid_worker`` channel; a
  reporter's on ``public``, ``open311`` or ``hotline``) *received* in the month;
- **problems found**: distinct problems of those reports that are *verified* — they reached
  ``confirmed`` and are not now ``unfounded`` or ``rejected`` (or went to public security), the
  rewards' rule (``rewards.eligibility.verified``) — and are not marked a duplicate of another
  problem. A report attached to a problem someone else found first counts here too;
- **found first**: distinct verified problems among them whose *first finding* (earliest
  ``received_at``, then the lowest finding id, of every channel) is the person's report;
- **verified share**: of the month's reports whose problem is *decided* (verified, or final
  without being verified: rejected, unfounded, transferred elsewhere, or a duplicate), the share
  whose problem is verified; None when none is decided yet;
- **median hours to verify** (grid workers): for each verification the worker recorded in the
  month (``confirm`` or ``mark_unfounded`` by them), the hours since the problem was last
  routed (``assign``/``reassign``) to them; the median, None without any.

Scores (``score``): a grid worker's is
``patrols + 3 x problems found + 2 x found first + 5 x verified share``; a reporter's is
``3 x problems found + 2 x found first``. Reports that found nothing score nothing, so sending
many idle reports does not pay; the time to verify is shown but not scored (a fast check is not
a better one). Ranks are competition ranks ("1224"): equal scores share a rank; the order
within a rank is fixed by found first, problems found, patrols, reports (more first), then the
person's key, so the same data always gives the same table.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import InputError

Kind = Literal["grid_worker", "reporter"]
KINDS: tuple[Kind, ...] = ("grid_worker", "reporter")
GRID_CHANNEL = "grid_worker"
REPORTER_CHANNELS = ("public", "open311", "hotline")
"""The public's reporting channels (the same as the rewards')."""
VERIFY_ACTIONS = ("confirm", "mark_unfounded")
ROUTE_ACTIONS = ("assign", "reassign")
WORKER_WEIGHTS = {"patrols": 1.0, "problems_found": 3.0, "found_first": 2.0, "share": 5.0}
REPORTER_WEIGHTS = {"problems_found": 3.0, "found_first": 2.0}
MONTH = re.compile(r"(\d{4})-(\d{2})")
FIRST_YEAR, LAST_YEAR = 2000, 2100


# --- months -------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def start(self) -> datetime:
        """Midnight of the first day, China Standard Time (aware)."""
        return datetime(self.year, self.month, 1, tzinfo=CHINA_TZ)

    @property
    def end(self) -> datetime:
        """Midnight of the first day of the next month (excluded)."""
        return self.next().start

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def holds(self, at: datetime) -> bool:
        return self.start <= at < self.end


def parse_month(text: str, field: str = "month") -> Month:
    """``YYYY-MM`` or ``InputError`` naming ``field``."""
    found = MONTH.fullmatch(text.strip())
    if found is None:
        raise InputError(f"{field}: {text[:20]!r} is not a month (YYYY-MM)")
    year, month = int(found[1]), int(found[2])
    if not (1 <= month <= 12 and FIRST_YEAR <= year <= LAST_YEAR):
        raise InputError(f"{field}: {text[:20]!r} is not a month between 2000-01 and 2100-12")
    return Month(year, month)


def month_of(at: datetime) -> Month:
    china = at.astimezone(CHINA_TZ)
    return Month(china.year, china.month)


def months(first: Month, last: Month) -> list[Month]:
    """``first`` to ``last``, both included (empty when ``first`` is after ``last``)."""
    out, m = [], first
    while m <= last:
        out.append(m)
        m = m.next()
    return out


def months_back(month: Month, n: int) -> Month:
    """The month ``n`` months before ``month``."""
    total = month.year * 12 + month.month - 1 - n
    return Month(total // 12, total % 12 + 1)


def previous_month(now: datetime) -> Month:
    """The last whole month before ``now`` (China calendar): the default of the rankings."""
    return month_of(now).previous()


# --- facts --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """One finding a person sent (through a clue or directly)."""

    finding_id: int
    person: str
    problem_id: int
    received_at: datetime
    region_id: int
    """The problem's region."""


@dataclass(frozen=True)
class ProblemFacts:
    problem_id: int
    state: str
    reached: frozenset[str]
    """Every state the problem entered (its ``state_times``)."""
    transfer_kind: str | None = None
    duplicate: bool = False
    """Marked a duplicate of another problem."""
    first_finding_id: int | None = None
    """Its earliest finding (``received_at``, then id), of any channel."""

    @property
    def verified(self) -> bool:
        if self.duplicate or self.state in ("unfounded", "rejected"):
            return False
        if "confirmed" in self.reached:
            return True
        return self.state == "transferred" and self.transfer_kind == "public_security"

    @property
    def decided(self) -> bool:
        """Verified, or final without being verified."""
        return (
            self.verified
            or self.duplicate
            or self.state in ("rejected", "unfounded", "transferred")
        )


@dataclass(frozen=True)
class Verification:
    person: str
    problem_id: int
    routed_at: datetime
    verified_at: datetime

    @property
    def hours(self) -> float:
        return max(0.0, (self.verified_at - self.routed_at) / timedelta(hours=1))


@dataclass(frozen=True)
class Routing:
    """A problem routed to a worker (``assign`` or ``reassign``)."""

    problem_id: int
    person: str
    at: datetime


@dataclass(frozen=True)
class VerifyEvent:
    """A verification (``confirm``/``mark_unfounded``) by ``person``."""

    problem_id: int
    person: str
    at: datetime


def verifications(verified: Iterable[VerifyEvent], routed: Iterable[Routing]) -> list[Verification]:
    """Each verification with the last routing of its problem to the same person before it;
    a verification without one (an officer checking a problem never routed to them) is left
    out."""
    by_problem: dict[tuple[int, str], list[datetime]] = {}
    for r in routed:
        by_problem.setdefault((r.problem_id, r.person), []).append(r.at)
    out = []
    for v in verified:
        before = [t for t in by_problem.get((v.problem_id, v.person), []) if t <= v.at]
        if before:
            out.append(Verification(v.person, v.problem_id, max(before), v.at))
    return out


# --- metrics ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contribution:
    person: str
    kind: Kind
    patrols_done: int = 0
    reports: int = 0
    problems_found: int = 0
    found_first: int = 0
    decided: int = 0
    """Reports whose problem is decided (the verified share's denominator)."""
    confirmed_reports: int = 0
    verifications: int = 0
    median_hours_to_verify: float | None = None

    @property
    def verified_share(self) -> float | None:
        return round(self.confirmed_reports / self.decided, 4) if self.decided else None

    @property
    def active(self) -> bool:
        return bool(self.patrols_done or self.reports or self.verifications)


def contribution(
    person: str,
    kind: Kind,
    month: Month,
    *,
    reports: Iterable[Report] = (),
    problems: dict[int, ProblemFacts] | None = None,
    patrols_ended: Iterable[datetime] = (),
    verified: Iterable[Verification] = (),
) -> Contribution:
    """One person's figures for ``month`` (see the module's rules). ``reports``,
    ``patrols_ended`` and ``verified`` may hold other months' and other people's: they are
    left out here."""
    facts = problems or {}
    mine = [r for r in reports if r.person == person and month.holds(r.received_at)]
    found: set[int] = set()
    first: set[int] = set()
    decided = confirmed = 0
    for r in mine:
        p = facts.get(r.problem_id)
        if p is None:
            continue
        if p.decided:
            decided += 1
            confirmed += p.verified
        if p.verified:
            found.add(r.problem_id)
            if p.first_finding_id == r.finding_id:
                first.add(r.problem_id)
    hours = [v.hours for v in verified if v.person == person and month.holds(v.verified_at)]
    return Contribution(
        person=person,
        kind=kind,
        patrols_done=sum(1 for t in patrols_ended if month.holds(t)) if kind == GRID_CHANNEL else 0,
        reports=len(mine),
        problems_found=len(found),
        found_first=len(first),
        decided=decided,
        confirmed_reports=confirmed,
        verifications=len(hours),
        median_hours_to_verify=round(statistics.median(hours), 2) if hours else None,
    )


def first_findings(findings: Iterable[tuple[int, int, datetime]]) -> dict[int, int]:
    """Each problem's first finding: ``(problem_id, finding_id, received_at)`` rows in, the
    earliest by ``received_at`` then the lowest id, per problem, out."""
    best: dict[int, tuple[datetime, int]] = {}
    for problem_id, finding_id, received_at in findings:
        key = (received_at, finding_id)
        if problem_id not in best or key < best[problem_id]:
            best[problem_id] = key
    return {pid: key[1] for pid, key in best.items()}


# --- score and rank -----------------------------------------------------------------------------


def score(c: Contribution) -> float:
    if c.kind == GRID_CHANNEL:
        w = WORKER_WEIGHTS
        value = (
            w["patrols"] * c.patrols_done
            + w["problems_found"] * c.problems_found
            + w["found_first"] * c.found_first
            + w["share"] * (c.verified_share or 0.0)
        )
    else:
        w = REPORTER_WEIGHTS
        value = w["problems_found"] * c.problems_found + w["found_first"] * c.found_first
    return round(value, 2)


@dataclass(frozen=True)
class Ranked:
    rank: int
    score: float
    contribution: Contribution


def _order(c: Contribution, value: float) -> tuple[float, int, int, int, int, str]:
    return (-value, -c.found_first, -c.problems_found, -c.patrols_done, -c.reports, c.person)


def rank(contributions: Sequence[Contribution]) -> list[Ranked]:
    """Best first; equal scores share a rank (competition ranking), the order among them is
    found first, problems found, patrols, reports (more first), then the person's key."""
    scored = sorted(((c, score(c)) for c in contributions), key=lambda cs: _order(*cs))
    out: list[Ranked] = []
    for n, (c, value) in enumerate(scored):
        same = out and out[-1].score == value
        out.append(Ranked(out[-1].rank if same else n + 1, value, c))
    return out


# --- names --------------------------------------------------------------------------------------


def mask_name(name: str | None) -> str:
    """What the public may see of a reporter's name: the first character, then one ``*`` per
    further character of a Chinese name (``张三丰`` -> ``张**``); a Latin name's initial
    (``Alice Wang`` -> ``A.``); ``*`` for no name."""
    text = (name or "").strip()
    if not text:
        return "*"
    if text[0].isascii():
        return f"{text[0].upper()}."
    return text[0] + "*" * min(len(text) - 1, 3) if len(text) > 1 else text[0] + "*"
