"""The fifth step: the follow-up. It gathers what the four checks found — the problems already
in the register (self-inspection failures, third-party violations, the inspection's findings)
and the advisories (findings that are not violations) — sends the advisories on as service
reminder issues (``ReminderSink``), and completes the record."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.fivestep import service, workflow
from ecoradar.fivestep.models import FiveStepRecord
from ecoradar.fivestep.workflow import CHECKS
from ecoradar.problems.models import Finding


class ReminderSink(Protocol):
    """Where advisories go: a service reminder for the enterprise. Returns the reminder's
    number, or None when nothing was sent (the advisories stay on the record)."""

    def __call__(
        self,
        *,
        session: Session,
        enterprise_id: int,
        advisories: Sequence[dict[str, Any]],
        now: datetime,
        actor: str,
        source: str,
    ) -> str | None: ...


def no_sink(
    *,
    session: Session,
    enterprise_id: int,
    advisories: Sequence[dict[str, Any]],
    now: datetime,
    actor: str,
    source: str,
) -> str | None:
    """Keeps the advisories on the record only."""
    return None


def gather(session: Session, record: FiveStepRecord) -> dict[str, Any]:
    """What the four checks found: advisories (with their step) and problem ids."""
    advisories: list[dict[str, Any]] = []
    problems: set[int] = set()
    for code in CHECKS:
        step = record.step(code)
        if step.state != "done":
            continue
        for item in step.result.get("advisories", []):
            advisories.append({**item, "step": code})
        problems.update(int(p) for p in step.result.get("problem_ids", []))
        finding_ids = [int(f) for f in step.result.get("finding_ids", [])]
        if finding_ids:
            problems.update(
                session.scalars(select(Finding.problem_id).where(Finding.id.in_(finding_ids)))
            )
    return {"advisories": advisories, "problem_ids": sorted(problems)}


def complete_follow_up(
    *,
    session: Session,
    principal: Principal,
    record_id: int,
    now: datetime,
    note: str = "",
    sink: ReminderSink = no_sink,
) -> FiveStepRecord:
    service._require_manager(principal)
    record = service.get_record(session=session, principal=principal, record_id=record_id)
    found = gather(session, record)
    # Checked before anything is sent: the workflow refuses a follow-up that waits for a step.
    workflow.apply(service.states(record), "follow_up", "complete", outcome="clean")
    reminder = None
    if found["advisories"]:
        reminder = sink(
            session=session,
            enterprise_id=record.enterprise_id,
            advisories=found["advisories"],
            now=now,
            actor=principal.actor,
            source=f"fivestep:{record.id}",
        )
    found["reminder"] = reminder
    outcome = "findings" if found["advisories"] or found["problem_ids"] else "clean"
    return service.move_step(
        session=session, principal=principal, record_id=record_id, step="follow_up",
        action="complete", outcome=outcome, reason=note, result=found, now=now,
    )  # fmt: skip
