"""The five-step record's workflow as a transition table (pure: no I/O, dataclass state).

Each step is ``pending``, ``done`` (with an outcome: ``clean`` or ``findings``) or ``skipped``
(with a reason, e.g. an enterprise without online monitoring). The first four steps may be
finished in any order; the ``follow_up`` step, which sends the findings on, needs the other
four finished (done or skipped) and cannot be skipped. A finished step can be reopened while
the follow-up is pending; reopening the follow-up reopens the record. The record is ``open``
while nothing is finished, ``in_progress`` once something is, and ``complete`` when the
follow-up is done.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from ecoradar.core.errors import ConflictError, InputError
from ecoradar.fivestep.models import OUTCOMES, STEPS

Action = Literal["complete", "skip", "reopen"]
ACTIONS: tuple[Action, ...] = ("complete", "skip", "reopen")
FOLLOW_UP = "follow_up"
CHECKS = STEPS[:-1]
"""The four checking steps the follow-up waits for."""
REASON_MAX = 2000
PAST = {"complete": "completed", "skip": "skipped", "reopen": "reopened"}

TRANSITIONS: dict[tuple[str, Action], str] = {
    ("pending", "complete"): "done",
    ("pending", "skip"): "skipped",
    ("done", "reopen"): "pending",
    ("skipped", "reopen"): "pending",
}
"""(step state, action) -> the step's new state; anything else is refused."""


class StepRefused(ConflictError):
    """The action is not allowed on the step in its state (the message says why)."""


@dataclass(frozen=True)
class StepState:
    state: str = "pending"
    outcome: str | None = None


@dataclass(frozen=True)
class Transition:
    step: str
    action: Action
    from_state: str
    to_state: str
    outcome: str | None
    record_state: str
    """The record's state after the transition."""


def record_state(steps: Mapping[str, StepState]) -> str:
    if steps.get(FOLLOW_UP, StepState()).state == "done":
        return "complete"
    if any(s.state != "pending" for s in steps.values()):
        return "in_progress"
    return "open"


def allowed(steps: Mapping[str, StepState], step: str) -> tuple[Action, ...]:
    """The actions ``apply`` would accept on ``step`` now (without outcome or reason checks)."""
    found = []
    for action in ACTIONS:
        try:
            _check(steps, step, action)
        except (StepRefused, InputError):
            continue
        found.append(action)
    return tuple(found)


def _check(steps: Mapping[str, StepState], step: str, action: str) -> str:
    if step not in STEPS:
        raise InputError(f"step: {step!r} is not one of {', '.join(STEPS)}")
    if action not in ACTIONS:
        raise InputError(f"action: {action!r} is not one of {', '.join(ACTIONS)}")
    current = steps.get(step, StepState()).state
    target = TRANSITIONS.get((current, action))
    if target is None:
        raise StepRefused(f"step {step} is {current}: it cannot be {PAST[action]}")
    follow_up_done = steps.get(FOLLOW_UP, StepState()).state == "done"
    if step == FOLLOW_UP:
        if action == "skip":
            raise StepRefused("the follow-up cannot be skipped")
        if action == "complete":
            waiting = [s for s in CHECKS if steps.get(s, StepState()).state == "pending"]
            if waiting:
                raise StepRefused(f"the follow-up waits for: {', '.join(waiting)}")
    elif follow_up_done:
        raise StepRefused(f"the record is complete: reopen the follow-up before {step}")
    return target


def apply(
    steps: Mapping[str, StepState],
    step: str,
    action: Action,
    *,
    outcome: str | None = None,
    reason: str = "",
) -> Transition:
    """Check ``action`` on ``step`` and say what it changes; raises ``StepRefused`` (a
    ``ConflictError``) or ``InputError`` (a missing outcome or reason)."""
    target = _check(steps, step, action)
    if action == "complete":
        if outcome not in OUTCOMES:
            raise InputError(f"outcome: {outcome!r} is not one of {', '.join(OUTCOMES)}")
    else:
        outcome = None
    if action in ("skip", "reopen") and not reason.strip():
        raise InputError(f"reason: say why the step is {PAST[action]}")
    if len(reason) > REASON_MAX:
        raise InputError(f"reason: at most {REASON_MAX} characters")
    after = dict(steps)
    after[step] = StepState(target, outcome)
    current = steps.get(step, StepState()).state
    return Transition(step, action, current, target, outcome, record_state(after))
