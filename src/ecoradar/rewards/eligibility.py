"""Who may be rewarded for a problem (pure): named reasons for every refusal.

A problem can be rewarded when it was **verified** — it reached ``confirmed`` (and so possibly
rectification and closure) and is not now ``unfounded`` or ``rejected``; a problem transferred
to public security for a suspected crime counts as verified too — and an **enforcement
outcome** is known for it.

A clue of the problem is eligible when
- it came through a reporting channel of the public: ``public``, ``open311`` or ``hotline``.
  Grid workers are paid staff whose job is to find problems, and departments, media, NGOs,
  referrals, inspections, drones and unmanned ships are not members of the public: their clues
  are never rewarded;
- its reporter is not bureau staff (administrator, officer, grid worker) and not a user of the
  problem's own enterprise;
- it is **specific**: it has a place (every clue has one, inside the jurisdiction) and a
  target — an enterprise on the problem, or a description of at least ``min_description_chars``
  characters (white space not counted);
- it has **evidence**: at least one photo sent with it;
- it was **not already known**: no finding of another kind (monitoring alerts, inspections,
  grid workers, departments, self-inspection, media...) reached the problem before it. Earlier
  clues of the public channels do not make it known; they are other reporters, and
- only the **first eligible reporter** is rewarded: the earliest clue (by arrival, then id)
  that passes every check above. Later clues that pass them are refused as ``not_first``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from ecoradar.auth.models import STAFF_ROLES
from ecoradar.clues.models import REWARD_CHANNELS


class Reason(StrEnum):
    NOT_VERIFIED = "not_verified"
    NO_OUTCOME = "no_outcome"
    NO_CLUE = "no_clue"
    CHANNEL = "channel_not_eligible"
    STAFF = "reporter_is_staff"
    OWN_ENTERPRISE = "reporter_is_the_enterprise"
    NOT_SPECIFIC = "not_specific"
    NO_EVIDENCE = "no_evidence"
    ALREADY_KNOWN = "already_known"
    NOT_FIRST = "not_first"


@dataclass(frozen=True)
class Refusal:
    reason: Reason
    message: str
    clue_id: int | None = None
    """The clue refused, or None when the refusal is about the problem."""

    def __str__(self) -> str:
        where = f"clue {self.clue_id}: " if self.clue_id is not None else ""
        return f"{where}{self.reason.value} ({self.message})"


@dataclass(frozen=True)
class ProblemFacts:
    problem_id: int
    state: str
    reached: frozenset[str]
    """Every state the problem has entered (the keys of ``state_times``)."""
    transfer_kind: str | None = None
    enterprise_id: int | None = None
    outcome: str | None = None
    """The enforcement outcome recorded or derived; None when unknown."""


@dataclass(frozen=True)
class FindingFacts:
    finding_id: int
    channel: str
    received_at: datetime


@dataclass(frozen=True)
class ClueFacts:
    clue_id: int
    finding_id: int
    channel: str
    received_at: datetime
    description: str
    photos: int
    reporter_role: str | None = None
    """The role of a registered reporter; None for an unregistered one."""
    reporter_enterprise_id: int | None = None
    has_place: bool = True


@dataclass(frozen=True)
class Assessment:
    problem: tuple[Refusal, ...]
    clues: Mapping[int, tuple[Refusal, ...]] = field(default_factory=dict)
    winner: int | None = None
    """The clue to reward, when the problem and that clue pass every check."""

    @property
    def eligible(self) -> bool:
        return self.winner is not None

    @property
    def refusals(self) -> tuple[Refusal, ...]:
        """Every reason, the problem's first."""
        return self.problem + tuple(r for rs in self.clues.values() for r in rs)


def verified(problem: ProblemFacts) -> bool:
    if problem.state in ("unfounded", "rejected"):
        return False
    if "confirmed" in problem.reached:
        return True
    return problem.state == "transferred" and problem.transfer_kind == "public_security"


def _order(received_at: datetime, finding_id: int) -> tuple[datetime, int]:
    return received_at, finding_id


def letters(text: str) -> int:
    """Characters of ``text`` that are not white space."""
    return sum(not c.isspace() for c in text)


def clue_refusals(
    clue: ClueFacts,
    problem: ProblemFacts,
    findings: Iterable[FindingFacts],
    *,
    min_description_chars: int,
) -> tuple[Refusal, ...]:
    """Why ``clue`` cannot be rewarded on its own (the first-reporter rule aside)."""
    out: list[Refusal] = []

    def refuse(reason: Reason, message: str) -> None:
        out.append(Refusal(reason, message, clue.clue_id))

    if clue.channel not in REWARD_CHANNELS:
        why = (
            "grid workers are paid staff"
            if clue.channel == "grid_worker"
            else f"only {', '.join(REWARD_CHANNELS)} reports of the public are"
        )
        refuse(Reason.CHANNEL, f"the {clue.channel} channel is not rewarded: {why}")
    if clue.reporter_role in STAFF_ROLES:
        refuse(Reason.STAFF, f"the reporter is bureau staff ({clue.reporter_role})")
    if (
        clue.reporter_role == "enterprise"
        and clue.reporter_enterprise_id is not None
        and clue.reporter_enterprise_id == problem.enterprise_id
    ):
        refuse(Reason.OWN_ENTERPRISE, "the reporter is a user of the problem's own enterprise")
    length = letters(clue.description)
    if not clue.has_place:
        refuse(Reason.NOT_SPECIFIC, "the clue has no place")
    elif problem.enterprise_id is None and length < min_description_chars:
        refuse(
            Reason.NOT_SPECIFIC,
            f"no enterprise on the problem and a description of {length} characters, "
            f"fewer than {min_description_chars}",
        )
    if clue.photos < 1:
        refuse(Reason.NO_EVIDENCE, "no photo was sent with the clue")
    mine = _order(clue.received_at, clue.finding_id)
    earlier = sorted(
        (f for f in findings if _order(f.received_at, f.finding_id) < mine),
        key=lambda f: _order(f.received_at, f.finding_id),
    )
    known = [f for f in earlier if f.channel not in REWARD_CHANNELS]
    if known:
        first = known[0]
        refuse(
            Reason.ALREADY_KNOWN,
            f"the problem was known before the clue: finding {first.finding_id} "
            f"({first.channel}) came first",
        )
    return tuple(out)


def problem_refusals(problem: ProblemFacts) -> tuple[Refusal, ...]:
    out: list[Refusal] = []
    if not verified(problem):
        out.append(
            Refusal(
                Reason.NOT_VERIFIED,
                f"problem {problem.problem_id} was not verified (it is {problem.state})",
            )
        )
    if problem.outcome is None:
        out.append(
            Refusal(
                Reason.NO_OUTCOME,
                f"no enforcement outcome is recorded for problem {problem.problem_id}",
            )
        )
    return tuple(out)


def assess(
    problem: ProblemFacts,
    clues: Sequence[ClueFacts],
    findings: Sequence[FindingFacts],
    *,
    min_description_chars: int,
) -> Assessment:
    """Every refusal, and the clue to reward (the first one that passes every check) when the
    problem itself may be rewarded."""
    about_problem = problem_refusals(problem)
    if not clues:
        about_problem += (
            Refusal(Reason.NO_CLUE, "no clue of a public reporting channel reached the problem"),
        )
    ordered = sorted(clues, key=lambda c: _order(c.received_at, c.finding_id))
    per_clue: dict[int, tuple[Refusal, ...]] = {}
    first: int | None = None
    for clue in ordered:
        refused = clue_refusals(
            clue, problem, findings, min_description_chars=min_description_chars
        )
        if not refused and first is not None:
            refused = (
                Refusal(
                    Reason.NOT_FIRST,
                    f"clue {first} was the first eligible report of this problem",
                    clue.clue_id,
                ),
            )
        if not refused:
            first = clue.clue_id
        per_clue[clue.clue_id] = refused
    winner = first if not about_problem else None
    return Assessment(about_problem, per_clue, winner)
